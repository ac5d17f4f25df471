"""The chart layer: records -> tidy frames -> Altair specs (checked through to_dict, no browser)."""

from __future__ import annotations

import dataclasses
import math

import altair as alt
import numpy as np
import pandas as pd
import pytest

from nnexplore.ui.charts import frames as F
from nnexplore.ui.charts import gradients, images, predictions, regions, style, training
from nnexplore.ui.charts import labels as L
from nnexplore.ui.charts import pushes as pushes_chart

# --------------------------------------------------------------------------- helpers


def fake_records(n: int, hidden: int = 2, *, diverge_at: int | None = None) -> list[dict]:
    """Records shaped like train()'s: a gradient that shrinks towards the input side."""
    names = [f"hidden {i + 1}" for i in range(hidden)] + ["output"]
    layers = len(names)
    records = []
    for i in range(n):
        loss = 1.0 / (i + 1)
        if diverge_at is not None and i >= diverge_at:
            loss = math.inf if i == diverge_at else math.nan
        records.append(
            {
                "step": (i + 1) * 10,
                "epoch": (i + 1) / 10,
                "samples": (i + 1) * 320,
                "elapsed_s": 0.1 * (i + 1),
                "total_steps": n * 10,
                "loss": loss,
                "train_acc": min(1.0, 0.5 + i / (2 * n)),
                "test_loss": 1.2 / (i + 1),
                "test_acc": min(1.0, 0.45 + i / (2 * n)),
                "out_below": i % 7,
                "out_above": 3,
                "out_total": 200,
                "out_rows": 2,
                "layer_names": names,
                # grad_norm[j] = 10^-(layers - j): input layer smallest
                "grad_norm": [10.0 ** -(layers - j) for j in range(layers)],
                "grad_mean_abs": [1e-4 * (j + 1) for j in range(layers)],
                "grad_max_abs": [1e-2 * (j + 1) for j in range(layers)],
                "out_push": 0.1,
                # a ReLU-like run: off and dead, never weak
                "weak_frac": [],
                "off_frac": [0.1 * (j + 1) for j in range(hidden)],
                "dead_frac": [0.05 * (j + 1) for j in range(hidden)],
                "status": "running" if i < n - 1 else ("diverged" if diverge_at is not None else "done"),
                "reason": "" if diverge_at is None or i < n - 1 else "The loss became infinite.",
            }
        )
    return records


@pytest.fixture(autouse=True)
def _no_row_limit():
    """Streamlit sends any size; Altair's default transformer stops at 5,000 rows."""
    with alt.data_transformers.disable_max_rows():
        yield


def units(spec: dict) -> list[dict]:
    """The single-view specs of a chart (one, or the layers of a layer chart)."""
    return spec["layer"] if "layer" in spec else [spec]


def rows(spec: dict, unit: dict) -> list[dict]:
    """The data rows a single view draws."""
    data = unit.get("data") or spec.get("data")
    if "values" in data:
        return data["values"]
    return spec["datasets"][data["name"]]


def mark_type(unit: dict) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


RUNS = [
    ("ReLU · softmax · CE", fake_records(30, hidden=2)),
    ("sigmoid · no act. · MSE", fake_records(20, hidden=1, diverge_at=15)),
    ("waiting run", []),
]


def fake_regression_records(n: int) -> list[dict]:
    """A regression's records (docs/metrics.md): test_mse and test_r2 instead of the accuracies."""
    records = []
    for record in fake_records(n, hidden=1):
        record = {k: v for k, v in record.items() if k not in ("train_acc", "test_acc")}
        records.append({**record, "test_mse": record["test_loss"], "test_r2": 1 - record["test_loss"]})
    return records


# --------------------------------------------------------------------------- frames


def test_runs_frame_columns_shares_and_non_finite():
    df = F.runs_frame(RUNS)
    assert list(df.columns) == F.RUN_COLUMNS
    assert len(df) == 50
    rec = RUNS[0][1][4]
    row = df[(df["run"] == RUNS[0][0]) & (df["step"] == rec["step"])].iloc[0]
    assert row["out_below_share"] == pytest.approx(rec["out_below"] / rec["out_total"])
    assert row["out_above_share"] == pytest.approx(3 / 200)
    diverged = df[df["run"] == RUNS[1][0]]
    assert diverged["loss"].iloc[15:].isna().all()  # inf and NaN both become NaN
    assert diverged["status"].iloc[-1] == "diverged"
    # every run keeps its place in the colour order, even with no records yet
    assert list(df["run"].cat.categories) == [label for label, _ in RUNS]


def test_metric_long_melts_chosen_metrics():
    df = F.metric_long(RUNS, ["train_acc", "test_acc"])
    assert list(df.columns) == ["run", "epoch", "step", "metric", "value"]
    assert set(df["metric"]) == {"train_acc", "test_acc"}
    assert len(df) == 2 * 50
    first = RUNS[0][1][0]
    got = df[(df["run"] == RUNS[0][0]) & (df["step"] == first["step"]) & (df["metric"] == "test_acc")]
    assert got["value"].item() == pytest.approx(first["test_acc"])
    with pytest.raises(ValueError, match="Unknown metric"):
        F.metric_long(RUNS, ["accuracy"])


def test_layer_long_names_layers_input_first():
    df = F.layer_long(RUNS, "grad_norm")
    assert list(df.columns) == F.LAYER_COLUMNS
    one = df[(df["run"] == RUNS[0][0]) & (df["step"] == 10)].sort_values("layer_index")
    assert list(one["layer"]) == ["hidden 1", "hidden 2", "output"]
    assert list(one["value"]) == pytest.approx([1e-3, 1e-2, 1e-1])
    # hidden-only fields are named after layer_names[:-1]
    off = F.layer_long(RUNS, "off_frac")
    assert set(off[off["run"] == RUNS[0][0]]["layer"]) == {"hidden 1", "hidden 2"}
    assert set(off[off["run"] == RUNS[1][0]]["layer"]) == {"hidden 1"}


def test_layer_long_empty_lists_and_mismatched_names():
    no_hidden = fake_records(3, hidden=0)
    assert no_hidden[0]["dead_frac"] == []
    df = F.layer_long([("linear model", no_hidden)], "dead_frac")
    assert df.empty and list(df.columns) == F.LAYER_COLUMNS
    odd = [{**no_hidden[0], "grad_norm": [0.1, 0.2, 0.3]}]  # three values, one name
    got = F.layer_long([("odd", odd)], "grad_norm")
    assert list(got["layer"]) == ["layer 1", "layer 2", "layer 3"]


def test_weak_off_dead_long_has_the_kinds_each_run_recorded():
    sigmoid = [{**r, "weak_frac": [0.3], "off_frac": []} for r in fake_records(3, hidden=1)]
    df = F.weak_off_dead_long([*RUNS, ("sigmoid", sigmoid)])
    kinds = df.groupby("run", observed=True)["metric"].agg(set).to_dict()
    # no weak rows for the ReLU-like runs and no off rows for the sigmoid one: no flat zero lines
    assert kinds == {
        "ReLU · softmax · CE": {"off", "dead"},
        "sigmoid · no act. · MSE": {"off", "dead"},
        "sigmoid": {"weak", "dead"},
    }
    dead = df[(df["metric"] == "dead") & (df["layer"] == "hidden 2")]
    assert dead["value"].unique() == pytest.approx([0.1])


def test_last_layer_bars_uses_newest_record_with_gradients():
    records = fake_records(5)
    records[3]["grad_mean_abs"] = [0.5, 0.6, 0.7]
    records[4]["grad_mean_abs"] = []
    records[4]["grad_max_abs"] = []
    bars = F.last_layer_bars(records)
    assert list(bars.columns) == F.BAR_COLUMNS
    mean = bars[bars["stat"] == "mean |grad|"].sort_values("layer_index")
    assert list(mean["layer"]) == ["hidden 1", "hidden 2", "output"]
    assert list(mean["value"]) == pytest.approx([0.5, 0.6, 0.7])
    assert set(bars["stat"]) == {"mean |grad|", "max |grad|"}
    assert F.last_layer_bars([]).empty


def test_last_layer_bars_of_a_diverged_run_are_its_last_finite_ones():
    records = fake_records(5)
    records[3]["grad_mean_abs"] = [0.5, 0.6, 0.7]
    records[4]["grad_mean_abs"] = [math.nan, math.inf, math.nan]  # the diverged record
    records[4]["grad_max_abs"] = [math.nan, math.nan, math.nan]
    mean = F.last_layer_bars(records).query("stat == 'mean |grad|'")
    assert list(mean["value"]) == pytest.approx([0.5, 0.6, 0.7])


def test_first_layer_reach_is_first_over_last_and_needs_a_hidden_layer():
    assert F.first_layer_reach([1e-3, 1e-2, 1e-1]) == pytest.approx(1e-2)
    assert math.isnan(F.first_layer_reach([0.5]))  # no hidden layer: first layer is the output
    assert math.isnan(F.first_layer_reach([]))
    assert math.isnan(F.first_layer_reach(None))
    assert math.isnan(F.first_layer_reach([0.1, 0.0]))  # nothing at the output to compare with
    assert math.isnan(F.first_layer_reach([math.inf, 0.1]))


def test_reach_long_one_row_per_record_with_a_hidden_layer():
    records = fake_records(4, hidden=2)
    records[1]["grad_norm"] = [2.0, 5.0, 0.5]
    records[2]["grad_norm"] = []  # not measured yet
    no_hidden = fake_records(3, hidden=0)
    assert len(no_hidden[0]["grad_norm"]) == 1
    df = F.reach_long([("deep", records), ("linear model", no_hidden), ("waiting", [])])
    assert list(df.columns) == F.REACH_COLUMNS
    assert list(df["run"].cat.categories) == ["deep", "linear model", "waiting"]
    assert set(df["run"]) == {"deep"}
    assert list(df["step"]) == [10, 20, 40]
    # fake grad_norm is 1e-3, 1e-2, 1e-1: first over last is 1e-2; record 1 is 2.0 / 0.5
    assert list(df["value"]) == pytest.approx([1e-2, 4.0, 1e-2])
    assert F.reach_long([("linear model", no_hidden)]).empty


def test_layer_bars_names_each_run():
    df = F.layer_bars(RUNS)
    assert list(df.columns) == ["run", *F.BAR_COLUMNS]
    assert list(df["run"].cat.categories) == [label for label, _ in RUNS]
    assert set(df[df["run"] == RUNS[1][0]]["layer"]) == {"hidden 1", "output"}
    assert F.layer_bars([("a", [])]).empty


def test_summary_table_one_row_per_run():
    table = F.summary_table(RUNS)
    assert list(table.columns) == F.SUMMARY_COLUMNS
    assert list(table["run"]) == [label for label, _ in RUNS]
    first = table.iloc[0]
    last = RUNS[0][1][-1]
    assert first["status"] == "done"
    assert first["test accuracy"] == pytest.approx(last["test_acc"])
    assert first["outside [0, 1]"] == pytest.approx((last["out_below"] + 3) / 200)
    assert first["gradient first/last layer"] == pytest.approx(1e-3 / 1e-1)
    assert first["steps"] == 300
    assert table.iloc[1]["status"] == "diverged" and "infinite" in table.iloc[1]["reason"]
    assert table.iloc[2]["status"] == "waiting" and math.isnan(table.iloc[2]["test accuracy"])


# --------------------------------------------------------------------------- downsampling


def test_downsample_long_series_keeps_ends_and_dense_tail():
    n = 50_000
    df = pd.DataFrame({"run": "a", "step": np.arange(n), "value": np.random.default_rng(0).random(n)})
    out = F.downsample(df)
    assert len(out) <= F.MAX_POINTS
    assert out["step"].iloc[0] == 0 and out["step"].iloc[-1] == n - 1
    tail = out["step"].to_numpy()[-F.MAX_POINTS // 2 :]
    assert (np.diff(tail) == 1).all()  # the newest points are all there
    assert (np.diff(out["step"].to_numpy()) > 0).all()


def test_downsample_per_series_and_stable_while_growing():
    parts = [
        pd.DataFrame({"run": run, "layer": layer, "step": np.arange(7000)})
        for run in ("a", "b")
        for layer in ("hidden 1", "output")
    ]
    df = pd.concat(parts, ignore_index=True)
    out = F.downsample(df, max_points=500)
    sizes = out.groupby(["run", "layer"]).size()
    assert len(sizes) == 4 and (sizes <= 500).all() and (sizes > 400).all()
    # the old points kept do not move when the run grows a little (no shimmer on redraw)
    short = set(F.downsample(df[df["step"] < 6000], max_points=500)["step"])
    longer = set(F.downsample(df[df["step"] < 6100], max_points=500)["step"])
    old = {s for s in short if s < 3000}
    assert old <= longer
    small = df.head(10)
    assert F.downsample(small).equals(small)


def test_frames_thin_fifty_epoch_run():
    records = fake_records(60_000)  # far more records than a 50-epoch run makes
    df = F.runs_frame([("long", records)])
    assert len(df) <= F.MAX_POINTS
    assert df["step"].iloc[0] == records[0]["step"] and df["step"].iloc[-1] == records[-1]["step"]
    layers = F.layer_long([("long", records)], "grad_norm")
    assert layers.groupby("layer").size().max() <= F.MAX_POINTS


# --------------------------------------------------------------------------- run labels


@dataclasses.dataclass(frozen=True)
class Cfg:
    dataset: str = "moons"
    hidden: tuple[int, ...] = (16, 16)
    hidden_activation: str = "relu"
    output_activation: str = "softmax"
    loss: str = "cross_entropy"
    optimizer: str = "adam"
    lr: float = 0.01
    seed: int = 0
    device: str = "auto"


def test_run_label_names_recipe_and_differences():
    base = Cfg()
    assert L.run_label(base) == "ReLU · softmax · CE"
    fast = dataclasses.replace(base, lr=0.1)
    assert L.run_label(fast, [base]) == "ReLU · softmax · CE · lr 0.1"
    assert L.run_label(base, [fast]) == "ReLU · softmax · CE · lr 0.01"
    raw = dataclasses.replace(base, hidden_activation="sigmoid", output_activation="none", loss="mse")
    assert L.run_label(raw, [base]) == "sigmoid · no act. · MSE"
    leaky = dataclasses.replace(base, hidden_activation="leaky_relu")
    assert L.run_label(leaky) == "leaky ReLU · softmax · CE"  # the table's short name, as on the Theory page
    assert L.run_label(dataclasses.replace(base, hidden_activation="linear")) == "linear · softmax · CE"
    deeper = dataclasses.replace(base, hidden=(32, 32, 32))
    assert L.run_label(deeper, [base]) == "ReLU · softmax · CE · layers 32×32×32"
    # the device does not change what is learned: never part of a name
    assert L.run_label(dataclasses.replace(base, device="cpu"), [base]) == "ReLU · softmax · CE"
    assert L.run_label(dataclasses.asdict(fast), [dataclasses.asdict(base)]).endswith("lr 0.1")
    assert L.run_labels([base, base, fast]) == [
        "ReLU · softmax · CE · lr 0.01",
        "ReLU · softmax · CE · lr 0.01 (2)",
        "ReLU · softmax · CE · lr 0.1",
    ]


# --------------------------------------------------------------------------- charts


def test_accuracy_chart_colours_runs_and_fixes_y_to_percent():
    spec = training.accuracy_chart(F.metric_long(RUNS, ["train_acc", "test_acc"])).to_dict()
    line = units(spec)[0]
    assert mark_type(line) == "line"
    enc = line["encoding"]
    assert enc["color"]["field"] == "run"
    assert enc["color"]["scale"]["domain"] == [label for label, _ in RUNS]
    assert enc["y"]["scale"]["domain"] == [0, 1]
    assert enc["y"]["axis"]["format"] == "%"
    assert enc["strokeDash"]["field"] == "split"
    dash = dict(zip(enc["strokeDash"]["scale"]["domain"], enc["strokeDash"]["scale"]["range"], strict=True))
    assert dash["test"] == [1, 0] and dash["train"] != [1, 0]  # test solid, train dashed
    assert "tooltip" in enc
    assert "width" not in spec and spec["height"] > 0
    # the "now" dots: one per run and split
    assert len(rows(spec, units(spec)[1])) == 4


def test_run_colours_match_across_charts():
    acc = training.accuracy_chart(F.metric_long(RUNS, ["train_acc", "test_acc"])).to_dict()
    acc_scale = units(acc)[0]["encoding"]["color"]["scale"]
    # a run without rows keeps its colour: from the frame's categories...
    out = training.outside_chart(F.runs_frame(RUNS)).to_dict()
    assert all(panel["encoding"]["color"]["scale"] == acc_scale for panel in out["vconcat"])
    # ...or from runs= when the frame was built from fewer runs
    explicit = training.outside_chart(F.runs_frame(RUNS[:2]), runs=[label for label, _ in RUNS]).to_dict()
    assert explicit["vconcat"][0]["encoding"]["color"]["scale"] == acc_scale
    # the caller's order decides the colours
    swapped = training.outside_chart(F.runs_frame([RUNS[1], RUNS[0]])).to_dict()
    assert swapped["vconcat"][0]["encoding"]["color"]["scale"]["domain"] == [RUNS[1][0], RUNS[0][0]]


def test_loss_chart_log_scale_and_divergence():
    spec = training.loss_chart(F.runs_frame(RUNS)).to_dict()
    line = units(spec)[0]
    assert line["encoding"]["y"]["scale"]["type"] == "log"
    values = [r["value"] for r in rows(spec, line)]
    assert all(v is not None and math.isfinite(v) and v > 0 for v in values)
    diverged = [r for r in rows(spec, line) if r["run"] == RUNS[1][0] and r["split"] == "train"]
    assert len(diverged) == 15  # the inf and NaN records are left out, not plotted
    # a loss that is not positive everywhere gets a linear axis
    df = F.runs_frame(RUNS[:1])
    df.loc[3, "loss"] = -0.5
    linear = units(training.loss_chart(df).to_dict())[0]
    assert linear["encoding"]["y"]["scale"].get("type") != "log"


def test_outside_chart_one_panel_per_side_on_one_axis():
    spec = training.outside_chart(F.runs_frame(RUNS)).to_dict()
    below, above = spec["vconcat"]
    assert (below["title"], above["title"]) == ("Outputs below 0", "Outputs above 1")
    for panel, side in ((below, "below 0"), (above, "above 1")):
        assert mark_type(panel) == "line"
        assert "strokeDash" not in panel["encoding"]  # a side is a panel, not a line style
        assert {r["side"] for r in rows(spec, panel)} == {side}
        assert panel["encoding"]["y"]["axis"]["format"] == ".0%"
        assert panel["encoding"]["y"]["title"].endswith("(%)")
    assert below["encoding"]["y"]["scale"] == above["encoding"]["y"]["scale"]  # comparable by eye


def test_output_histogram_bins_and_band():
    rng = np.random.default_rng(1)
    values = pd.DataFrame({"value": np.r_[rng.normal(0.5, 1.0, 5000), np.inf, np.nan]})
    spec = predictions.output_histogram(values).to_dict()
    band, bars, note = units(spec)
    assert mark_type(band) == "rect" and band["mark"]["color"] == "#000000"  # grey, not a run colour
    band_row = rows(spec, band)[0]
    assert (band_row["low"], band_row["high"]) == (0, 1)
    assert mark_type(note) == "text" and rows(spec, note)[0]["note"] == predictions.BAND
    assert mark_type(bars) == "bar"
    counts = rows(spec, bars)
    assert sum(r["count"] for r in counts) == 5000  # non-finite values dropped
    assert len(counts) == 40
    assert min(r["start"] for r in counts) <= 0 and max(r["end"] for r in counts) >= 1
    two = predictions.output_histogram(
        pd.DataFrame({"value": [0.2, 0.4, 1.5], "run": ["a", "b", "b"]})
    ).to_dict()
    assert units(two)[1]["encoding"]["color"]["scale"]["domain"] == ["a", "b"]


def test_gradient_lines_log_scale_drops_non_positive():
    df = F.layer_long(RUNS, "grad_norm")
    df.loc[0, "value"] = 0.0
    df.loc[1, "value"] = -1.0
    df.loc[2, "value"] = math.inf
    spec = gradients.gradient_lines(df).to_dict()
    enc = spec["encoding"]
    assert enc["y"]["scale"]["type"] == "log"
    assert enc["color"]["field"] == "layer"
    assert enc["color"]["scale"]["domain"] == ["hidden 1", "hidden 2", "output"]
    assert "strokeDash" not in enc  # a line style means training or test data, never a run
    assert "title" not in spec and enc["y"]["title"] == "|∂loss/∂w| (log scale)"
    data = rows(spec, spec)
    assert len(data) == len(df) - 3
    assert all(r["value"] > 0 for r in data)


def test_gradient_heatmap_input_layer_on_top():
    spec = gradients.gradient_heatmap(F.layer_long(RUNS[:1], "grad_norm")).to_dict()
    assert mark_type(spec) == "rect"
    y = spec["encoding"]["y"]
    assert y["field"] == "row"
    assert y["sort"] == ["hidden 1", "hidden 2", "output"]  # input first = top row
    assert spec["encoding"]["color"]["field"] == "log10"
    cells = rows(spec, spec)
    by_layer = {r["layer"]: r["log10"] for r in cells}
    assert by_layer["hidden 1"] == pytest.approx(-3) and by_layer["output"] == pytest.approx(-1)
    # every layer is a band without holes up to the newest record
    for name in by_layer:
        bins = sorted(r["bin"] for r in cells if r["layer"] == name)
        assert bins == list(range(bins[0], 40))


def test_gradient_heatmap_several_runs_of_different_depth():
    spec = gradients.gradient_heatmap(F.layer_long(RUNS, "grad_norm")).to_dict()
    a, b = RUNS[0][0], RUNS[1][0]
    assert spec["encoding"]["y"]["sort"] == [
        f"{a} · hidden 1",
        f"{a} · hidden 2",
        f"{a} · output",
        f"{b} · hidden 1",
        f"{b} · output",
    ]


def test_gradient_heatmap_of_one_run_picked_from_several():
    grads = F.layer_long(RUNS, "grad_norm")
    spec = gradients.gradient_heatmap(grads[grads["run"] == RUNS[1][0]]).to_dict()
    assert spec["encoding"]["y"]["sort"] == ["hidden 1", "output"]


def test_gradient_bars_grouped_log_scale():
    bars = F.last_layer_bars(RUNS[0][1])
    spec = gradients.gradient_bars(bars).to_dict()
    enc = spec["encoding"]
    assert mark_type(spec) == "bar"
    assert enc["x"]["sort"] == ["hidden 1", "hidden 2", "output"]
    assert enc["xOffset"]["field"] == "stat"
    assert enc["y"]["scale"]["type"] == "log"
    floor, top = enc["y"]["scale"]["domain"]
    values = [r["value"] for r in rows(spec, spec)]
    assert 0 < floor < min(values)  # smallest bar still visible
    assert top >= max(values)


def test_gradient_panels_share_the_log_axis_and_the_layer_colours():
    grads = F.layer_long(RUNS, "grad_norm")
    a, b = RUNS[0][0], RUNS[1][0]
    panels = [gradients.gradient_lines(grads, run=r).to_dict() for r in (a, b)]
    for spec, run in zip(panels, (a, b)):
        assert {r["run"] for r in rows(spec, spec)} == {run}  # this run's lines only
        assert "strokeDash" not in spec["encoding"]  # one run: no dash patterns needed
        assert spec["encoding"]["y"]["scale"]["type"] == "log"
    # both panels span the same whole powers of ten around every run's values (1e-3 to 1e-1)
    assert panels[0]["encoding"]["y"]["scale"]["domain"] == pytest.approx([1e-3, 1e-1])
    assert panels[1]["encoding"]["y"]["scale"]["domain"] == panels[0]["encoding"]["y"]["scale"]["domain"]
    # the same layer has the same colour in both, though the second run is one layer shallower
    colours = [spec["encoding"]["color"]["scale"] for spec in panels]
    assert colours[0] == colours[1]
    assert colours[0]["domain"] == ["hidden 1", "hidden 2", "output"]


def test_decades_round_out_to_whole_powers_of_ten():
    assert gradients.decades(pd.Series([0.003, 0.2])) == pytest.approx([1e-3, 1.0])
    assert gradients.decades(pd.Series([0.003, 0.02]), include=[1.0]) == pytest.approx([1e-3, 1.0])
    assert gradients.decades(pd.Series([0.5, 0.5])) == pytest.approx([0.1, 1.0])  # never zero-width
    assert gradients.decades(pd.Series([0.0, -1.0, math.nan])) == [0.1, 10.0]


def test_gradient_heatmap_panels_share_bins_and_colour_scale():
    records = fake_records(10, hidden=1)
    for j, rec in enumerate(records):
        rec["grad_norm"] = [10.0 ** -(5 + j % 2), 1.0]  # a second run with a much weaker first layer
    grads = F.layer_long([RUNS[0], ("weak", records)], "grad_norm")
    strong = gradients.gradient_heatmap(grads, run=RUNS[0][0]).to_dict()
    weak = gradients.gradient_heatmap(grads, run="weak").to_dict()
    assert strong["encoding"]["color"]["scale"]["domain"] == [-6.0, 0.0]
    assert weak["encoding"]["color"]["scale"] == strong["encoding"]["color"]["scale"]
    assert weak["encoding"]["y"]["sort"] == ["hidden 1", "output"]
    assert {r["run"] for r in rows(weak, weak)} == {"weak"}
    # bins come from the whole frame: the shorter run's cells sit on the longer run's bin edges
    edges = {r["start"] for r in rows(strong, strong)}
    assert {r["start"] for r in rows(weak, weak)} <= edges


def test_gradient_bar_panels_share_the_y_axis():
    bars = F.layer_bars(RUNS)
    specs = [gradients.gradient_bars(bars, run=label).to_dict() for label, _ in RUNS[:2]]
    assert specs[0]["encoding"]["y"]["scale"] == specs[1]["encoding"]["y"]["scale"]
    low, high = specs[0]["encoding"]["y"]["scale"]["domain"]
    values = [r["value"] for spec in specs for r in rows(spec, spec)]
    assert low < min(values) and high >= max(values)
    assert specs[1]["encoding"]["x"]["sort"] == ["hidden 1", "output"]


def test_reach_chart_log_scale_run_colours_and_a_line_at_1():
    df = F.reach_long(RUNS)
    labels = [label for label, _ in RUNS]
    spec = gradients.reach_chart(df, labels).to_dict()
    lines, now, rule, note = units(spec)
    assert mark_type(lines) == "line" and mark_type(rule) == "rule" and mark_type(note) == "text"
    y = lines["encoding"]["y"]["scale"]
    assert y["type"] == "log"
    assert y["domain"][0] <= 1e-2 and y["domain"][1] >= 1  # the data (1e-2) and the line at 1
    assert rows(spec, rule) == [{"value": 1.0, "note": gradients.REACH_NOTE}]
    assert rule["encoding"]["y"]["field"] == "value"
    assert note["encoding"]["text"]["field"] == "note"
    # the same run colours as the accuracy chart
    accuracy = training.accuracy_chart(F.metric_long(RUNS, ["train_acc", "test_acc"]), labels).to_dict()
    assert lines["encoding"]["color"]["scale"] == units(accuracy)[0]["encoding"]["color"]["scale"]
    # one newest point per run that has a ratio
    assert sorted(r["run"] for r in rows(spec, now)) == sorted(labels[:2])


def test_output_push_chart_has_a_height_a_whole_title_and_readable_log_ticks():
    """The chart the mnist-gradient card draws with st.altair_chart: its own height and fit-x (not
    Streamlit's "fit", which squeezed it to a line under half a title), ticks at 1, 2 and 5."""
    runs = [
        (f"run {i}", [{**r, "out_push": p * (0.9**j)} for j, r in enumerate(fake_records(20))])
        for i, p in enumerate((1.2, 0.3))
    ]
    spec = gradients.output_gradient_lines(F.metric_long(runs, ["out_push"])).to_dict()
    assert spec["height"] == 280
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert spec["title"]["text"] == gradients.PUSH_TITLE and len(gradients.PUSH_TITLE) <= 26
    y = spec["layer"][0]["encoding"]["y"]
    assert y["scale"] == {"type": "log", "domain": [0.01, 10.0]}
    assert y["axis"]["values"] == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
    assert "per example" in y["title"] and "|∂loss/∂z|" in y["title"]
    assert spec["layer"][0]["encoding"]["color"]["field"] == "run"
    assert gradients.log_ticks([1e-8, 1.0]) == [10.0**e for e in range(-8, 1)]


def test_weak_off_dead_chart_a_panel_per_kind_and_a_line_per_run():
    sigmoid = [{**r, "weak_frac": [0.3], "off_frac": []} for r in fake_records(4, hidden=1)]
    runs = [*RUNS, ("sigmoid", sigmoid)]
    spec = training.weak_off_dead_chart(F.weak_off_dead_long(runs)).to_dict()
    panels = spec["vconcat"]
    # a panel per kind some run has, weak, off, dead: no line style tells them apart
    assert [p["title"] for p in panels] == [training.UNIT_TITLES[k] for k in ("weak", "off", "dead")]
    assert "25%" in panels[0]["title"]
    assert [p["encoding"]["y"]["title"] for p in panels] == [
        "share of unit values (%)",
        "share of unit values (%)",
        "share of units (%)",
    ]
    for panel in panels:
        enc = panel["encoding"]
        assert mark_type(panel) == "line" and "strokeDash" not in enc and "detail" not in enc
        assert enc["color"]["field"] == "run"  # one line per run, in its colour
        assert enc["color"]["scale"]["domain"] == [label for label, _ in runs]
        assert enc["y"]["scale"]["domain"] == [0, 1]
    # each line is the run's mean over its hidden layers: the fake off shares are 0.1 and 0.2
    off = [r for r in rows(spec, panels[1]) if r["run"] == RUNS[0][0]]
    assert len(off) == len(RUNS[0][1]) and [r["value"] for r in off] == pytest.approx([0.15] * len(off))
    assert {r["layers"] for r in off} == {2}
    assert {r["run"] for r in rows(spec, panels[0])} == {"sigmoid"}
    # ReLU-like runs alone: no weak panel
    relu = training.weak_off_dead_chart(F.weak_off_dead_long(RUNS[:1])).to_dict()
    assert [p["title"] for p in relu["vconcat"]] == [training.UNIT_TITLES[k] for k in ("off", "dead")]


def test_decision_chart_regions_under_points():
    xs = np.linspace(-1, 1, 30)
    grid = pd.DataFrame(
        [(x, y, int(x > y), 0.5 + abs(x - y) / 4) for x in xs for y in xs],
        columns=["x", "y", "cls", "confidence"],
    )
    rng = np.random.default_rng(2)
    points = pd.DataFrame(
        {
            "x": rng.uniform(-1, 1, 50),
            "y": rng.uniform(-1, 1, 50),
            "label": rng.integers(0, 2, 50),
            "split": ["train"] * 40 + ["test"] * 10,
        }
    )
    spec = regions.decision_chart(grid, points).to_dict()
    picture_layer, train, test = units(spec)
    # one picture, not 900 rects
    assert mark_type(picture_layer) == "image" and len(rows(spec, picture_layer)) == 1
    assert mark_type(train) == "circle" and len(rows(spec, train)) == 40
    assert mark_type(test) == "point" and test["mark"]["filled"] is False and len(rows(spec, test)) == 10
    picture = rows(spec, picture_layer)[0]
    half = (xs[1] - xs[0]) / 2
    assert [picture[k] for k in ("x0", "x1", "y0", "y1")] == pytest.approx([-1 - half, 1 + half] * 2)
    pixels = images.png_pixels(picture["url"])
    assert pixels.shape == (30, 30, 4)
    # a pixel per cell, top row = largest y: cell (x, y) is pixels[29 - row(y), col(x)]
    palette = train["encoding"]["color"]["scale"]["range"]
    for x, y, cls, confidence in grid.sample(20, random_state=0).itertuples(index=False):
        pixel = pixels[29 - xs.tolist().index(y), xs.tolist().index(x)]
        assert tuple(pixel[:3]) == images.hex_rgb(palette[cls])
        low, high = regions.REGION_ALPHA
        # in ALPHA_STEPS steps of opacity: within half a step
        assert pixel[3] == pytest.approx(
            255 * (low + (high - low) * confidence), abs=255 * (high - low) / 30 + 1
        )


def test_digits_chart_downscales_and_marks_mistakes():
    rng = np.random.default_rng(3)
    images = [np.where(rng.random(784) < 0.3, rng.integers(0, 256, 784), 0) for _ in range(36)]
    labels = rng.integers(0, 10, 36)
    preds = labels.copy()
    preds[:5] = (preds[:5] + 1) % 10
    df = pd.DataFrame({"pixels": images, "pred": preds, "label": labels, "confidence": rng.random(36)})
    spec = predictions.digits_chart(df).to_dict()
    tiles, pixels, text = units(spec)
    assert len(rows(spec, tiles)) == 36
    assert 0 < len(rows(spec, pixels)) <= 36 * 14 * 14
    assert max(r["px"] for r in rows(spec, pixels)) < 6 * 16  # 14-pixel digits, 6 to a row
    wrong = [r for r in rows(spec, text) if r["outcome"] == "wrong"]
    assert len(wrong) == 5
    stroke = tiles["encoding"]["stroke"]["scale"]
    assert dict(zip(stroke["domain"], stroke["range"], strict=True))["wrong"] == predictions.MISTAKE_RED


def test_confusion_chart_counts_as_text():
    matrix = pd.DataFrame(
        [(t, p, 50 if t == p else 1) for t in range(10) for p in range(10)], columns=["true", "pred", "count"]
    )
    spec = predictions.confusion_chart(matrix).to_dict()
    cells, text = units(spec)
    assert mark_type(cells) == "rect" and cells["encoding"]["color"]["field"] == "count"
    assert mark_type(text) == "text" and text["encoding"]["text"]["field"] == "count"
    assert cells["encoding"]["y"]["sort"] == [str(d) for d in range(10)]
    data = rows(spec, cells)
    diag = next(r for r in data if r["true"] == "3" and r["pred"] == "3")
    assert diag["share"] == pytest.approx(50 / 59)


def test_charts_build_from_empty_frames():
    empty_runs = [("a", []), ("b", [])]
    charts = [
        training.accuracy_chart(F.metric_long(empty_runs, ["train_acc", "test_acc"])),
        training.loss_chart(F.runs_frame(empty_runs)),
        training.outside_chart(F.runs_frame(empty_runs)),
        predictions.output_histogram(pd.DataFrame({"value": []})),
        gradients.gradient_lines(F.layer_long(empty_runs, "grad_norm")),
        gradients.gradient_heatmap(F.layer_long(empty_runs, "grad_norm")),
        gradients.gradient_bars(F.last_layer_bars([])),
        gradients.gradient_lines(F.layer_long(empty_runs, "grad_norm"), run="a"),
        gradients.gradient_heatmap(F.layer_long(empty_runs, "grad_norm"), run="a"),
        gradients.gradient_bars(F.layer_bars(empty_runs), run="a"),
        gradients.reach_chart(F.reach_long(empty_runs)),
        training.weak_off_dead_chart(F.weak_off_dead_long(empty_runs)),
        gradients.output_gradient_lines(F.metric_long(empty_runs, ["out_push"])),
    ]
    for chart in charts:
        assert "$schema" in chart.to_dict()


def test_charts_from_real_training_records():
    train_mod = pytest.importorskip("nnexplore.training")
    config = pytest.importorskip("nnexplore.config")
    base = config.RunConfig().replace(dataset="moons", n_samples=200, hidden=(8, 8), epochs=2, seed=0)
    other = base.replace(hidden_activation="sigmoid", output_activation="none", loss="mse")
    labels = L.run_labels([base, other])
    assert labels[0].startswith("ReLU") and labels[1].startswith("sigmoid")
    runs = [(label, list(train_mod.train(cfg))) for label, cfg in zip(labels, (base, other), strict=True)]
    grads = F.layer_long(runs, "grad_norm")
    assert set(grads["layer_index"]) == {0, 1, 2}
    assert set(grads[grads["layer_index"] == 0]["layer"]) == {runs[0][1][0]["layer_names"][0]}
    table = F.summary_table(runs)
    assert list(table["status"]) == ["done", "done"]
    for chart in (
        training.accuracy_chart(F.metric_long(runs, ["train_acc", "test_acc"])),
        training.loss_chart(F.runs_frame(runs)),
        gradients.gradient_heatmap(grads),
        training.weak_off_dead_chart(F.weak_off_dead_long(runs)),
        gradients.output_gradient_lines(F.metric_long(runs, ["out_push"])),
        gradients.gradient_bars(F.last_layer_bars(runs[1][1])),
    ):
        assert "$schema" in chart.to_dict()


# --------------------------------------------------------------------------- hidden units


def _unit_layer(values: np.ndarray, n: int = 5) -> pd.DataFrame:
    """A unit_frame for units whose outputs over an n × n grid are given as (units, n·n), x fastest."""
    from nnexplore.ui.charts import units as U

    gx, gy = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-2, 2, n), indexing="xy")
    return U.unit_frame({"x": gx.ravel(), "y": gy.ravel(), "values": [values]}, 0)


def _png(url: str) -> np.ndarray:
    import base64
    import io

    from PIL import Image

    assert url.startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB"))


def test_units_chart_is_one_square_per_unit_on_one_scale_with_a_colour_bar() -> None:
    from nnexplore.ui.charts import units as U

    n = 5
    rising = np.tile(np.linspace(0, 2, n), n)  # grows with x
    values = np.stack([np.zeros(n * n), rising, 0.5 * rising] + [rising] * 9)  # 12 units, unit 1 dead
    spec = U.units_chart(_unit_layer(values, n), "relu").to_dict()
    squares, bar = spec["vconcat"]
    assert spec["autosize"]["type"] == "pad" and "title" not in spec  # the heading and caption say it
    assert squares["columns"] == U.COLUMNS and squares["facet"]["field"] == "name"
    # in unit order, not alphabetical ("unit 10" < "unit 2")
    assert squares["facet"]["sort"] == [f"unit {i}" for i in range(1, 13)]
    square, state = squares["spec"]["layer"]
    mark = square["mark"]
    assert mark["type"] == "image" and mark["smooth"] is False and mark["width"] == U.SIZE
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"  # a pixel a point, kept sharp
    assert set(square["encoding"]) == {"x", "y", "url", "tooltip"}  # no axes: fixed positions
    assert "value" in square["encoding"]["x"]
    assert state["mark"]["type"] == "text" and state["encoding"]["text"]["field"] == "state"
    table = spec["datasets"][squares["data"]["name"]]
    assert [row["state"] for row in table][:2] == ["dead", ""]  # unit 1 is dead, said under it
    # the legend: ReLU's colour scale runs from 0 to the layer's largest output
    assert bar["encoding"]["x"]["scale"]["domain"] == [0.0, 2.0]
    assert bar["encoding"]["color"]["scale"] is None  # the same colours as the squares, given
    assert bar["width"] == U.COLUMNS * (U.SIZE + 8) - 8


def test_unit_squares_show_the_plane_dead_units_flat_and_one_scale_for_the_layer() -> None:
    from nnexplore.ui.charts import units as U

    n = 5
    gx, gy = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-2, 2, n), indexing="xy")
    values = np.stack([np.zeros(n * n), gy.ravel() + 2, np.full(n * n, 0.5), gx.ravel() + 1])
    tiles, (low, high) = U.unit_tiles(_unit_layer(values, n), "relu")
    assert (low, high) == (0.0, 4.0)
    assert tiles["state"].tolist() == ["dead", "", "flat", ""]
    assert tiles["dead"].tolist() == [True, False, False, False]
    dead, rising_y, flat, rising_x = (_png(url) for url in tiles["url"])
    assert dead.shape == (n, n, 3)  # a pixel a grid point
    darkest = U._colours(np.array([0.0]))[0]
    assert U.RAMP[0] == U._hex(darkest)
    assert (dead == darkest).all()  # dead: the darkest colour everywhere
    assert len(np.unique(flat.reshape(-1, 3), axis=0)) == 1  # flat: one colour
    assert (rising_y[0] == U._colours(np.array([1.0]))[0]).all()  # top row: the largest y, brightest
    assert (rising_y[-1] == darkest).all()  # bottom row: y lowest
    half = np.round(0.5 * (U.COLOUR_STEPS - 1)) / (U.COLOUR_STEPS - 1)  # the ramp's step nearest 2 of 4
    assert (rising_x[:, -1] == U._colours(np.array([half]))[0]).all()  # x grows to the right
    # each unit is coloured on the layer's scale: unit 4 reaches only half way
    assert rising_x.sum(axis=2).max() < rising_y.sum(axis=2).max()


@pytest.mark.parametrize(
    ("activation", "expected"),
    [
        ("relu", (0.0, 3.0)),
        ("sigmoid", (0.0, 1.0)),
        ("softmax", (0.0, 1.0)),
        ("tanh", (-1.0, 1.0)),
        ("leaky_relu", (-0.5, 3.0)),
        ("linear", (-0.5, 3.0)),
    ],
)
def test_unit_colour_range_follows_the_activation(activation: str, expected: tuple) -> None:
    from nnexplore.ui.charts import units as U

    assert U.colour_range(activation, np.array([0.2, -0.5, 3.0, np.nan])) == expected


def test_unit_colour_range_of_an_all_dead_layer_and_nan_outputs_still_draw() -> None:
    from nnexplore.ui.charts import units as U

    assert U.colour_range("relu", np.zeros(10)) == (0.0, 1.0)
    values = np.stack([np.zeros(9), np.full(9, np.nan)])
    tiles, _ = U.unit_tiles(_unit_layer(values, 3), "relu")
    assert tiles["state"].tolist() == ["dead", ""]
    assert (_png(tiles["url"][1]) == U.MISSING).all()  # a diverged unit: grey, not a colour
    U.units_chart(_unit_layer(values, 3), "relu").to_dict()


# --------------------------------------------------------------------------- reading at a glance


def test_accuracy_chart_draws_chance_from_the_number_of_classes():
    acc = F.metric_long(RUNS, ["train_acc", "test_acc"])
    spec = training.accuracy_chart(acc, classes=[3, 3, 3]).to_dict()
    lines, now, rule, note = units(spec)
    assert mark_type(rule) == "rule" and mark_type(note) == "text"
    assert rows(spec, rule) == [{"value": pytest.approx(1 / 3), "note": "chance"}]
    assert rule["encoding"]["y"]["field"] == "value" and rule["encoding"]["y"]["scale"]["domain"] == [0, 1]
    # a reference value: a thin grey dotted rule, named on the chart
    assert rule["mark"]["strokeDash"] == style.REFERENCE_DASH and rule["mark"]["strokeWidth"] <= 1
    assert rule["mark"]["color"] == style.REFERENCE_GREY
    assert note["encoding"]["text"]["field"] == "note"
    # runs on problems of different sizes: one rule per distinct chance, each named
    mixed = training.accuracy_chart(acc, classes=[2, 10, 2]).to_dict()
    assert rows(mixed, units(mixed)[2]) == [
        {"value": 0.5, "note": "chance (2 classes)"},
        {"value": 0.1, "note": "chance (10 classes)"},
    ]
    assert len(units(training.accuracy_chart(acc).to_dict())) == 2  # no classes given: no rule


def test_loss_chart_one_panel_per_kind_of_loss():
    labels = [label for label, _ in RUNS]
    kinds = dict(zip(labels, ["cross_entropy", "mse", "cross_entropy"], strict=True))
    spec = training.loss_chart(F.runs_frame(RUNS), labels, kinds=kinds).to_dict()
    ce, mse = spec["vconcat"]
    assert (ce["title"], mse["title"]) == ("Cross-entropy", "Squared error")
    ce_lines, mse_lines = units(ce)[0], units(mse)[0]
    # each panel draws its own runs only, on its own y axis named after its loss
    assert {r["run"] for r in rows(spec, ce_lines)} == {labels[0]}
    assert {r["run"] for r in rows(spec, mse_lines)} == {labels[1]}
    assert ce_lines["encoding"]["y"]["title"] == "cross-entropy (log scale)"
    assert mse_lines["encoding"]["y"]["title"] == "squared error (log scale)"
    assert spec.get("resolve", {}).get("scale", {}).get("y") != "shared"  # Vega-Lite: independent
    # the same run colours in both panels
    assert ce_lines["encoding"]["color"]["scale"] == mse_lines["encoding"]["color"]["scale"]
    assert ce_lines["encoding"]["color"]["scale"]["domain"] == labels
    # every run on one kind: one chart, the loss's name on its axis
    one = training.loss_chart(F.runs_frame(RUNS), labels, kinds=dict.fromkeys(labels, "mse")).to_dict()
    assert (
        "vconcat" not in one and units(one)[0]["encoding"]["y"]["title"] == "squared error loss (log scale)"
    )


def test_run_classes_and_statistics_never_share_a_colour():
    runs = {c.lower() for c in style.RUN_PALETTE}
    classes = {c.lower() for c in style.CLASS_PALETTE}
    greys = {c.lower() for c in style.STAT_GREYS}
    assert len(runs) == len(style.RUN_PALETTE) >= 7 and len(classes) == len(style.CLASS_PALETTE) >= 4
    assert not runs & classes and not runs & greys and not classes & greys
    assert style.RUN_PALETTE[:4] == ["#0072B2", "#E69F00", "#009E73", "#000000"]  # Okabe and Ito's
    # the charts use them: decision regions and points by class, gradient bars by statistic
    grid = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "cls": [0, 1], "confidence": [0.9, 0.8]})
    points = pd.DataFrame({"x": [0.2], "y": [0.4], "label": [1], "split": ["train"]})
    decision = regions.decision_chart(grid, points).to_dict()
    assert {c.lower() for c in units(decision)[1]["encoding"]["color"]["scale"]["range"]} <= classes
    pixels = images.png_pixels(rows(decision, units(decision)[0])[0]["url"])
    painted = {"#{:02x}{:02x}{:02x}".format(*p[:3]) for p in pixels.reshape(-1, 4) if p[3]}
    assert painted and painted <= classes
    bars = gradients.gradient_bars(F.layer_bars(RUNS), run=RUNS[0][0]).to_dict()
    assert bars["encoding"]["color"]["field"] == "stat"
    assert bars["encoding"]["color"]["scale"]["range"] == style.STAT_GREYS


def _views(spec: dict):
    """Every single view of a spec, through layers, stacked panels and facets."""
    for key in ("layer", "vconcat", "hconcat", "concat"):
        for part in spec.get(key, []):
            yield from _views(part)
    if "spec" in spec:
        yield from _views(spec["spec"])
    if "mark" in spec:
        yield spec


def _every_run_chart() -> list[alt.TopLevelMixin]:
    labels = [label for label, _ in RUNS]
    grads = F.layer_long(RUNS, "grad_norm")
    kinds = dict(zip(labels, ["cross_entropy", "mse", "binary_cross_entropy"], strict=True))
    pushes = pd.DataFrame({"run": ["a", "a", "b"], "p_right": [0.1, 0.9, 0.5], "push": [0.9, 0.1, 0.4]})
    return [
        training.accuracy_chart(F.metric_long(RUNS, ["train_acc", "test_acc"]), classes=[2, 3, 2]),
        training.r2_chart(F.runs_frame([*RUNS, ("fit", fake_regression_records(5))]), moment=True),
        training.loss_chart(F.runs_frame(RUNS)),
        training.loss_chart(F.runs_frame(RUNS), kinds=kinds),
        training.outside_chart(F.runs_frame(RUNS)),
        training.weak_off_dead_chart(F.weak_off_dead_long(RUNS)),
        gradients.gradient_lines(grads),
        gradients.gradient_lines(grads, run=labels[0]),
        gradients.gradient_heatmap(grads, run=labels[0]),
        gradients.gradient_bars(F.layer_bars(RUNS), run=labels[0]),
        gradients.reach_chart(F.reach_long(RUNS), labels),
        gradients.output_gradient_lines(F.metric_long(RUNS, ["out_push"])),
        pushes_chart.pushes_chart(pushes),
    ]


def test_every_line_chart_dashes_training_data_only():
    """One meaning per line style on a page: dashed is training data, solid is test data (or a
    quantity with no such split); a reference value is a grey dotted rule, kinds are panels."""
    for chart in _every_run_chart():
        spec = chart.to_dict()
        for view in _views(spec):
            mark = view["mark"] if isinstance(view["mark"], dict) else {"type": view["mark"]}
            dash = view.get("encoding", {}).get("strokeDash")
            if mark["type"] == "line":
                assert "strokeDash" not in mark, spec.get("title")
                if dash is not None:
                    assert dash["field"] == "split"
                    styles = dict(zip(dash["scale"]["domain"], dash["scale"]["range"], strict=True))
                    assert (
                        styles == style.SPLIT_DASH and styles["test"] == [1, 0] and styles["train"] != [1, 0]
                    )
            elif "strokeDash" in mark:  # a rule: a reference value, grey, thin and dotted
                assert mark["type"] == "rule" and mark["strokeDash"] == style.REFERENCE_DASH
                assert mark["color"] == style.REFERENCE_GREY
            assert dash is None or mark["type"] == "line"


#: The longest title a panel drawn once per run may have. Four runs side by side at a 1000 px
#: window give columns 123 px wide (measured in Chromium); Streamlit cuts a chart's title at the
#: width less 40 px, and in 83 px "How big the gradient is in each layer" kept 9 characters.
PANEL_TITLE_MAX = 9


def _title(spec: dict) -> str:
    title = spec.get("title", "")
    return title if isinstance(title, str) else title.get("text", "")


def test_numbered_classes_keep_their_numbers_colour_when_one_is_missing():
    """Your own points in classes 0 and 2: class 2 gets class 2's colour (as on the point pad)."""
    grid = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "cls": [0, 2], "confidence": [0.9, 0.8]})
    points = pd.DataFrame({"x": [0.2, 0.8], "y": [0.4, 0.5], "label": [0, 2], "split": ["train"] * 2})
    domains = regions.plane_domains([grid], [points])
    assert domains["classes"] == ["0", "1", "2"]
    scale = regions.decision_chart(grid, points, domains=domains).to_dict()["layer"][1]["encoding"]["color"][
        "scale"
    ]
    assert scale["range"][2] == regions.CLASS_PALETTE[2]


def test_no_per_run_panel_title_is_cut_off_in_a_narrow_column():
    labels = [label for label, _ in RUNS]
    grads = F.layer_long(RUNS, "grad_norm")
    grid = pd.DataFrame({"x": [0.0, 1.0], "y": [0.0, 1.0], "cls": [0, 1], "confidence": [0.9, 0.8]})
    points = pd.DataFrame({"x": [0.2], "y": [0.4], "label": [1], "split": ["train"]})
    domains = regions.plane_domains([grid], [points])
    digits = pd.DataFrame(
        {"pixels": [np.ones(784)] * 4, "pred": [1, 2, 3, 4], "label": [1, 2, 3, 5], "confidence": 0.5}
    )
    matrix = pd.DataFrame(
        [(t, p, int(t == p)) for t in range(3) for p in range(3)], columns=["true", "pred", "count"]
    )
    panels = [
        gradients.gradient_lines(grads, run=labels[0]),
        gradients.gradient_heatmap(grads, run=labels[0]),
        gradients.gradient_bars(F.layer_bars(RUNS), run=labels[0]),
        regions.decision_chart(grid, points, 220, domains),
        predictions.digits_chart(digits, columns=4),
        predictions.confusion_chart(matrix, 5, 230, font_size=8),
    ]
    for chart in panels:
        spec = chart.to_dict()
        assert len(_title(spec)) <= PANEL_TITLE_MAX, _title(spec)
        # and the x axis is "epochs", not the long title of a full-width chart
        x = spec.get("encoding", {}).get("x", {})
        assert x.get("title") != style.EPOCHS


def test_axis_titles_say_their_units():
    titles = []
    for chart in _every_run_chart():
        for view in _views(chart.to_dict()):
            enc = view.get("encoding", {})
            titles += [enc[ch]["title"] for ch in ("x", "y") if isinstance(enc.get(ch, {}).get("title"), str)]
    units_seen = (
        "(%)",
        "epochs",
        "|∂loss/∂w|",
        "|∂loss/∂z|",
        "loss",
        "cross-entropy",
        "squared error",
        "probability",
        "R²",
    )
    missing = [t for t in set(titles) if not any(u in t for u in units_seen) and t != "layer"]
    assert not missing, missing


# --------------------------------------------------------------------------- regression records


def test_a_regression_records_r2_reaches_the_frames_the_table_and_the_status_words():
    runs = [("fit", fake_regression_records(4)), RUNS[0]]
    df = F.runs_frame(runs)
    fit = df[df["run"] == "fit"]
    assert fit["test_r2"].tolist() == pytest.approx([1 - 1.2 / (i + 1) for i in range(4)])
    assert fit["test_acc"].isna().all() and df[df["run"] == RUNS[0][0]]["test_r2"].isna().all()
    table = F.summary_table(runs)
    assert table["test R²"].iloc[0] == pytest.approx(0.7) and math.isnan(table["test accuracy"].iloc[0])
    assert math.isnan(table["test R²"].iloc[1]) and table["test accuracy"].iloc[1] > 0
    assert F.score_words(runs[0][1][-1]) == "test R² 0.70"
    assert F.score_words(RUNS[0][1][-1]) == f"test accuracy {RUNS[0][1][-1]['test_acc']:.1%}"
    assert F.score_words({"test_r2": math.nan}) == "" == F.score_words({"step": 1})


def test_r2_chart_draws_a_regressions_test_r2_with_the_mean_everywhere_at_0():
    runs = [*RUNS[:1], ("fit", fake_regression_records(6))]
    spec = training.r2_chart(F.runs_frame(runs), [label for label, _ in runs]).to_dict()
    line = next(u for u in units(spec) if mark_type(u) == "line")
    drawn = rows(spec, line)
    assert {r["run"] for r in drawn} == {"fit"}  # a classification's rows have no R²: no line
    assert line["encoding"]["color"]["scale"]["domain"] == [RUNS[0][0], "fit"]  # its colour is kept
    assert line["encoding"]["y"]["scale"]["domain"] == pytest.approx(
        [-0.2, 1]
    )  # the lowest R² drawn, up to 1
    assert "R²" in line["encoding"]["y"]["title"]
    rule = next(u for u in units(spec) if mark_type(u) == "rule")
    assert rows(spec, rule)[0]["value"] == 0 and rows(spec, rule)[0]["note"] == training.MEAN_EVERYWHERE
    low = [("fit", [{**r, "test_r2": -30.0} for r in fake_regression_records(2)])]
    spec = training.r2_chart(F.runs_frame(low)).to_dict()
    assert units(spec)[0]["encoding"]["y"]["scale"]["domain"] == [training.R2_FLOOR, 1]
