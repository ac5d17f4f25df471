"""A run's timeline: which records get a frame, what a frame keeps, and the charts that play them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnexplore import moments
from nnexplore.ui.charts import images, predictions, regions, timeline, units


@given(st.integers(1, 5000), st.integers(2, 60))
def test_timeline_records_are_few_first_and_last_and_denser_early(n_records, frames):
    picked = sorted(moments.timeline_records(n_records, frames))
    assert picked[0] == 0 and picked[-1] == n_records - 1
    assert len(picked) == n_records if n_records <= frames else 2 <= len(picked) <= frames
    assert all(0 <= i < n_records for i in picked)
    if frames >= 10 and n_records >= 10 * frames:  # denser early: the first tenth gets more frames
        early = sum(i < n_records / 10 for i in picked)
        late = sum(i >= n_records * 9 / 10 for i in picked)
        assert early > 2 * late


def _view(step: int, epoch: float, classes: int = 2) -> dict:
    rng = np.random.default_rng(step)
    n = 9
    xs = np.repeat(np.linspace(-1, 1, 3), 3)
    return {
        "step": step,
        "epoch": epoch,
        "grid": {
            "x": xs,
            "y": np.tile(np.linspace(-1, 1, 3), 3),
            "cls": rng.integers(0, classes, n),
            "confidence": rng.random(n).astype(np.float32),
        },
        "units": {"x": xs, "y": xs, "values": [rng.random((4, n)).astype(np.float16)]},
        "pushes": {"p_right": rng.random(5), "push": rng.random(5)},
        "points": {"x": xs, "y": xs, "label": np.zeros(n, int), "split": np.array(["train"] * n)},
    }


def test_a_frame_keeps_what_changes_small_and_leaves_out_what_does_not():
    view = _view(10, 0.4)
    frame = moments.frame_of(view)
    assert (frame["step"], frame["epoch"]) == (10, 0.4)
    assert "points" not in frame and "x" not in frame["grid"]  # the same at every moment
    assert frame["grid"]["cls"].dtype == np.uint8 and frame["grid"]["confidence"].dtype == np.float16
    np.testing.assert_array_equal(frame["grid"]["cls"], view["grid"]["cls"])
    np.testing.assert_allclose(frame["grid"]["confidence"], view["grid"]["confidence"], atol=1e-3)
    (layer,) = frame["units"]
    assert layer["shape"] == (4, 9) and layer["packed"].dtype == np.uint8
    np.testing.assert_allclose(
        moments.unit_values(layer), view["units"]["values"][0], atol=(layer["high"] - layer["low"]) / 254
    )
    arrays = (
        *frame["grid"].values(),
        *frame["pushes"].values(),
        layer["low"],
        layer["high"],
        layer["packed"],
    )
    assert moments.frame_bytes(frame) == sum(a.nbytes for a in arrays) + 2 * 8 + 2 * 8  # step, epoch, shape


@settings(max_examples=60, deadline=None)
@given(
    widths=st.lists(st.integers(1, 40), min_size=1, max_size=5),
    dead=st.booleans(),
    broken=st.booleans(),
)
def test_unit_codes_keep_whole_layers_within_the_budget_and_read_back_within_a_level(
    widths: list[int], dead: bool, broken: bool
):
    rng = np.random.default_rng(len(widths))
    layers = [np.maximum(rng.normal(size=(w, 25)), 0).astype(np.float16) for w in widths]
    if dead:
        layers[0][0] = 0.0  # a dead ReLU unit: exactly 0 everywhere
    if broken:
        layers[-1][-1, 3] = np.nan  # a diverged output (in the dead unit too, when it is the only one)
    kept = moments.unit_codes(layers, budget=64)
    n_kept = len(kept)
    assert sum(widths[:n_kept]) <= 64 and (n_kept == len(widths) or sum(widths[: n_kept + 1]) > 64)
    for layer, values in zip(kept, layers, strict=False):
        back = moments.unit_values(layer)
        finite = np.isfinite(values)
        np.testing.assert_array_equal(np.isfinite(back), finite)
        step = (float(layer["high"]) - float(layer["low"])) / moments.LEVELS
        assert np.abs(back[finite] - values[finite].astype(float)).max() <= step / 2 + 1e-3
    if dead and kept:  # still exactly 0 (where finite): read as dead
        assert (np.nan_to_num(moments.unit_values(kept[0])[0]) == 0.0).all()


def test_the_hidden_units_follow_the_timeline_with_their_state_at_each_moment():
    xs, ys = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 3))
    grid = {"x": xs.ravel(), "y": ys.ravel()}
    alive = np.linspace(0.0, 2.0, 9)
    early = {**grid, "values": [np.stack([alive, alive])]}
    late = {**grid, "values": [np.stack([np.zeros(9), 2 * alive])]}  # unit 1 dies
    frames = [
        {**moments.frame_of({"step": s, "epoch": e, "units": v})}
        for s, e, v in ((5, 0.5, early), (9, 3.0, late))
    ]
    table = units.unit_moments(late, frames, 0)
    assert sorted(table["t"].unique()) == [0.5, 3.0] and len(table) == 2 * 2 * 9
    assert units.unit_moments(late, frames, 1).empty  # a layer no moment kept
    tiles, (low, high) = units.unit_tiles(table, "relu")
    assert (low, high) == (0.0, pytest.approx(4.0, abs=0.01))  # one scale over every moment
    assert tiles[tiles["unit"] == 1]["state"].tolist() == ["", "dead"]
    assert tiles[tiles["unit"] == 2]["state"].tolist() == ["", ""]
    spec = units.units_chart(table, "relu").to_dict()
    assert spec["params"][0]["name"] == timeline.PARAM
    facet = spec["vconcat"][0]
    assert facet["facet"]["sort"] == ["unit 1", "unit 2"]  # one square per unit, not per moment
    for layer in facet["spec"]["layer"]:  # the square and its state word: the slider's moment
        assert {"filter": timeline.IN_MOMENT} in layer["transform"]
    shown = [row for row in spec["datasets"][facet["data"]["name"]] if row["unit"] == 1]
    assert [(row["t0"], row["t1"]) for row in shown] == [(-1.0, 3.0), (3.0, 2 * timeline.END)]


def test_spans_cover_every_epoch_once():
    spans = timeline.spans([0.5, 1.0, 3.0])
    for t in (0.0, 0.2, 0.5, 0.7, 1.0, 2.9, 3.0, 40.0, timeline.END):  # the slider starts at 0
        inside = spans[(spans["t0"] <= t) & (t < spans["t1"])]
        assert len(inside) == 1
        assert inside["t"].iloc[0] == max([0.5, *[s for s in (0.5, 1.0, 3.0) if s <= t]])


def test_the_decision_chart_of_a_timeline_holds_one_picture_per_moment_and_follows_the_slider():
    views = [_view(step, epoch) for step, epoch in ((10, 0.4), (20, 0.8), (50, 2.0))]
    grid = timeline.plane_moments(views[-1]["grid"], [moments.frame_of(v) for v in views])
    assert sorted(grid["t"].unique()) == [0.4, 0.8, 2.0] and len(grid) == 27
    spec = regions.decision_chart(grid, pd.DataFrame(views[-1]["points"])).to_dict()
    layer = spec["layer"][0]
    assert {"filter": timeline.IN_MOMENT} in layer["transform"]
    assert spec["params"][0]["name"] == timeline.PARAM and spec["params"][0]["value"] == timeline.END
    pictures = spec["datasets"][layer["data"]["name"]]
    assert [p["t"] for p in pictures] == [0.4, 0.8, 2.0]
    for picture, view in zip(pictures, views, strict=True):  # each moment's own classes, pixel by pixel
        pixels = images.png_pixels(picture["url"])
        cls = view["grid"]["cls"].reshape(3, 3)  # x slowest here: cell (x_i, y_j) is cls[i, j]
        palette = [images.hex_rgb(c) for c in regions.CLASS_PALETTE]
        for i in range(3):
            for j in range(3):
                assert tuple(pixels[2 - j, i, :3]) == palette[cls[i, j]]


def test_a_grid_without_moments_draws_one_picture_and_no_slider():
    view = _view(10, 0.4)
    spec = regions.decision_chart(pd.DataFrame(view["grid"]), pd.DataFrame(view["points"])).to_dict()
    assert "params" not in spec and "transform" not in spec["layer"][0]


def test_the_moment_rule_is_drawn_only_away_from_the_newest():
    spec = timeline.moment_rule().to_dict()
    assert {"filter": f"{timeline.PARAM} < {timeline.END}"} in spec["transform"]
    assert spec["mark"]["type"] == "rule" and spec["encoding"]["x"]["field"] == "epoch"


@pytest.mark.parametrize("n", [1, 2])
def test_plane_moments_of_a_run_without_frames_is_its_grid(n):
    view = _view(10, 0.4)
    grid = timeline.plane_moments(view["grid"], [] if n == 1 else [{"step": 1, "epoch": 0.1}])
    assert "t" not in grid.columns and len(grid) == 9


def test_the_digits_of_a_timeline_draw_their_ink_once_and_their_guesses_per_moment():
    rng = np.random.default_rng(4)
    ink = [np.where(rng.random(784) < 0.3, 255.0, 0.0) for _ in range(4)]
    rows = [
        {"pixels": ink[k], "label": k, "pred": guesses[k], "confidence": 0.9, "t": t}
        for t, guesses in ((0.5, [1, 1, 1, 1]), (2.0, [0, 1, 2, 3]))
        for k in range(4)
    ]
    df = pd.DataFrame(rows).merge(timeline.spans([0.5, 2.0]), on="t")
    spec = predictions.digits_chart(df, columns=2).to_dict()
    tiles, pixels, text = spec["layer"]
    assert {"filter": timeline.IN_MOMENT} in tiles["transform"] and {"filter": timeline.IN_MOMENT} in text[
        "transform"
    ]
    alone = predictions.digits_chart(df[df["t"] == 2.0].drop(columns=["t", "t0", "t1"]), columns=2).to_dict()
    drawn = spec["datasets"][pixels["data"]["name"]]
    assert len(drawn) == len(alone["datasets"][alone["layer"][1]["data"]["name"]])  # the ink once
    captions = spec["datasets"][text["data"]["name"]]
    early = [c for c in captions if c["t"] == 0.5]
    late = [c for c in captions if c["t"] == 2.0]
    assert [c["outcome"] for c in early] == ["wrong", "right", "wrong", "wrong"]
    assert [c["outcome"] for c in late] == ["right"] * 4
    assert [(c["row"], c["col"]) for c in early] == [(c["row"], c["col"]) for c in late]  # same places


def test_gradient_bars_follow_the_timeline_from_the_records():
    from nnexplore.ui.charts import frames, gradients

    records = [
        {
            "step": s,
            "layer_names": ["hidden 1", "output"],
            "grad_mean_abs": [s, 2 * s],
            "grad_max_abs": [3 * s, 4 * s],
        }
        for s in (10, 20, 30, 40)
    ]
    moments_ = [{"step": 10, "epoch": 0.5}, {"step": 30, "epoch": 1.5}]
    bars = timeline.bars_at_moments(records, moments_)
    for moment in moments_:
        at = bars[bars["t"] == moment["epoch"]].drop(columns=["t", "t0", "t1"]).reset_index(drop=True)
        upto = [r for r in records if r["step"] <= moment["step"]]
        pd.testing.assert_frame_equal(at, frames.last_layer_bars(upto))
    spec = gradients.gradient_bars(bars.assign(run="a"), run="a").to_dict()
    assert {"filter": timeline.IN_MOMENT} in spec["transform"] and spec["params"][0]["name"] == timeline.PARAM


def test_a_curve_chart_marks_the_moment_once_per_panel_and_declares_the_parameter_once():
    from nnexplore.ui.charts import training

    df = pd.DataFrame(
        {
            "run": ["a", "a", "b", "b"],
            "epoch": [0.5, 1.0] * 2,
            "step": [5, 10] * 2,
            "loss": [0.5, 0.2, 0.7, 0.6],
        }
    )
    stacked = training.loss_chart(df, ["a", "b"], kinds={"a": "cross_entropy", "b": "mse"})
    spec = timeline.with_moment(stacked).to_dict()
    assert [p["name"] for p in spec["params"]] == [timeline.PARAM]
    for panel in spec["vconcat"]:
        rule = panel["layer"][-1]
        assert rule["mark"]["type"] == "rule" and "params" not in panel
    single = timeline.with_moment(training.loss_chart(df, ["a", "b"])).to_dict()
    assert [p["name"] for p in single["params"]] == [timeline.PARAM] and single["layer"][-1]["mark"][
        "type"
    ] == "rule"


def test_the_confusion_matrix_of_a_timeline_shows_the_moment_the_slider_points_at():
    cells = [(t, p) for t in range(3) for p in range(3)]
    rows = [
        {"true": t, "pred": p, "count": count(t, p), "t": when}
        for when, count in ((0.5, lambda t, p: 10 if p == 0 else 0), (2.0, lambda t, p: 10 if p == t else 0))
        for t, p in cells
    ]
    df = pd.DataFrame(rows).merge(timeline.spans([0.5, 2.0]), on="t")
    spec = predictions.confusion_chart(df).to_dict()
    assert spec["params"][0]["name"] == timeline.PARAM
    for layer in spec["layer"]:
        assert {"filter": timeline.IN_MOMENT} in layer["transform"]
    data = spec["datasets"][(spec.get("data") or spec["layer"][0]["data"])["name"]]
    early = {(d["true"], d["pred"]): d["share"] for d in data if d["t"] == 0.5}
    assert early[("2", "0")] == 1.0  # each moment's shares are its own: all guessed 0 at first
    assert all(d["share"] == (1.0 if d["true"] == d["pred"] else 0.0) for d in data if d["t"] == 2.0)


def test_a_moments_map_is_made_once_and_kept_by_what_it_shows(monkeypatch):
    """A moment never changes, so a redraw reuses its picture; a moment that shows something else
    gets a picture of its own."""
    made = []
    real = regions.png_url
    monkeypatch.setattr(regions, "png_url", lambda pixels: made.append(1) or real(pixels))
    views = [_view(step, epoch, classes=3) for step, epoch in ((11, 0.3), (21, 0.9))]
    views[1]["grid"]["confidence"] = views[1]["grid"]["confidence"] * 0.5 + 0.123  # unlike any other test's
    grid = timeline.plane_moments(views[-1]["grid"], [moments.frame_of(v) for v in views])
    first = regions.region_image(grid, ["0", "1", "2"])
    assert len(made) <= 2 and first["url"].nunique() == 2
    before = len(made)
    again = regions.region_image(grid, ["0", "1", "2"])
    assert len(made) == before  # nothing made again
    assert again["url"].tolist() == first["url"].tolist()
    recoloured = regions.region_image(grid, ["2", "1", "0"])  # another class order: other colours
    assert recoloured["url"].tolist() != first["url"].tolist()
