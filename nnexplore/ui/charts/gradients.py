"""Charts of the gradients: each layer's gradient over time and now, and the output layer's.

Pure functions DataFrame -> chart, no state, no streamlit. Inputs are the
tidy frames of :mod:`nnexplore.ui.charts.frames`, or (for the output-gradient
histogram) one row per output unit. Long gradient histories are binned in
pandas before they reach Altair.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.ui.charts.style import (
    HEIGHT,
    clean,
    epoch_x,
    layer_color,
    layer_order,
    run_color,
    run_domain,
    runs_present,
)

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
    data = clean(df_layer, ["epoch", "value"], positive=["value"])
    order = layer_order(data)
    encoding = {
        "x": epoch_x(),
        "y": alt.Y("value:Q", title="gradient size (L2 norm, log scale)", scale=alt.Scale(type="log")),
        "color": layer_color(order),
        "detail": "run:N",
        "tooltip": [
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("layer:N", title="layer"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="gradient size", format=".3g"),
        ],
    }
    if runs_present(data) > 1:
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
    data = clean(df_layer, ["epoch", "value"], positive=["value"])
    order = layer_order(data)
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
        several = runs_present(cells) > 1
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
    data = clean(df_bars, ["value"], positive=["value"])
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


def output_gradient_lines(df_long: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Mean |∂loss/∂z| per example at the output layer's pre-activation, against epochs (log scale).

    Input: :func:`frames.metric_long` of ``out_grad_mean_abs``. This is what the
    last layer learns from: o − t for softmax + cross-entropy,
    2(o − t)·o·(1 − o) for sigmoid + squared error.
    """
    domain = run_domain(df_long, runs)
    data = clean(df_long, ["epoch", "value"], positive=["value"])
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2)
        .encode(
            x=epoch_x(),
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
    data = clean(df, ["value"], positive=["value"])
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
