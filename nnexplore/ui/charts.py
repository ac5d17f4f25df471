"""Altair chart builders: pure functions DataFrame -> chart, no state, no streamlit.

Inputs are the tidy frames of :mod:`nnexplore.ui.frames`. Conventions shared by
every chart, so that a learner can read one chart after another:

* Colour means *run* wherever runs are compared; the colour domain is the run
  labels in the order the caller passed them (read from the ordered
  categorical ``run`` column, or given with ``runs=``), so a run has the same
  colour in every chart, even one where it has no data yet.
* Dashed means training data, solid means the held-out test data.
* Titles and axes are in plain words; every mark has a tooltip.
* Heights are set, widths are not: the charts fill their container
  (``st.altair_chart(..., width="stretch")``).
* NaN and infinite values are dropped before plotting; log scales also drop
  values <= 0 (the log of those does not exist).

Heavy inputs (output values, pixels, long gradient histories) are reduced in
pandas before they reach Altair, so the browser gets hundreds or a few
thousand rows, not hundreds of thousands.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

RUN_PALETTE = [
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
]
"""Run colours (Vega's tableau10), given out in the order runs are passed."""

CLASS_PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"]
"""Class colours for the 2-D decision map (strong, distinct from each other)."""

SPLIT_DASH = {"train": [5, 3], "test": [1, 0]}
MISTAKE_RED = "#d62728"

ACC_LABELS = {"train_acc": "train", "test_acc": "test"}
LOSS_LABELS = {"loss": "train", "test_loss": "test"}
SIDE_LABELS = {"out_below_share": "below 0", "out_above_share": "above 1"}

HEIGHT = 280


# --------------------------------------------------------------------------- helpers


def _clean(df: pd.DataFrame, columns: Sequence[str], *, positive: Sequence[str] = ()) -> pd.DataFrame:
    """Rows whose ``columns`` are finite and whose ``positive`` columns are > 0 (log scales).

    Label columns (run, layer, metric, stat) become plain strings for Altair.
    """
    out = df.copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
        out.loc[~np.isfinite(out[col]), col] = np.nan
    keep = out[list(columns)].notna().all(axis=1)
    for col in positive:
        keep &= out[col] > 0
    out = out[keep]
    for col in ("run", "layer", "metric", "stat"):
        if col in out.columns:
            out[col] = out[col].astype(str)
    return out.reset_index(drop=True)


def run_domain(df: pd.DataFrame, runs: Sequence[str] | None = None) -> list[str]:
    """Run labels in colour order: ``runs`` if given, else the categorical's categories, else as met."""
    if runs is not None:
        return [str(r) for r in runs]
    if "run" not in df.columns:
        return []
    col = df["run"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return [str(r) for r in pd.unique(col.dropna())]


def run_color(domain: Sequence[str], title: str = "run") -> alt.Color:
    """The shared run colour encoding (same run, same colour, in every chart)."""
    colors = [RUN_PALETTE[i % len(RUN_PALETTE)] for i in range(len(domain))]
    return alt.Color(
        "run:N",
        title=title,
        scale=alt.Scale(domain=list(domain), range=colors),
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400),
    )


def _runs_present(data: pd.DataFrame) -> int:
    """How many runs have rows: a frame filtered to one run still lists all runs as categories."""
    return int(data["run"].nunique()) if "run" in data.columns else 0


def _layer_order(df: pd.DataFrame) -> list[str]:
    """Layer names from input to output, across runs that may have different depths.

    Within a run ``layer_index`` 0 is the input side. Runs of different depth
    share names ("hidden 1", "output") but not indices, so the last layer of
    each run is sorted after every hidden layer.
    """
    if df.empty:
        return []
    key = df[["layer", "layer_index"]].copy()
    group = df["run"].astype(str) if "run" in df.columns else pd.Series("", index=df.index)
    key["last"] = df["layer_index"] == df.groupby(group)["layer_index"].transform("max")
    key["last"] &= df.groupby(group)["layer_index"].transform("max") > 0
    ranks = key.groupby("layer").agg(last=("last", "max"), index=("layer_index", "min"))
    return [str(n) for n in ranks.sort_values(["last", "index"]).index]


def _layer_color(order: Sequence[str], title: str = "layer") -> alt.Color:
    """Layers coloured by depth: input side dark purple, output side green-yellow."""
    return alt.Color(
        "layer:N",
        title=title,
        sort=list(order),
        scale=alt.Scale(domain=list(order), scheme={"name": "viridis", "extent": [0.0, 0.85]}),
        legend=alt.Legend(orient="bottom", direction="horizontal"),
    )


def _last_points(df: pd.DataFrame, by: Sequence[str], key: str = "step") -> pd.DataFrame:
    """The newest point of each series: a dot marks where each curve is *now*."""
    if df.empty:
        return df
    return df.sort_values(key, kind="stable").groupby(list(by), sort=False).tail(1)


def _epoch_x() -> alt.X:
    return alt.X("epoch:Q", title="epochs (passes over the training data)", scale=alt.Scale(nice=False))


# --------------------------------------------------------------------------- progress


def accuracy_chart(df_long: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.LayerChart:
    """Training (dashed) and test (solid) accuracy against epochs, one colour per run.

    Input: :func:`frames.metric_long` with metrics train_acc and test_acc
    (columns run, epoch, step, metric, value). The y axis is fixed to 0–100 %
    so runs and moments compare at a glance.
    """
    domain = run_domain(df_long, runs)
    data = _clean(df_long, ["epoch", "value"])
    data["split"] = data["metric"].map(ACC_LABELS).fillna(data["metric"])
    encoding = dict(
        x=_epoch_x(),
        y=alt.Y(
            "value:Q",
            title="accuracy (share right)",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format="%"),
        ),
        color=run_color(domain),
        tooltip=[
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("split:N", title="data"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="accuracy", format=".1%"),
        ],
    )
    dash = alt.StrokeDash(
        "split:N",
        title="data",
        scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
        legend=alt.Legend(orient="bottom"),
    )
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2, clip=True)
        .encode(**encoding, strokeDash=dash, detail="split:N")
    )
    now = alt.Chart(_last_points(data, ["run", "split"])).mark_point(filled=True, size=40).encode(**encoding)
    return alt.layer(lines, now).properties(
        title="Accuracy (dashed: training data, solid: test data)", height=HEIGHT
    )


def loss_chart(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.LayerChart:
    """Loss against epochs, one colour per run; log scale when every value is above 0.

    Input: :func:`frames.runs_frame` (columns run, epoch, step, loss and,
    optionally, test_loss drawn solid next to the dashed training loss). A
    diverged run's inf/NaN losses are left out (the line stops there). A log
    scale shows a loss falling from 2 to 0.02 as clearly as from 2 to 1.
    """
    domain = run_domain(df, runs)
    value_cols = [c for c in LOSS_LABELS if c in df.columns]
    long = df.melt(
        id_vars=[c for c in ("run", "epoch", "step") if c in df.columns],
        value_vars=value_cols,
        var_name="metric",
        value_name="value",
    )
    data = _clean(long, ["epoch", "value"])
    log = not data.empty and bool((data["value"] > 0).all())
    data["split"] = data["metric"].map(LOSS_LABELS)
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    title = "loss (log scale)" if log else "loss"
    encoding = dict(
        x=_epoch_x(),
        y=alt.Y("value:Q", title=title, scale=scale),
        color=run_color(domain),
        tooltip=[
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("split:N", title="data"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="loss", format=".4g"),
        ],
    )
    dash = alt.StrokeDash(
        "split:N",
        title="data",
        scale=alt.Scale(domain=list(SPLIT_DASH), range=list(SPLIT_DASH.values())),
        legend=alt.Legend(orient="bottom"),
    )
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(**encoding, strokeDash=dash, detail="split:N")
    now = alt.Chart(_last_points(data, ["run", "split"])).mark_point(filled=True, size=40).encode(**encoding)
    return alt.layer(lines, now).properties(
        title="Loss (lower is better; dashed: training, solid: test)", height=HEIGHT
    )


def outside_chart(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Share of held-out output values below 0 (dashed) and above 1 (solid) against epochs.

    Input: :func:`frames.runs_frame` (out_below_share, out_above_share). With
    a sigmoid or softmax output both stay at 0 %; with no output activation
    they show how often the network answers with a "probability" that is not one.
    """
    domain = run_domain(df, runs)
    long = df.melt(
        id_vars=[c for c in ("run", "epoch", "step") if c in df.columns],
        value_vars=list(SIDE_LABELS),
        var_name="metric",
        value_name="value",
    )
    data = _clean(long, ["epoch", "value"])
    data["side"] = data["metric"].map(SIDE_LABELS)
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=_epoch_x(),
            y=alt.Y(
                "value:Q",
                title="share of output values",
                # at least 0 to 10%, so an all-zero line sits on a readable axis
                scale=alt.Scale(domain=[0, max(0.1, float(data["value"].max()) if len(data) else 0.0)]),
                axis=alt.Axis(format=".0%"),
            ),
            color=run_color(domain),
            strokeDash=alt.StrokeDash(
                "side:N",
                title="outside [0, 1]",
                scale=alt.Scale(domain=["below 0", "above 1"], range=[[5, 3], [1, 0]]),
                legend=alt.Legend(orient="bottom"),
            ),
            detail="side:N",
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("side:N", title="values"),
                alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
                alt.Tooltip("value:Q", title="share", format=".2%"),
            ],
        )
        .properties(title="Outputs outside [0, 1] (not valid probabilities)", height=HEIGHT)
    )


# --------------------------------------------------------------------------- outputs


def _histogram_frame(data: pd.DataFrame, low: float, high: float, bins: int) -> pd.DataFrame:
    """Counts per bin (per run), computed here so the browser gets ``bins`` rows per run."""
    values = data["value"].to_numpy(dtype=float)
    lo = min(float(values.min()), low)
    hi = max(float(values.max()), high)
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    groups = data.groupby("run", sort=False) if "run" in data.columns else [("", data)]
    rows = []
    for run, part in groups:
        counts, _ = np.histogram(part["value"].to_numpy(dtype=float), bins=edges)
        for start, end, count in zip(edges[:-1], edges[1:], counts, strict=True):
            rows.append((str(run), float(start), float(end), int(count)))
    return pd.DataFrame(rows, columns=["run", "start", "end", "count"])


def output_histogram(
    values_df: pd.DataFrame,
    low: float = 0.0,
    high: float = 1.0,
    bins: int = 40,
    runs: Sequence[str] | None = None,
) -> alt.LayerChart:
    """Histogram of the network's current output values, with the [low, high] band shaded.

    Input: column ``value`` (every output entry, e.g. all 10 outputs of every
    test digit) and optionally ``run``. Binning is done here in numpy (a
    10,000-digit MNIST test set has 100,000 values); the bins span the data
    and always the whole band. Several runs are drawn as see-through bars
    over each other, not stacked, so each run's shape stays readable.
    """
    data = _clean(values_df, ["value"])
    has_run = "run" in data.columns
    domain = run_domain(values_df, runs) if has_run else []
    hist = (
        _histogram_frame(data, low, high, bins)
        if not data.empty
        else pd.DataFrame({"run": [], "start": [], "end": [], "count": []})
    )
    band = (
        alt.Chart(pd.DataFrame({"low": [low], "high": [high], "what": ["valid probabilities"]}))
        .mark_rect(color="#54a24b", opacity=0.15)
        .encode(
            x=alt.X("low:Q", title="output value"),
            x2="high:Q",
            tooltip=[
                alt.Tooltip("what:N", title="shaded band"),
                alt.Tooltip("low:Q", title="from"),
                alt.Tooltip("high:Q", title="to"),
            ],
        )
    )
    bar_encoding = {
        "x": alt.X("start:Q", title="output value"),
        "x2": "end:Q",
        "y": alt.Y("count:Q", title="how many output values", stack=None),
        "y2": alt.Y2Datum(0),
        "tooltip": [
            alt.Tooltip("start:Q", title="from", format=".3g"),
            alt.Tooltip("end:Q", title="to", format=".3g"),
            alt.Tooltip("count:Q", title="values"),
        ],
    }
    if has_run:
        bar_encoding["color"] = run_color(domain)
        bar_encoding["tooltip"] = [alt.Tooltip("run:N", title="run"), *bar_encoding["tooltip"]]
    bars = alt.Chart(hist).mark_bar(opacity=0.6 if has_run else 0.9, binSpacing=0).encode(**bar_encoding)
    return alt.layer(band, bars).properties(
        title=f"Output values now (shaded: the valid range {low:g} to {high:g})", height=HEIGHT
    )


# --------------------------------------------------------------------------- gradients

_RUN_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4]]


def gradient_lines(df_layer: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Size of each layer's weight gradient against epochs, log scale, one colour per layer.

    Input: :func:`frames.layer_long` of grad_norm (columns run, epoch, step,
    layer, layer_index, value). Layers are coloured by depth, input side
    first. With several runs, each run gets its own dash pattern (colour is
    already taken by the layer). Values <= 0 and non-finite are dropped. A
    gap of several powers of ten between the first and last layer is the
    vanishing gradient.
    """
    domain = run_domain(df_layer, runs)
    data = _clean(df_layer, ["epoch", "value"], positive=["value"])
    order = _layer_order(data)
    encoding = {
        "x": _epoch_x(),
        "y": alt.Y("value:Q", title="gradient size (L2 norm, log scale)", scale=alt.Scale(type="log")),
        "color": _layer_color(order),
        "detail": "run:N",
        "tooltip": [
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("layer:N", title="layer"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="gradient size", format=".3g"),
        ],
    }
    if _runs_present(data) > 1:
        encoding["strokeDash"] = alt.StrokeDash(
            "run:N",
            title="run",
            scale=alt.Scale(
                domain=domain, range=[_RUN_DASHES[i % len(_RUN_DASHES)] for i in range(len(domain))]
            ),
            legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400),
        )
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(**encoding)
        .properties(title="How big the gradient is in each layer", height=HEIGHT)
    )


def _fill_bins(data: pd.DataFrame) -> pd.DataFrame:
    """Mean per (run, layer, bin); bins with no record repeat the previous one.

    Records are spaced by steps, not by the bin width, so some bins catch no
    record; carrying the last value forward keeps each row a continuous band
    up to where that run has got to (no holes that look like missing data).
    """
    parts = []
    for (run, layer), part in data.groupby(["run", "layer"], sort=False):
        means = part.groupby("bin").agg(log10=("log10", "mean"), value=("value", "mean"))
        full = means.reindex(range(int(means.index.min()), int(means.index.max()) + 1)).ffill()
        parts.append(full.rename_axis("bin").reset_index().assign(run=run, layer=layer))
    return pd.concat(parts, ignore_index=True)


def gradient_heatmap(df_layer: pd.DataFrame, bins: int = 40) -> alt.Chart:
    """Layers (rows, input layer at top) × time (columns, epoch bins), colour = log10 gradient size.

    Input: :func:`frames.layer_long` of grad_norm. Epochs are binned here in
    pandas (mean of log10 per bin), so the chart gets at most ``bins`` cells
    per layer. With several runs the rows are "run · layer" (runs in the
    order passed, layers input first inside each) rather than a facet, so the
    chart still fills its container's width.
    """
    domain = run_domain(df_layer)
    data = _clean(df_layer, ["epoch", "value"], positive=["value"])
    order = _layer_order(data)
    if data.empty:
        cells = pd.DataFrame(
            {"row": [], "run": [], "layer": [], "start": [], "end": [], "log10": [], "value": []}
        )
        rows: list[str] = []
    else:
        data["log10"] = np.log10(data["value"])
        hi = float(data["epoch"].max())
        lo = min(0.0, float(data["epoch"].min()))
        edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
        data["bin"] = np.clip(np.searchsorted(edges, data["epoch"], side="right") - 1, 0, bins - 1)
        cells = _fill_bins(data)
        cells["start"] = edges[cells["bin"]]
        cells["end"] = edges[cells["bin"] + 1]
        several = _runs_present(cells) > 1
        cells["row"] = cells["run"] + " · " + cells["layer"] if several else cells["layer"]
        if several:
            present = set(cells["row"])
            rows = [f"{r} · {layer}" for r in domain for layer in order if f"{r} · {layer}" in present]
        else:
            rows = list(order)
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("start:Q", title="epochs (passes over the training data)", scale=alt.Scale(nice=False)),
            x2="end:Q",
            y=alt.Y("row:N", title="layer (input at top)", sort=rows, axis=alt.Axis(labelLimit=300)),
            color=alt.Color(
                "log10:Q",
                title="gradient size (log10)",
                scale=alt.Scale(scheme="viridis"),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("layer:N", title="layer"),
                alt.Tooltip("start:Q", title="from epoch", format=".2f"),
                alt.Tooltip("end:Q", title="to epoch", format=".2f"),
                alt.Tooltip("value:Q", title="gradient size", format=".3g"),
            ],
        )
        .properties(
            title="Gradient size by layer over time (dark: vanishing)", height=max(120, 28 * len(rows))
        )
    )


def gradient_bars(df_bars: pd.DataFrame) -> alt.Chart:
    """Each layer's gradient now: mean and max |gradient| side by side, log scale.

    Input: :func:`frames.last_layer_bars` (columns layer, layer_index, stat,
    value). Layers run left to right from input to output.
    """
    data = _clean(df_bars, ["value"], positive=["value"])
    order = (
        [str(n) for n in data.sort_values("layer_index")["layer"].drop_duplicates()] if not data.empty else []
    )
    stats = ["mean |grad|", "max |grad|"]
    # Bars on a log scale need a floor to grow from (log 0 does not exist):
    # half a decade below the smallest value, so the smallest bar still shows.
    floor = 10 ** np.floor(np.log10(data["value"].min()) - 0.5) if not data.empty else 1e-6
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "layer:N", title="layer (input side on the left)", sort=order, axis=alt.Axis(labelAngle=0)
            ),
            xOffset=alt.XOffset("stat:N", sort=stats),
            y=alt.Y(
                "value:Q",
                title="size of the weight gradient (log scale)",
                scale=alt.Scale(type="log", domainMin=floor),
                stack=None,
            ),
            y2=alt.Y2Datum(floor),
            color=alt.Color(
                "stat:N",
                title="",
                scale=alt.Scale(domain=stats, range=["#4c78a8", "#f58518"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("layer:N", title="layer"),
                alt.Tooltip("stat:N", title="statistic"),
                alt.Tooltip("value:Q", title="value", format=".3g"),
            ],
        )
        .properties(title="Gradient reaching each layer now", height=HEIGHT)
    )


def saturation_chart(df_layer: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Share of saturated units (solid) and dead units (dashed) per hidden layer over time.

    Input: one frame with a ``metric`` column, "saturated" or "dead"
    (:func:`frames.saturation_long`); a frame without it is read as
    "saturated". One run: colour = layer (by depth). Several runs: colour =
    run (same colours as the other charts) and each layer is its own line,
    named in the tooltip, because a chart has only so many channels.
    """
    domain = run_domain(df_layer, runs)
    data = df_layer if "metric" in df_layer.columns else df_layer.assign(metric="saturated")
    data = _clean(data, ["epoch", "value"])
    order = _layer_order(data)
    several = _runs_present(data) > 1
    encoding = {
        "x": _epoch_x(),
        "y": alt.Y(
            "value:Q", title="share of units", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
        ),
        "strokeDash": alt.StrokeDash(
            "metric:N",
            title="units",
            scale=alt.Scale(domain=["saturated", "dead"], range=[[1, 0], [5, 3]]),
            legend=alt.Legend(orient="bottom"),
        ),
        "detail": "layer:N" if several else "run:N",
        "color": run_color(domain) if several else _layer_color(order, title="hidden layer"),
        "tooltip": [
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("layer:N", title="layer"),
            alt.Tooltip("metric:N", title="units"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="share", format=".1%"),
        ],
    }
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(**encoding)
        .properties(
            title="Stuck units: saturated (gradient almost 0) and dead (always output 0)", height=HEIGHT
        )
    )


# --------------------------------------------------------------------------- predictions


def _cell_edges(values: pd.Series) -> float:
    """Spacing of a regular grid's coordinates (1.0 when there is a single value)."""
    steps = np.diff(np.unique(values.to_numpy(dtype=float)))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 1.0


def decision_chart(grid_df: pd.DataFrame, points_df: pd.DataFrame, height: int = 380) -> alt.LayerChart:
    """What the network predicts over the plane, under the data points (2-D toy problems).

    ``grid_df`` (x, y, cls, confidence): a regular grid of predictions, drawn
    as cells coloured by predicted class, more opaque where the network is
    more sure. Keep it at about 60 × 60 cells or fewer (3,600 rects).
    ``points_df`` (x, y, label, split): training points as filled circles,
    test points as hollow rings, coloured by their true class, so a point
    sitting on a region of another colour is a mistake.
    """
    grid = _clean(grid_df, ["x", "y", "confidence"])
    points = _clean(points_df, ["x", "y"])
    classes = sorted({*grid["cls"].tolist(), *points["label"].tolist()}, key=lambda v: (str(type(v)), v))
    class_names = [str(c) for c in classes]
    grid["cls"] = grid["cls"].astype(str)
    points["label"] = points["label"].astype(str)
    dx, dy = (_cell_edges(grid["x"]), _cell_edges(grid["y"])) if not grid.empty else (1.0, 1.0)
    grid["x0"], grid["x1"] = grid["x"] - dx / 2, grid["x"] + dx / 2
    grid["y0"], grid["y1"] = grid["y"] - dy / 2, grid["y"] + dy / 2
    scale = alt.Scale(
        domain=class_names, range=[CLASS_PALETTE[i % len(CLASS_PALETTE)] for i in range(len(classes))]
    )
    x_scale = alt.Scale(nice=False, zero=False)
    y_scale = alt.Scale(nice=False, zero=False)
    regions = (
        alt.Chart(grid)
        .mark_rect()
        .encode(
            x=alt.X("x0:Q", title="feature 1", scale=x_scale),
            x2="x1:Q",
            y=alt.Y("y0:Q", title="feature 2", scale=y_scale),
            y2="y1:Q",
            color=alt.Color("cls:N", title="class", scale=scale, legend=alt.Legend(orient="bottom")),
            opacity=alt.Opacity(
                "confidence:Q",
                title="how sure",
                scale=alt.Scale(domain=[0, 1], range=[0.05, 0.6]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("cls:N", title="predicted class"),
                alt.Tooltip("confidence:Q", title="how sure", format=".0%"),
            ],
        )
    )
    point_encoding = {
        "x": alt.X("x:Q", scale=x_scale),
        "y": alt.Y("y:Q", scale=y_scale),
        "color": alt.Color("label:N", title="class", scale=scale),
        "tooltip": [
            alt.Tooltip("label:N", title="true class"),
            alt.Tooltip("split:N", title="data"),
            alt.Tooltip("x:Q", format=".2f"),
            alt.Tooltip("y:Q", format=".2f"),
        ],
    }
    split = (
        points["split"].astype(str) if "split" in points.columns else pd.Series("train", index=points.index)
    )
    train = (
        alt.Chart(points[split == "train"])
        .mark_circle(size=28, opacity=0.9, stroke="white", strokeWidth=0.5)
        .encode(**point_encoding)
    )
    test = (
        alt.Chart(points[split != "train"])
        .mark_point(size=40, filled=False, strokeWidth=1.5, opacity=1)
        .encode(**point_encoding)
    )
    return alt.layer(regions, train, test).properties(
        title="What the network predicts where (filled: training points, rings: test points)", height=height
    )


def _digit_image(pixels: object, factor: int) -> np.ndarray:
    """A digit as a square ink array in [0, 1], shrunk by averaging factor × factor blocks.

    Intensities are rescaled per image, so raw 0–255, [0, 1] and standardised
    pixels all come out the same.
    """
    arr = np.asarray(pixels, dtype=float).reshape(-1)
    side = int(round(np.sqrt(arr.size)))
    img = np.nan_to_num(arr[: side * side].reshape(side, side))
    lo, hi = img.min(), img.max()
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    if factor > 1:
        cut = side - side % factor
        img = img[:cut, :cut].reshape(cut // factor, factor, cut // factor, factor).mean(axis=(1, 3))
    return img


def digits_chart(df: pd.DataFrame, columns: int = 6, factor: int = 2, min_ink: float = 0.1) -> alt.LayerChart:
    """Small test digits, each with the network's guess and how sure it is; mistakes in red.

    ``df``: one row per digit with ``pixels`` (784 values or 28 × 28),
    ``pred``, ``label``, ``confidence`` and optionally ``idx``, ``row``,
    ``col`` (grid cell; by default filled ``columns`` to a row).

    Trade-off: Altair draws pixels as rect marks, and 36 digits × 784 pixels
    is 28,000 marks: too slow to redraw a few times a second. So each image
    is shrunk by averaging ``factor`` × ``factor`` blocks (2 → 14 × 14, still
    legible) and near-blank pixels (ink below ``min_ink``) are not drawn at
    all (each digit has a light tile behind it): about 2,000 rects for 36
    digits. Keep to 36 digits or so.
    """
    digits = df.reset_index(drop=True).copy()
    if "idx" not in digits.columns:
        digits["idx"] = digits.index
    if "row" not in digits.columns or "col" not in digits.columns:
        digits["row"] = digits.index // columns
        digits["col"] = digits.index % columns
    digits["right"] = digits["pred"].astype(str) == digits["label"].astype(str)
    digits["outcome"] = np.where(digits["right"], "right", "wrong")
    digits["caption"] = [
        f"{p} · {c:.0%}" if np.isfinite(c) else f"{p}"
        for p, c in zip(
            digits["pred"], pd.to_numeric(digits["confidence"], errors="coerce").astype(float), strict=True
        )
    ]
    side = _digit_image(digits["pixels"].iloc[0], factor).shape[0] if len(digits) else 28 // factor
    cell_w, cell_h = side + 2, side + 6
    pixel_rows = []
    for d in digits.itertuples(index=False):
        img = _digit_image(d.pixels, factor)
        ys, xs = np.nonzero(img >= min_ink)
        x0, y0 = d.col * cell_w, d.row * cell_h
        for yy, xx in zip(ys, xs, strict=True):
            pixel_rows.append((x0 + xx, y0 + yy, float(img[yy, xx]), d.idx, str(d.label), str(d.pred)))
    pixels = pd.DataFrame(pixel_rows, columns=["px", "py", "ink", "idx", "label", "pred"])
    pixels["px2"], pixels["py2"] = pixels["px"] + 1, pixels["py"] + 1
    tiles = digits.drop(columns=["pixels"]).assign(
        x0=digits["col"] * cell_w - 0.5,
        x1=digits["col"] * cell_w + side + 0.5,
        y0=digits["row"] * cell_h - 0.5,
        y1=digits["row"] * cell_h + side + 0.5,
        tx=digits["col"] * cell_w + side / 2,
        ty=digits["row"] * cell_h + side + 0.8,
        confidence=pd.to_numeric(digits["confidence"], errors="coerce").astype(float),
    )
    tiles["label"] = tiles["label"].astype(str)
    tiles["pred"] = tiles["pred"].astype(str)
    n_rows = int(digits["row"].max()) + 1 if len(digits) else 1
    hidden = alt.Axis(labels=False, ticks=False, domain=False, grid=False, title=None)
    x_scale = alt.Scale(domain=[-1, columns * cell_w], nice=False, zero=False)
    y_scale = alt.Scale(domain=[-1, n_rows * cell_h], nice=False, zero=False, reverse=True)
    tips = [
        alt.Tooltip("label:N", title="true digit"),
        alt.Tooltip("pred:N", title="network says"),
        alt.Tooltip("confidence:Q", title="how sure", format=".0%"),
        alt.Tooltip("outcome:N", title="guess"),
    ]
    tile_layer = (
        alt.Chart(tiles)
        .mark_rect(strokeWidth=1.5)
        .encode(
            x=alt.X("x0:Q", scale=x_scale, axis=hidden),
            x2="x1:Q",
            y=alt.Y("y0:Q", scale=y_scale, axis=hidden),
            y2="y1:Q",
            fill=alt.Fill(
                "outcome:N",
                scale=alt.Scale(domain=["right", "wrong"], range=["#f4f4f4", "#fde0e0"]),
                legend=None,
            ),
            stroke=alt.Stroke(
                "outcome:N",
                scale=alt.Scale(domain=["right", "wrong"], range=["#dddddd", MISTAKE_RED]),
                legend=None,
            ),
            tooltip=tips,
        )
    )
    pixel_layer = (
        alt.Chart(pixels)
        .mark_rect()
        .encode(
            x=alt.X("px:Q", scale=x_scale, axis=hidden),
            x2="px2:Q",
            y=alt.Y("py:Q", scale=y_scale, axis=hidden),
            y2="py2:Q",
            color=alt.Color("ink:Q", scale=alt.Scale(scheme="greys", domain=[0, 1]), legend=None),
            tooltip=[alt.Tooltip("label:N", title="true digit"), alt.Tooltip("pred:N", title="network says")],
        )
    )
    text_layer = (
        alt.Chart(tiles)
        .mark_text(baseline="top", fontSize=11)
        .encode(
            x=alt.X("tx:Q", scale=x_scale, axis=hidden),
            y=alt.Y("ty:Q", scale=y_scale, axis=hidden),
            text="caption:N",
            color=alt.Color(
                "outcome:N",
                scale=alt.Scale(domain=["right", "wrong"], range=["#333333", MISTAKE_RED]),
                legend=None,
            ),
            tooltip=tips,
        )
    )
    return (
        alt.layer(tile_layer, pixel_layer, text_layer)
        .resolve_scale(color="independent")
        .properties(
            title="Test digits: the network's guess and how sure it is (red: wrong)", height=80 * n_rows
        )
    )


def confusion_chart(matrix_df: pd.DataFrame) -> alt.LayerChart:
    """Confusion matrix: true digit (rows) × predicted digit (columns), counts written in.

    Input: columns true, pred, count. The diagonal holds the right answers;
    a bright cell off it shows which digit is mistaken for which.
    """
    data = matrix_df.copy()
    data["count"] = pd.to_numeric(data["count"], errors="coerce").fillna(0).astype(int)
    order = sorted({*data["true"].tolist(), *data["pred"].tolist()}, key=lambda v: (str(type(v)), v))
    order_names = [str(v) for v in order]
    totals = data.groupby("true")["count"].transform("sum")
    data["share"] = np.where(totals > 0, data["count"] / totals.where(totals > 0, 1), 0.0)
    data["true"] = data["true"].astype(str)
    data["pred"] = data["pred"].astype(str)
    threshold = float(data["count"].max()) / 2 if len(data) else 0.0
    base = alt.Chart(data).encode(
        x=alt.X("pred:O", title="network says", sort=order_names, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("true:O", title="true digit", sort=order_names),
        tooltip=[
            alt.Tooltip("true:N", title="true digit"),
            alt.Tooltip("pred:N", title="network says"),
            alt.Tooltip("count:Q", title="how many"),
            alt.Tooltip("share:Q", title="share of this digit", format=".1%"),
        ],
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", title="how many", scale=alt.Scale(scheme="blues"), legend=None)
    )
    text = base.mark_text(fontSize=11).encode(
        text="count:Q",
        color=alt.condition(alt.datum.count > threshold, alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells, text).properties(title="Which digits get confused with which", height=360)


# --------------------------------------------------------------------------- output-layer gradient


def output_gradient_lines(df_long: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Mean |∂loss/∂z| per example at the output layer's pre-activation, against epochs (log scale).

    Input: :func:`frames.metric_long` of ``out_grad_mean_abs``. This is what the
    last layer learns from: o − t for softmax + cross-entropy,
    2(o − t)·o·(1 − o) for sigmoid + squared error.
    """
    domain = run_domain(df_long, runs)
    data = _clean(df_long, ["epoch", "value"], positive=["value"])
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=_epoch_x(),
            y=alt.Y("value:Q", title="mean |∂loss/∂z| per example", scale=alt.Scale(type="log")),
            color=run_color(domain),
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
                alt.Tooltip("value:Q", title="gradient size", format=".3g"),
            ],
        )
        .properties(title="Gradient at the output layer over training", height=HEIGHT)
    )


def output_gradient_histogram(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Distribution of |∂loss/∂z| over the output units of a test batch, one colour per run.

    Input: columns ``value`` (absolute gradients) and ``run``. Log-spaced bins
    are computed here, because the sizes span many orders of magnitude.
    """
    domain = run_domain(df, runs)
    data = _clean(df, ["value"], positive=["value"])
    if data.empty:
        bins = pd.DataFrame({"run": [], "start": [], "end": [], "count": []})
    else:
        edges = np.logspace(np.log10(data["value"].min()), np.log10(data["value"].max()) + 1e-9, 31)
        parts = []
        for run, group in data.groupby("run", observed=True):
            counts, _ = np.histogram(group["value"], bins=edges)
            parts.append(pd.DataFrame({"run": run, "start": edges[:-1], "end": edges[1:], "count": counts}))
        bins = pd.concat(parts, ignore_index=True)
    return (
        alt.Chart(bins)
        .mark_rect(opacity=0.55)
        .encode(
            x=alt.X("start:Q", title="|∂loss/∂z| (log scale)", scale=alt.Scale(type="log")),
            x2="end:Q",
            y=alt.Y("count:Q", title="output units", stack=None),
            color=run_color(domain),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("start:Q", format=".2g"), alt.Tooltip("count:Q")],
        )
        .properties(title="How big the output gradients are now (one test batch)", height=HEIGHT)
    )
