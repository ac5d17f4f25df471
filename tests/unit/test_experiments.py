"""The guided experiments: well-formed, and each one's claim checked with the engine.

Every claim an experiment's text makes is trained here at the experiment's own
settings and default seed (on the CPU, so the numbers are the same on every
machine), on toy data or, for MNIST, on the shared test set split 8,000/2,000.
If one of these fails, the experiment's settings or its text must change, not
the threshold.
"""

from __future__ import annotations

import math
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnexplore import theory
from nnexplore.config import MAX_LAYERS, RunConfig
from nnexplore.data import Dataset, load_dataset, read_idx
from nnexplore.experiments import (
    CHART_REACH,
    CHART_UNITS,
    CHARTS,
    CONFIDENT_WRONG,
    DYING_RELU,
    EXPERIMENTS,
    EXTRAS,
    MNIST_GRADIENT,
    SOFTMAX_HIDDEN,
    VANISHING_DEPTH,
    WHY_LOG,
    Experiment,
    chart_of,
    experiment_for,
)
from nnexplore.losses import loss_fn
from nnexplore.model import build_model
from nnexplore.snapshots import model_view, unit_grids
from nnexplore.training import train

SHARED_MNIST = Path(
    os.environ.get("NNEXPLORE_TEST_MNIST", Path(__file__).resolve().parents[3] / "shared" / "mnist")
)
ALL = list(EXPERIMENTS.values())


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    """Toy networks train fastest on one thread; two threads on a busy 2-core box can be 10x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@cache
def trained(cfg: RunConfig) -> tuple[tuple[dict, ...], Any, Any]:
    """One toy run on the CPU: all its records, its final model and its data (cached: several
    tests read the same run)."""
    cfg = cfg.replace(device="cpu")
    dataset = load_dataset(cfg)
    models: list[Any] = []
    recs = tuple(train(cfg, dataset=dataset, on_record=lambda model, record: models.append(model)))
    return recs, models[-1], dataset


def records(cfg: RunConfig) -> tuple[dict, ...]:
    """All records of one toy run on the CPU."""
    return trained(cfg)[0]


@cache
def views(cfg: RunConfig) -> tuple[dict, ...]:
    """The live view of every record of one toy run, as the page receives them (cached)."""
    cfg = cfg.replace(device="cpu")
    dataset = load_dataset(cfg)
    out: list[dict] = []
    for _ in train(cfg, dataset=dataset, on_record=lambda m, r: out.append(model_view(m, dataset, cfg, r))):
        pass
    return tuple(out)


# Below this probability for the right class an answer is confidently wrong (the chart's shaded corner).
CONFIDENTLY_WRONG = 0.2


def wrong_pushes(view: dict) -> np.ndarray:
    """The pushes |∂L/∂z_right| of a view's confidently wrong test examples."""
    table = view["pushes"]
    return table["push"][table["p_right"] < CONFIDENTLY_WRONG]


def run_of(exp: Experiment, label: str) -> tuple[dict, ...]:
    return records(dict(exp.runs)[label])


def mean_ratio(recs: tuple[dict, ...]) -> float:
    """First-layer over output-layer weight-gradient norm, averaged over the records."""
    return float(np.mean([r["grad_norm"][0] / r["grad_norm"][-1] for r in recs]))


def reach(recs: tuple[dict, ...]) -> np.ndarray:
    """The "How much reaches the first layer" line of a run: grad_norm[0] / grad_norm[-1] per record."""
    return np.array([r["grad_norm"][0] / r["grad_norm"][-1] for r in recs])


def first_step_reaching(recs: tuple[dict, ...], accuracy: float) -> float:
    """Optimizer steps until the test accuracy first reaches `accuracy` (inf if it never does)."""
    return next((r["step"] for r in recs if r["test_acc"] >= accuracy), math.inf)


# --- shape of the catalogue -------------------------------------------------


@pytest.mark.parametrize("exp", ALL, ids=lambda e: e.slug)
def test_experiment_is_well_formed(exp: Experiment) -> None:
    assert EXPERIMENTS[exp.slug] is exp
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", exp.slug)
    assert exp.title and exp.question.endswith("?")
    assert 2 <= len(exp.runs) <= 4
    assert len(set(exp.labels)) == len(exp.labels)
    assert len({cfg.dataset for cfg in exp.configs}) == 1, "runs compared side by side share their data"
    for cfg in (*exp.configs, *(c for _, c in exp.try_next)):
        assert isinstance(cfg, RunConfig)
        # the shareable URL form reads back to the same config, without complaint
        assert RunConfig.from_query_params(cfg.to_query_params()) == (cfg, [])
    assert len({label for label, _ in exp.try_next}) == len(exp.try_next)
    assert exp.extra in EXTRAS


@pytest.mark.parametrize("exp", ALL, ids=lambda e: e.slug)
def test_every_look_for_bullet_points_at_a_chart_the_run_has(exp: Experiment) -> None:
    assert exp.look_for
    for bullet in exp.look_for:
        chart = chart_of(bullet)
        assert chart in CHARTS, f"bullet names no known chart: {bullet[:40]!r}"
        if chart == "Decision regions":
            assert exp.dataset != "mnist"
        if chart == "Test digits":
            assert exp.dataset == "mnist"
        if chart in (CHART_UNITS, CHART_REACH):
            assert all(cfg.hidden for cfg in exp.configs), "only hidden layers fill this chart"
        if chart == "Who gets pushed":
            assert "pushes" in exp.views
        if chart == "Hidden units":
            assert exp.dataset != "mnist" and "units" in exp.views
            assert any(cfg.hidden for cfg in exp.configs)
        assert len(bullet) > len(chart) + 20, "a bullet says what to look for, not just where"


@pytest.mark.parametrize("exp", ALL, ids=lambda e: e.slug)
def test_why_pairs_are_text_then_balanced_latex(exp: Experiment) -> None:
    assert any(latex for _, latex in exp.why)
    for text, latex in exp.why:
        assert text.strip()
        depth = 0
        for ch in re.sub(r"\\[{}]", "", latex):
            depth += {"{": 1, "}": -1}.get(ch, 0)
            assert depth >= 0, latex
        assert depth == 0, latex
        assert latex.count(r"\begin") == latex.count(r"\end")


def test_chart_of_reads_only_a_leading_bold_chart_name() -> None:
    assert chart_of("**Gradient flow**: look") == "Gradient flow"
    assert chart_of("**Outside [0, 1]**: count") == "Outside [0, 1]"
    assert chart_of("**Nonsense**: no") is None
    assert chart_of("see **Accuracy**") is None


@pytest.mark.parametrize(
    "value", [None, "", "  ", "nope", 42, 3.5, [], ["x"], {"a": 1}, "x" * 10_000, "../etc/passwd", "\x00"]
)
def test_experiment_for_never_raises_on_user_input(value: object) -> None:
    assert experiment_for(value) is None


def test_experiment_for_forgives_case_spaces_and_repeated_query_keys() -> None:
    assert experiment_for("why-log") is WHY_LOG
    assert experiment_for("  Dying-ReLU \n") is DYING_RELU
    assert experiment_for(["softmax-hidden", "mnist-gradient"]) is MNIST_GRADIENT


def test_with_depth_changes_only_the_number_of_hidden_layers() -> None:
    assert VANISHING_DEPTH.extra == "depth" and VANISHING_DEPTH.depth in VANISHING_DEPTH.depths
    for n in VANISHING_DEPTH.depths:
        deeper = VANISHING_DEPTH.with_depth(n)
        assert deeper.depth == n and deeper.labels == VANISHING_DEPTH.labels
        for (_, new), (_, old) in zip(deeper.runs, VANISHING_DEPTH.runs):
            assert new.hidden == (old.hidden[0],) * n
            assert new.replace(hidden=old.hidden) == old
    assert VANISHING_DEPTH.with_depth(VANISHING_DEPTH.depth) == VANISHING_DEPTH
    for bad in (0, MAX_LAYERS + 1, -3, 2.5, True, "6"):
        with pytest.raises(ValueError, match="depth"):
            VANISHING_DEPTH.with_depth(bad)  # type: ignore[arg-type]


def test_an_invalid_experiment_is_refused_in_words() -> None:
    cfg = RunConfig()
    with pytest.raises(ValueError, match="2 to 4 runs"):
        Experiment("x", "X", "X?", (("a", cfg),), (), ())
    with pytest.raises(ValueError, match="same label"):
        Experiment("x", "X", "X?", (("a", cfg), ("a", cfg)), (), ())


# --- the claims, trained ----------------------------------------------------


def test_softmax_hidden_layers_starve_the_first_layer_and_raw_outputs_leave_0_1() -> None:
    usual, softmax_raw, sigmoid_raw = (records(cfg) for cfg in SOFTMAX_HIDDEN.configs)
    for recs in (usual, softmax_raw, sigmoid_raw):
        assert recs[-1]["status"] == "done"
    # Measured at seed 0: ReLU ≈ 2.2, softmax hidden ≈ 0.15 (about 15 times smaller).
    assert mean_ratio(softmax_raw) < mean_ratio(usual) / 5
    # A softmax output never leaves [0, 1]; the raw outputs of the trained networks do.
    assert usual[-1]["out_rows"] == 0
    assert softmax_raw[-1]["out_rows"] > 0
    assert sigmoid_raw[-1]["out_rows"] > 0
    # The usual recipe learns the moons; ReLU's own weak spot, dead units, is there to see.
    assert usual[-1]["test_acc"] >= 0.95
    assert usual[-1]["test_acc"] > softmax_raw[-1]["test_acc"]
    assert max(max(r["dead_frac"]) for r in usual) > 0


def test_softmax_and_sigmoid_lines_stay_below_relu_on_how_much_reaches_the_first_layer() -> None:
    recs = [records(cfg) for cfg in SOFTMAX_HIDDEN.configs]
    assert len({tuple(r["step"] for r in run) for run in recs}) == 1, "records at the same steps"
    usual, softmax_raw, sigmoid_raw = (reach(run) for run in recs)
    for weak in (softmax_raw, sigmoid_raw):
        # "their lines stay below the ReLU line": measured at seed 0, in 100% and 99.6% of records
        assert np.mean(weak < usual) >= 0.95
        # "mostly below the dashed line at 1": measured 99.2% and 99.6% of records
        assert np.mean(weak < 1) >= 0.9
        # and far below it on the log scale: medians about 0.057 and 0.14 against ReLU's 2.2
        assert np.median(weak) < np.median(usual) / 10
    # "The ReLU line rises to about 1 or above": it starts below 1 and its second half sits at or
    # above 1 (measured: first record about 0.26, median of the second half about 2.6)
    assert usual[0] < 1 <= np.median(usual[len(usual) // 2 :])


def test_cross_entropy_reaches_90_percent_in_fewer_steps_than_squared_error() -> None:
    ce, mse = (records(cfg) for cfg in WHY_LOG.configs)
    assert ce[0]["test_acc"] == pytest.approx(mse[0]["test_acc"], abs=0.05)  # same start
    steps_ce, steps_mse = first_step_reaching(ce, 0.9), first_step_reaching(mse, 0.9)
    # Measured at seed 0: about 46 steps against 330.
    assert steps_ce < math.inf
    assert steps_ce * 3 <= steps_mse
    # While the answers are confidently wrong, cross-entropy pushes the outputs harder.
    assert ce[0]["out_grad_mean_abs"] > 2 * mse[0]["out_grad_mean_abs"]
    # and "Gradient flow" shows it: the output layer's weight gradient over the first tenth of the
    # records (measured at seed 0: about 0.80 against 0.26)
    early = len(ce) // 10
    assert np.mean([r["grad_norm"][-1] for r in ce[:early]]) > 2 * np.mean(
        [r["grad_norm"][-1] for r in mse[:early]]
    )


def test_cross_entropy_pushes_the_confidently_wrong_examples_hardest() -> None:
    """The "Who gets pushed" bullet: on the far left, cross-entropy's dots are high, squared error's low."""
    ce, mse = (views(cfg) for cfg in WHY_LOG.configs)
    # The first view, at the first record (10 steps in, from the same starting weights): most
    # test points are still confidently wrong for both (measured at seed 0: 166 and 199 of the
    # 200; cross-entropy has already moved some out of the corner).
    first_ce, first_mse = wrong_pushes(ce[0]), wrong_pushes(mse[0])
    assert len(first_mse) >= len(first_ce) > 0.8 * len(ce[0]["pushes"]["push"])
    # Measured at seed 0: pushed about 0.94 against 0.11.
    assert first_ce.mean() > 5 * first_mse.mean()
    assert np.median(first_ce) > 0.8  # 1 − p with p < 0.2: never below 0.8
    # Over the whole run, every confidently wrong dot each view showed: about 0.91 against 0.13.
    all_ce, all_mse = (np.concatenate([wrong_pushes(v) for v in run]) for run in (ce, mse))
    assert all_ce.mean() > 3 * all_mse.mean()
    # By the end most dots sit on the right, pushed gently by both losses: median probability
    # about 0.95 and 0.83, mean push about 0.07 and 0.09.
    for run in (ce, mse):
        assert np.median(run[-1]["pushes"]["p_right"]) > 0.5
        assert run[-1]["pushes"]["push"].mean() < 0.2


@pytest.fixture(scope="module")
def mnist_split() -> Dataset:
    """The shared MNIST test set as 8,000 training and 2,000 test digits, read in place."""
    images, labels = SHARED_MNIST / "t10k-images-idx3-ubyte.gz", SHARED_MNIST / "t10k-labels-idx1-ubyte.gz"
    if not images.is_file():
        pytest.skip(f"MNIST test files not found in {SHARED_MNIST}")
    x = read_idx(images).reshape(-1, 784)
    y = read_idx(labels).long()
    return Dataset(x[:8000], y[:8000], x[8000:], y[8000:], 10, "mnist test split")


@pytest.fixture(scope="module")
def mnist_runs(mnist_split: Dataset) -> dict[str, tuple[list[dict], torch.nn.Module]]:
    """Each MNIST recipe trained for one epoch: its records and its final model."""
    runs = {}
    for label, cfg in MNIST_GRADIENT.runs:
        models: list[torch.nn.Module] = []
        recs = list(
            train(
                cfg.replace(epochs=1, device="cpu"),
                dataset=mnist_split,
                on_record=lambda model, record, keep=models: keep.append(model),
            )
        )
        assert recs[-1]["status"] == "done"
        runs[label] = (recs, models[-1])
    return runs


def _engine_output_gradient(
    loss: str, output: str, logits: torch.Tensor, target: torch.Tensor
) -> torch.Tensor:
    z = logits.detach().clone().requires_grad_(True)
    loss_fn(loss)(z, target, output).backward()
    return z.grad


def test_mnist_output_gradients_match_the_formulas_on_a_real_batch(
    mnist_split: Dataset, mnist_runs: dict
) -> None:
    x_batch = mnist_split.x_test[:256].float() / 255
    y_batch = mnist_split.y_test[:256]
    target = F.one_hot(y_batch, 10).float()
    for _, model in mnist_runs.values():
        with torch.no_grad():
            logits = model(x_batch)
        # theory.gradient_check: autograd against the closed forms, in float64, on this real batch
        check = theory.gradient_check(logits, y_batch)
        assert check["ok"] and check["ce_max_diff"] < 1e-12 and check["mse_max_diff"] < 1e-12
        # and the engine's own losses (float32, mean over the batch) have the gradients the text states
        o_soft, o_sig = torch.softmax(logits, 1), torch.sigmoid(logits)
        ce = _engine_output_gradient("cross_entropy", "softmax", logits, target)
        mse = _engine_output_gradient("mse", "sigmoid", logits, target)
        assert torch.allclose(ce, (o_soft - target) / len(logits), rtol=0, atol=1e-7)
        assert torch.allclose(
            mse, 2 * (o_sig - target) * o_sig * (1 - o_sig) / len(logits), rtol=0, atol=1e-7
        )


def test_mnist_softmax_cross_entropy_learns_faster_and_pushes_harder(mnist_runs: dict) -> None:
    ce_recs, _ = mnist_runs["softmax + cross-entropy"]
    mse_recs, _ = mnist_runs["sigmoid + squared error"]
    # Measured after one epoch on 8,000 digits: about 0.92 against 0.80.
    assert ce_recs[-1]["test_acc"] > mse_recs[-1]["test_acc"] + 0.05
    assert np.mean([r["test_acc"] for r in ce_recs]) > np.mean([r["test_acc"] for r in mse_recs])
    # Mean |dL/dz| per example at the output, over the epoch: about 0.080 against 0.045.
    push_ce = np.mean([r["out_grad_mean_abs"] for r in ce_recs])
    push_mse = np.mean([r["out_grad_mean_abs"] for r in mse_recs])
    assert push_ce > push_mse


def test_mnist_cross_entropy_pushes_the_confidently_wrong_digits_hardest(
    mnist_split: Dataset, mnist_runs: dict
) -> None:
    """The "Who gets pushed" bullet on MNIST, on the view each trained network's page receives."""
    wrong = {}
    for label, cfg in MNIST_GRADIENT.runs:
        recs, model = mnist_runs[label]
        wrong[label] = wrong_pushes(model_view(model, mnist_split, cfg, recs[-1]))
    ce, mse = wrong["softmax + cross-entropy"], wrong["sigmoid + squared error"]
    assert len(ce) > 0 and len(mse) > 0
    # Measured after one epoch, of 256 test digits: 6 pushed about 0.87 against 53 pushed 0.16.
    assert ce.mean() > 3 * mse.mean()
    # Squared error through a sigmoid never pushes harder than 2·(2/3)²·(1/3) = 8/27 ≈ 0.30.
    assert mse.max() <= 8 / 27 + 1e-6


@pytest.fixture(scope="module")
def confident_runs(mnist_split: Dataset) -> dict[str, tuple[list[dict], dict, torch.nn.Module]]:
    """The four runs of the confident-wrong card, at their own settings on the 8,000 shared digits:
    each run's records, the view its page receives with the first record, and its final model."""
    runs = {}
    for label, cfg in CONFIDENT_WRONG.runs:
        views: list[dict] = []
        models: list[torch.nn.Module] = []

        def keep(model, record, cfg=cfg, views=views, models=models):
            if not views:
                views.append(model_view(model, mnist_split, cfg, record))
            models[:] = [model]

        recs = list(train(cfg.replace(device="cpu"), dataset=mnist_split, on_record=keep))
        assert recs[-1]["status"] == "done"
        runs[label] = (recs, views[0], models[0])
    return runs


def _first_answers(cfg: RunConfig, dataset: Dataset) -> np.ndarray:
    """The probability each test digit gets for its right digit from the run's starting weights."""
    torch.manual_seed(cfg.seed)  # as train() does, just before it builds the model
    model = build_model(cfg, 784, 10)
    with torch.no_grad():
        probs = model.predict_proba(dataset.x_test.reshape(-1, 784).float() / 255)
    return probs[torch.arange(len(probs)), dataset.y_test].numpy()


def test_confident_wrong_runs_differ_only_in_loss_and_starting_scale(mnist_split: Dataset) -> None:
    """The Accuracy bullet's set-up: same network and data order; the confident start is the gentle
    one's weights times 100, and most of its first answers are confidently wrong."""
    configs = dict(CONFIDENT_WRONG.runs)
    ce_gentle, mse_gentle, ce_conf, mse_conf = CONFIDENT_WRONG.configs
    assert list(configs) == [
        "cross-entropy, gentle start",
        "squared error, gentle start",
        "cross-entropy, confident start",
        "squared error, confident start",
    ]
    assert ce_gentle.hidden == () and ce_gentle.output_activation == "softmax"
    for cfg in CONFIDENT_WRONG.configs:
        assert cfg.replace(loss="mse", init_std=ce_gentle.init_std) == mse_gentle
    assert (ce_gentle.loss, mse_gentle.loss, ce_conf.loss, mse_conf.loss) == ("cross_entropy", "mse") * 2
    assert ce_conf.init_std == mse_conf.init_std == 100 * ce_gentle.init_std == 100 * mse_gentle.init_std
    weights = []
    for cfg in (ce_gentle, ce_conf):
        torch.manual_seed(cfg.seed)
        weights.append(build_model(cfg, 784, 10).linears[-1].weight.detach())
    torch.testing.assert_close(weights[1], 100 * weights[0])
    # "every first answer is close to 1/10": measured 0.07 to 0.14 for the right digit
    gentle = _first_answers(ce_gentle, mnist_split)
    assert gentle.min() > 0.05 and gentle.max() < 0.2
    # "most first answers are confidently wrong": measured 88% below 0.2 (80% below 0.01)
    assert np.mean(_first_answers(ce_conf, mnist_split) < CONFIDENTLY_WRONG) > 0.5


def test_the_log_matters_from_a_confident_start_not_from_a_gentle_one(confident_runs: dict) -> None:
    acc = {label: recs[-1]["test_acc"] for label, (recs, _, _) in confident_runs.items()}
    ce_gentle, mse_gentle, ce_conf, mse_conf = (acc[label] for label in CONFIDENT_WRONG.labels)
    # Measured at seed 0 on the shared split: gentle 0.9245 against 0.9250, confident 0.8945
    # against 0.5925 (the published softmax regression on 8×8 digits: 96.9/96.6 and 95.1/58.1).
    assert abs(ce_gentle - mse_gentle) <= 0.03
    assert ce_conf >= mse_conf + 0.15
    # "cross-entropy climbs back to not far below the gentle runs"; "squared error creeps up slowly"
    assert ce_conf > min(ce_gentle, mse_gentle) - 0.06
    mse_recs = confident_runs["squared error, confident start"][0]
    assert mse_recs[-1]["test_acc"] > mse_recs[0]["test_acc"] + 0.2  # measured 0.14 to 0.59


def test_from_the_confident_start_cross_entropy_pushes_the_confidently_wrong_digits_hardest(
    confident_runs: dict,
) -> None:
    """The Who gets pushed and Gradient flow bullets, early in the two confident runs."""
    ce_recs, ce_view, _ = confident_runs["cross-entropy, confident start"]
    mse_recs, mse_view, _ = confident_runs["squared error, confident start"]
    ce, mse = wrong_pushes(ce_view), wrong_pushes(mse_view)
    # Measured in the first view, of 256 test digits: 145 pushed 0.98 against 220 pushed 0.022.
    assert len(ce) > 0 and len(mse) > 0
    assert ce.mean() > 10 * mse.mean()
    assert np.median(ce) > 0.8  # "near the top": 1 − p with p < 0.2
    assert np.median(mse) < 0.1  # "most of squared error's lie near the bottom"
    # Gradient flow, over the first tenth of the records: measured 1.59 against 0.36.
    early = len(ce_recs) // 10
    assert np.mean([r["grad_norm"][-1] for r in ce_recs[:early]]) > 2 * np.mean(
        [r["grad_norm"][-1] for r in mse_recs[:early]]
    )


def test_softmax_squared_error_pushes_the_right_score_by_minus_2p_times_the_loss(
    mnist_split: Dataset, confident_runs: dict
) -> None:
    """The card's formulas, on random scores and on a trained network's real ones."""
    torch.manual_seed(0)
    scores = [torch.randn(4096, 10, dtype=torch.float64) * torch.rand(4096, 1, dtype=torch.float64) * 30]
    _, _, model = confident_runs["squared error, confident start"]
    with torch.no_grad():
        scores.append(model(mnist_split.x_test[:512].float() / 255).double())
    for z, y in zip(scores, (torch.randint(0, 10, (4096,)), mnist_split.y_test[:512])):
        target = F.one_hot(y, 10).double()
        rows = torch.arange(len(y))
        o = torch.softmax(z, 1)
        p, loss = o[rows, y], ((o - target) ** 2).sum(1)
        mse = _engine_output_gradient("mse", "softmax", z, target)[rows, y] * len(z)
        ce = _engine_output_gradient("cross_entropy", "softmax", z, y)[rows, y] * len(z)
        torch.testing.assert_close(mse, -2 * p * loss, rtol=0, atol=1e-12)
        torch.testing.assert_close(ce, p - 1, rtol=0, atol=1e-12)
        assert bool(
            (2 * p * (1 - p) ** 2 <= -mse + 1e-15).all() and (-mse <= 4 * p * (1 - p) ** 2 + 1e-15).all()
        )


def test_deep_sigmoid_first_layer_gradient_falls_by_orders_of_magnitude() -> None:
    def first_layer(exp: Experiment, label: str) -> float:
        return float(np.mean([r["grad_norm"][0] for r in run_of(exp, label)]))

    shallow, deep = VANISHING_DEPTH.with_depth(2), VANISHING_DEPTH.with_depth(6)
    sigmoid_drop = first_layer(deep, "sigmoid hidden layers") / first_layer(shallow, "sigmoid hidden layers")
    relu_drop = first_layer(deep, "ReLU hidden layers") / first_layer(shallow, "ReLU hidden layers")
    # Measured at seed 0: sigmoid falls about 10,000-fold, ReLU does not fall at all.
    assert sigmoid_drop < 1e-2
    assert relu_drop > 0.1
    # Too little gradient to learn: the deep sigmoid network stays near guessing; ReLU learns.
    assert run_of(deep, "sigmoid hidden layers")[-1]["test_acc"] < 0.7
    assert run_of(deep, "ReLU hidden layers")[-1]["test_acc"] > 0.85


def test_every_sigmoid_layer_beyond_two_lowers_how_much_reaches_the_first_layer() -> None:
    def median_reach(n: int, label: str) -> float:
        return float(np.median(reach(run_of(VANISHING_DEPTH.with_depth(n), label))))

    sigmoid = [median_reach(n, "sigmoid hidden layers") for n in range(2, MAX_LAYERS + 1)]
    # Measured at seed 0, depths 2 to 8: about 0.26, 0.20, 2e-3, 2e-4, 1e-5, 2e-6, 3e-7.
    assert all(deeper < shallower for shallower, deeper in zip(sigmoid, sigmoid[1:])), sigmoid
    # At the default depth the sigmoid line lies many powers of ten below 1, in every record
    # (measured: at most about 2e-4).
    assert VANISHING_DEPTH.depth == 6
    assert reach(run_of(VANISHING_DEPTH, "sigmoid hidden layers")).max() < 1e-3
    # The ReLU line stays near 1 at every depth (measured medians 2.2, 1.1, 0.9, 0.4 at 2, 4, 6, 8).
    for n in (2, 4, 6, MAX_LAYERS):
        assert 0.1 < median_reach(n, "ReLU hidden layers") < 10


def test_large_steps_kill_relu_units_and_leaky_relu_units_never_die() -> None:
    def dead(label: str) -> float:
        return float(np.mean(run_of(DYING_RELU, label)[-1]["dead_frac"]))

    large, leaky, normal = DYING_RELU.labels
    # Measured at seed 0: about 55% dead with large steps, 19% with normal ones, 0% leaky.
    assert dead(large) > 0.4
    assert dead(large) > 2 * dead(normal)
    assert dead(leaky) == 0.0
    # Dead units rarely come back: at the end there are at least as many as a quarter of the way in.
    large_recs = run_of(DYING_RELU, large)
    quarter = large_recs[len(large_recs) // 4]
    assert np.mean(large_recs[-1]["dead_frac"]) >= np.mean(quarter["dead_frac"])


def test_hidden_units_of_large_steps_relu_are_seen_flat_at_0_and_leaky_never() -> None:
    """The Hidden units squares of the dying-ReLU card: a unit is dark all over when it outputs
    exactly 0 at every point of the plane, which covers every example."""

    def flat_at_0(label: str) -> int:
        _, model, dataset = trained(dict(DYING_RELU.runs)[label])
        grids = unit_grids(model, dataset)
        assert grids["widths"] == [len(v) for v in grids["values"]]  # 32 + 32: every unit drawn
        return sum(int((values == 0).all(axis=1).sum()) for values in grids["values"])

    large, leaky, normal = DYING_RELU.labels
    units = sum(dict(DYING_RELU.runs)[large].hidden)
    # Measured at seed 0: 31 of 64 units flat at 0 with large steps, 12 with normal ones, 0 leaky.
    assert flat_at_0(large) > 0.4 * units
    assert flat_at_0(large) >= 2 * flat_at_0(normal)
    assert flat_at_0(leaky) == 0


def test_softmax_hidden_units_share_a_total_of_1_and_compete_for_regions() -> None:
    """The Hidden units squares of the softmax-hidden card: at every point of the plane a softmax
    layer's units add up to 1, and different units are the brightest in different places."""
    _, model, dataset = trained(dict(SOFTMAX_HIDDEN.runs)["softmax → nothing, squared error"])
    grids = unit_grids(model, dataset)
    for values, width in zip(grids["values"], grids["widths"], strict=True):
        assert len(values) == width  # 32 units: all drawn, so all of the total is on the page
        # float16 outputs (3 significant digits each): 32 of them add up to 1 within 1e-3
        np.testing.assert_allclose(values.astype(np.float64).sum(axis=0), 1.0, rtol=0, atol=1e-3)
        # Measured at seed 0: 4 different units are the brightest somewhere in layer 1, 2 in layer 2.
        assert len(np.unique(values.argmax(axis=0))) >= 2
