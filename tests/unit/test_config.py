"""RunConfig: validation in plain words and the URL round trip, fuzzed with hypothesis."""

import dataclasses
import math
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnexplore import own_points
from nnexplore.config import (
    FIELDS,
    MAX_LAYERS,
    MAX_STEPS,
    RunConfig,
    combination_problem,
    field_kind,
    with_recipe,
)


def test_default_config_is_valid_and_every_field_has_help():
    cfg = RunConfig()
    assert cfg.dataset == "moons"
    for f in FIELDS:
        assert f.metadata["help"].strip(), f.name
        assert f.metadata["group"] in ("Data", "Network", "Output and loss", "Training", "More settings")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"lr": 100.0}, ["lr", "100", "1e-05 to 10"]),
        ({"lr": math.nan}, ["lr", "nan"]),
        ({"dataset": "../etc/passwd"}, ["dataset", "passwd", "one of moons"]),
        ({"hidden": (16, 0)}, ["hidden", "1 to 1024"]),
        ({"hidden": (4,) * (MAX_LAYERS + 1)}, ["hidden", "up to 8 layers"]),
        ({"batch_size": 2.5}, ["batch_size", "whole number"]),
        ({"epochs": True}, ["epochs"]),
    ],
)
def test_bad_values_raise_value_error_naming_field_value_and_rule(changes, words):
    with pytest.raises(ValueError) as err:
        RunConfig(**changes)
    for word in words:
        assert word in str(err.value)


def test_replace_validates():
    assert RunConfig().replace(lr=0.5).lr == 0.5
    with pytest.raises(ValueError):
        RunConfig().replace(epochs=0)


def configs():
    """Hypothesis strategy over valid configs, built from the settings table itself."""
    parts = {}
    for f in FIELDS:
        m = f.metadata
        kind = field_kind(f)
        if kind == "choice":
            parts[f.name] = st.sampled_from(m["choices"])
        elif kind == "layers":
            parts[f.name] = st.lists(st.integers(1, 1024), max_size=MAX_LAYERS).map(tuple)
        elif kind == "points":  # whole points of the link's code (tests/unit/test_own_points.py)
            parts[f.name] = st.text(own_points.ALPHABET, max_size=30).map(lambda t: t[: len(t) - len(t) % 3])
        elif kind == "int":
            parts[f.name] = st.integers(int(m["low"]), int(m["high"]))
        else:
            parts[f.name] = st.floats(m["low"], m["high"], allow_nan=False)
    return (
        st.fixed_dictionaries(parts)
        .filter(lambda d: not combination_problem(SimpleNamespace(**d)))
        .map(lambda d: RunConfig(**d))
    )


@settings(max_examples=200, deadline=None)
@given(configs())
def test_query_params_round_trip_every_field(cfg):
    params = cfg.to_query_params()
    assert set(params) == {f.name for f in FIELDS}
    assert all(isinstance(v, str) for v in params.values())
    back, problems = RunConfig.from_query_params(params)
    assert problems == []
    assert back == cfg


hostile = st.one_of(
    st.text(max_size=50),
    st.sampled_from(
        ["nan", "inf", "-inf", "-1", "1e308", "99999999", "", "<script>alert(1)</script>", "../../x"]
    ),
    st.builds(lambda c, n: c * n, st.sampled_from(["9", "x", "é", "<b>"]), st.integers(1000, 10_000)),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=20), st.one_of(hostile, st.lists(hostile, max_size=3)), max_size=8))
def test_from_query_params_never_raises_and_explains(params):
    cfg, problems = RunConfig.from_query_params(params)
    assert isinstance(cfg, RunConfig)
    known = {f.name for f in FIELDS}
    for key in params:
        if key not in known:
            assert any(repr(key[:40]).strip("'\"")[:10] in p for p in problems)
    for p in problems:
        assert isinstance(p, str) and len(p) < 400  # a 10,000-character value is never echoed whole


def test_from_query_params_bad_value_keeps_default_and_good_values():
    cfg, problems = RunConfig.from_query_params({"lr": "banana", "epochs": "3", "hidden": "99999999"})
    assert cfg.lr == RunConfig().lr and cfg.epochs == 3 and cfg.hidden == RunConfig().hidden
    assert len(problems) == 2
    assert "banana" in problems[0] and "Learning rate" in problems[0]


def test_repeated_keys_last_one_wins():
    cfg, problems = RunConfig.from_query_params({"epochs": ["2", "4"]})
    assert cfg.epochs == 4 and problems == []


def test_to_dict_is_json_friendly():
    import json

    d = RunConfig(hidden=(3, 2)).to_dict()
    assert json.loads(json.dumps(d))["hidden"] == [3, 2]
    assert set(d) == {f.name for f in dataclasses.fields(RunConfig)}


@pytest.mark.parametrize(
    "changes",
    [
        {"dataset": "mnist", "hidden": (1024,) * 8, "train_size": 60000, "epochs": 50, "batch_size": 4096},
        {"n_samples": 20000, "batch_size": 1, "epochs": 50},
    ],
)
def test_runs_too_big_for_a_shared_server_are_refused_in_words(changes):
    with pytest.raises(ValueError, match="shared server"):
        RunConfig(**changes)


def test_the_largest_allowed_runs_stay_within_the_limits():
    from nnexplore.config import run_size

    steps, _ = run_size(RunConfig(n_samples=20000, batch_size=2, epochs=18))
    assert steps <= MAX_STEPS
    RunConfig(
        dataset="mnist", hidden=(128, 64), train_size=60000, epochs=3, batch_size=64
    )  # the default recipe


def test_a_too_big_run_from_a_link_falls_back_with_a_message():
    cfg, problems = RunConfig.from_query_params({"n_samples": "20000", "batch_size": "1", "epochs": "50"})
    assert cfg == RunConfig()
    assert any("shared server" in p for p in problems)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"loss": "cross_entropy", "output_activation": "none"}, ["regression", "Cross-entropy", "no class"]),
        ({"loss": "binary_cross_entropy", "output_activation": "sigmoid"}, ["yes/no", "mse"]),
        ({"loss": "mse", "output_activation": "softmax"}, ["softmax", "always 1", "none"]),
    ],
)
def test_a_recipe_that_cannot_train_a_regression_is_refused_in_words(changes, words):
    for dataset in ("sine", "surface"):
        with pytest.raises(ValueError) as err:
            RunConfig(dataset=dataset, **changes)
        assert all(word in str(err.value) for word in words), str(err.value)
        assert str(err.value).startswith(f"{dataset} is a regression")


def test_a_regression_takes_raw_outputs_or_a_sigmoid_with_squared_error():
    assert RunConfig(dataset="sine", output_activation="none", loss="mse").loss == "mse"
    assert (
        RunConfig(dataset="surface", output_activation="sigmoid", loss="mse").output_activation == "sigmoid"
    )


def test_a_link_or_command_line_naming_a_regression_gets_its_recipe():
    assert with_recipe({"dataset": "sine"}) == {"dataset": "sine", "output_activation": "none", "loss": "mse"}
    assert with_recipe({"dataset": "sine", "output_activation": "sigmoid"})["output_activation"] == "sigmoid"
    assert with_recipe({})["loss"] == "cross_entropy" == with_recipe({"dataset": "moons"})["loss"]
    cfg, problems = RunConfig.from_query_params({"dataset": "surface", "epochs": "3"})
    assert problems == [] and (cfg.output_activation, cfg.loss, cfg.epochs) == ("none", "mse", 3)
    cfg, problems = RunConfig.from_query_params({"dataset": "sine", "loss": "cross_entropy"})
    assert cfg == RunConfig() and "regression" in problems[0] and "default settings" in problems[0]


# --- the notes beside the controls (nnexplore.advice) and what the help texts say about starts ---


def _notes(**changes) -> list[tuple[str, str]]:
    from nnexplore.advice import config_notes

    return config_notes(RunConfig(**changes))


def test_log_losses_on_raw_outputs_are_expected_to_fail_and_say_why():
    (level, text), *_ = _notes(output_activation="none", loss="cross_entropy")
    assert level == "warning" and "0 or negative" in text and "log" in text
    (level, text), *_ = _notes(output_activation="none", loss="binary_cross_entropy")
    assert level == "warning" and "1 minus" in text and "sigmoid" in text
    (level, text), *_ = _notes(output_activation="none", loss="mse")
    assert level == "info" and "Outside [0, 1]" in text and "twice output minus target" in text


def test_deep_notes_name_the_slope_and_the_start():
    sigmoid = " ".join(t for _, t in _notes(hidden=(16,) * 4, hidden_activation="sigmoid"))
    tanh = " ".join(t for _, t in _notes(hidden=(16,) * 4, hidden_activation="tanh"))
    assert "at most 0.25" in sigmoid and "at most 1 " in tanh
    relu = " ".join(t for _, t in _notes(hidden=(16,) * 4, hidden_activation="relu", init="default"))
    assert "6-fold" in relu and "he initialisation" in relu
    assert not any("6-fold" in t for _, t in _notes(hidden=(16,) * 4, hidden_activation="relu", init="he"))
    assert not any("6-fold" in t for _, t in _notes(hidden=(16,) * 3, hidden_activation="relu"))


def test_the_help_texts_numbers_about_the_default_and_he_starts():
    """init's help: He's weights spread about 2.5 times wider than PyTorch's default; the advice's
    "about 6-fold": a ReLU layer scales the squared gradient by nσ²/2, 1/6 from the default start."""
    import torch

    from nnexplore.config import FIELDS
    from nnexplore.model import build_model

    help_text = next(f for f in FIELDS if f.name == "init").metadata["help"]
    assert "2.5 times wider" in help_text and "±1/√(inputs" in help_text
    stds = {}
    for init in ("default", "he"):
        torch.manual_seed(0)
        model = build_model(RunConfig(hidden=(512, 512), init=init), 2, 2)
        weight = model.linears[1].weight.detach()  # 512 inputs per unit
        stds[init] = float(weight.std())
        if init == "default":
            bound = 1 / math.sqrt(512)
            assert float(weight.abs().max()) <= bound  # evenly between ±1/√n
            assert stds[init] ** 2 == pytest.approx(1 / (3 * 512), rel=0.02)
    assert stds["he"] / stds["default"] == pytest.approx(math.sqrt(6), rel=0.03)
    assert round(math.sqrt(6), 1) == 2.4 and round(math.sqrt(6) * 2) / 2 == 2.5
    assert 512 * (1 / (3 * 512)) / 2 == pytest.approx(1 / 6)


def test_a_regression_says_raw_outputs_are_right_and_a_sigmoid_cannot_reach_below_0():
    (level, text), *_ = _notes(dataset="sine", output_activation="none", loss="mse")
    assert level == "info" and "regression" in text and "Raw outputs are right" in text
    (level, text), *_ = _notes(dataset="sine", output_activation="sigmoid", loss="mse")
    assert level == "warning" and "between 0 and 1" in text and "below 0" in text
