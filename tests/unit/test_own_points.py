"""Your own points: the link's code read and written, junk refused in words, the dataset built."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnexplore import own_points
from nnexplore.config import RunConfig, run_size, with_recipe
from nnexplore.data import load_dataset, make_own, make_toy
from nnexplore.links import LinkRules, link_params, parse_link
from nnexplore.own_points import MAX_POINTS, STARTER, STARTER_TEXT, Point
from nnexplore.problems import n_classes, n_outputs, n_train, recipe_problem, start_problem
from nnexplore.views import offered

levels = st.integers(0, own_points.LEVELS - 1)
#: Points as the link can hold them: on the plane's levels, classes 0 to 3.
placed_points = st.lists(
    st.tuples(levels.map(own_points.coordinate), levels.map(own_points.coordinate), st.integers(0, 3)),
    max_size=MAX_POINTS,
).map(tuple)


@settings(max_examples=300, deadline=None)
@given(placed_points)
def test_format_and_parse_round_trip_three_characters_a_point(points: tuple[Point, ...]):
    text = own_points.format(points)
    assert len(text) == 3 * len(points)
    assert set(text) <= set(own_points.ALPHABET)  # base64url: nothing a URL escapes
    assert own_points.parse(text) == (points, None)
    assert own_points.format(own_points.parse(text)[0]) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(own_points.ALPHABET), max_size=60).map("".join))
def test_every_code_of_whole_points_names_a_point_on_the_plane(text: str):
    text = text[: len(text) - len(text) % 3]
    points, problem = own_points.parse(text)
    assert problem is None and len(points) == len(text) // 3
    assert own_points.check(points) is None
    assert own_points.format(points) == text  # one text per set of points


@given(
    st.lists(
        st.tuples(st.floats(-2, 2), st.floats(-2, 2), st.integers(0, 3)), min_size=1, max_size=MAX_POINTS
    )
)
def test_any_point_on_the_plane_is_kept_within_half_a_level(points: list[Point]):
    back, _ = own_points.parse(own_points.format(points))
    step = 4 / 255
    for (x, y, c), (bx, by, bc) in zip(points, back):
        assert abs(x - bx) <= step / 2 + 1e-9 and abs(y - by) <= step / 2 + 1e-9 and c == bc


def test_the_corners_and_an_example():
    assert own_points.format([(-2.0, -2.0, 0), (2.0, 2.0, 1)]) == "AAA__9"
    assert own_points.parse("AAA__9") == (((-2.0, -2.0, 0), (2.0, 2.0, 1)), None)
    assert own_points.parse("") == ((), None)  # an empty plane is a plane


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("!!!", "'!'"),
        ("AAAB", "not a whole number of points"),
        ("A A", "' '"),
        ("AAA=", "not a whole number"),
        ("<script>alert(1)</script>", "not a whole number"),
        ("é" * 3, "'é'"),
        ("A" * 603, "more than the 600 characters"),
        ("A" * 1_000_000, "1,000,000 characters"),
        (None, "not text"),
        (123, "not text"),
        (["AAA"], "not text"),
    ],
)
def test_junk_is_a_sentence_and_the_starter_points_never_an_exception(text, words):
    points, problem = own_points.parse(text)
    assert points == STARTER
    assert words in problem and problem.endswith(own_points.USED_INSTEAD)
    assert len(problem) < 300  # a huge text is never repeated


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=700), st.binary(max_size=50), st.integers(), st.none()))
def test_parse_never_raises(text):
    points, problem = own_points.parse(text)
    assert own_points.check(points) is None
    assert problem is None or (isinstance(problem, str) and problem.endswith("instead."))


@pytest.mark.parametrize(
    ("points", "words"),
    [
        ([(2.5, 0.0, 0)], "off the plane"),
        ([(0.0, -2.01, 1)], "between -2 and 2"),
        ([(float("nan"), 0.0, 0)], "off the plane"),
        ([(0.0, 0.0, 4)], "classes are 0 to 3"),
        ([(0.0, 0.0, -1)], "class -1"),
        ([(0.0, 0.0, 1.0)], "class 1.0"),
        ([(0.0, 0.0, True)], "class True"),
        ([(0.0, 0.0)], "not an (x, y, class)"),
        ([(0.0, 0.0, 0)] * (MAX_POINTS + 1), "201 points"),
    ],
)
def test_points_off_the_plane_or_of_a_bad_class_cannot_be_written(points, words):
    assert words in own_points.check(points)
    with pytest.raises(ValueError, match="(?i)point|class"):
        own_points.format(points)


@pytest.mark.parametrize(
    ("points", "words"),
    [
        ((), "The plane is empty"),
        (((0.0, 0.0, 0), (1.0, 1.0, 1)), "2 points are too few"),
        (((0.0, 0.0, 0),), "1 point is too few"),
        (((0.0, 0.0, 2),) * 6, "Every point is of class 2"),
        (((0.0, 0.0, 0),) * 4 + ((1.0, 1.0, 1),), "Every point trained on is of class 0"),
    ],
)
def test_too_few_points_or_classes_cannot_train_and_say_so(points, words):
    problem = own_points.cannot_train(points)
    assert words in problem
    cfg = RunConfig(dataset="own", points=own_points.format(points))  # a valid setting all the same
    assert start_problem(cfg) == problem
    with pytest.raises(ValueError, match=words.split()[-1]):
        make_own(points)


def test_the_starter_points_can_train_and_other_datasets_have_no_start_problem():
    assert own_points.cannot_train(STARTER) == ""
    assert start_problem(RunConfig(dataset="own")) == ""
    assert start_problem(RunConfig(dataset="moons", points="")) == ""  # points matter for own only


def test_the_dataset_keeps_the_classes_and_every_fifth_point_for_testing():
    points = [(-1.0 + 0.1 * i, 0.5 * (i % 3) - 0.5, i % 3) for i in range(12)]
    ds = make_own(points, noise=0.0)
    placed = own_points.snap(points)
    assert ds.name == "own" and ds.num_classes == 3 and ds.n_features == 2
    expected_test = torch.tensor([[x, y] for x, y, _ in (placed[4], placed[9])])
    assert torch.allclose(ds.x_test, expected_test)
    assert ds.y_test.tolist() == [placed[4][2], placed[9][2]]
    train = sorted(
        (round(x, 5), round(y, 5), c) for (x, y), c in zip(ds.x_train.tolist(), ds.y_train.tolist())
    )
    expected = [p for i, p in enumerate(placed) if i not in (4, 9)]
    assert train == sorted((round(x, 5), round(y, 5), c) for x, y, c in expected)
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64


def test_noise_jitters_from_the_seed_and_the_text_gives_the_same_data():
    a = make_own(STARTER_TEXT, noise=0.2, seed=3)
    b = make_own(STARTER, noise=0.2, seed=3)
    c = make_own(STARTER, noise=0.2, seed=4)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.x_test, b.x_test)
    assert not torch.equal(a.x_test, c.x_test)
    clean = make_own(STARTER, noise=0.0)
    moved = (a.x_test - clean.x_test).abs()
    assert 0 < moved.max() < 0.5  # noise 0.2 × 0.5 plane units: steps of about 0.1


def test_classes_count_up_to_the_highest_used():
    two_and_zero = ((0.0, 0.0, 0), (1.0, 0.0, 2)) * 3
    assert own_points.n_classes(two_and_zero) == 3
    assert own_points.n_classes(((0.0, 0.0, 0),)) == 2  # at least 2 outputs
    assert make_own(two_and_zero).num_classes == 3
    text = own_points.format(two_and_zero)
    assert n_classes(RunConfig(dataset="own", points=text)) == 3
    assert n_classes(RunConfig(dataset="blobs", points=text)) == 4  # the points are not blobs'
    assert n_classes(RunConfig(dataset="own")) == 2


def test_a_regression_has_no_classes_one_output_and_no_start_problem_beside_your_own_points():
    sine = RunConfig(dataset="sine", output_activation="none", loss="mse", hidden=(16,))
    own = RunConfig(dataset="own", points=own_points.format(((0.0, 0.0, 0), (1.0, 0.0, 2)) * 3))
    assert (n_classes(sine), n_outputs(sine), n_train(sine)) == (0, 1, 800)  # chance has no classes
    assert (n_classes(own), n_outputs(own), n_train(own)) == (3, 3, 5)
    assert run_size(sine) == (25 * 20, float(1 * 16 + 16 + 16 * 1 + 1) * 800 * 20)  # 1 → 16 → 1
    assert start_problem(sine) == "" and recipe_problem(sine) == "" and recipe_problem(own) == ""
    assert with_recipe({"dataset": "own"})["loss"] == "cross_entropy"  # your own points are classes
    assert offered(["own", "sine"], hidden=True) == (
        "accuracy", "r2", "loss", "outside", "units", "gradient_flow", "reach", "layers",
        "regions", "fit", "pushes", "hidden_units",
    )  # fmt: skip


def test_load_dataset_builds_your_own_points_and_shares_them():
    cfg = RunConfig(dataset="own", noise=0.0)
    first = load_dataset(cfg)
    assert first is load_dataset(cfg) and len(first.x_train) == 10 and len(first.x_test) == 2
    with pytest.raises(ValueError, match="make_own"):
        make_toy("own")


def test_the_run_size_counts_the_points_trained_on_and_their_classes():
    cfg = RunConfig(dataset="own", hidden=(4,), epochs=3, batch_size=4)
    steps, work = run_size(cfg)
    assert steps == 3 * 3  # 10 training points in batches of 4: 3 steps an epoch
    assert work == (2 * 4 + 4 + 4 * 2 + 2) * 10 * 3


@pytest.mark.parametrize("bad", ["!!!", "AAAB", "A" * 603, 12])
def test_run_config_refuses_a_bad_points_code_like_any_bad_setting(bad):
    with pytest.raises(ValueError, match=r"Your own points \(points\)"):
        RunConfig(dataset="own", points=bad)


def test_a_link_with_a_bad_points_code_says_so_and_keeps_the_starter_points():
    cfg, problems = RunConfig.from_query_params({"dataset": "own", "points": "A" * 5000, "epochs": "3"})
    assert cfg.dataset == "own" and cfg.points == STARTER_TEXT and cfg.epochs == 3
    (problem,) = problems
    assert "5,000 characters long" in problem and problem.endswith("The starter points were used instead.")
    assert "A" * 50 not in problem


@settings(max_examples=100, deadline=None)
@given(
    placed_points,
    st.lists(st.sampled_from(["dataset", "points", "noise", "epochs"])),
    st.lists(st.sampled_from(["dataset", "points", "noise", "epochs"])),
)
def test_a_drawn_datasets_link_round_trips(points, locked, hidden):
    cfg = RunConfig(dataset="own", points=own_points.format(points))
    rules = LinkRules.of(locked, hidden)
    params = link_params(cfg, rules)
    assert params["points"] == own_points.format(points) and params["dataset"] == "own"
    assert parse_link(params) == (cfg, rules, [])
    assert own_points.parse(parse_link(params)[0].points)[0] == points


def test_runs_on_two_drawings_are_named_by_their_count_of_points_not_their_code():
    from nnexplore.ui.charts.labels import run_labels

    more = own_points.format([*STARTER, (0.0, 0.0, 1)])
    labels = run_labels([RunConfig(dataset="own"), RunConfig(dataset="own", points=more)])
    assert labels == ["ReLU · softmax · CE · 12 own points", "ReLU · softmax · CE · 13 own points"]
