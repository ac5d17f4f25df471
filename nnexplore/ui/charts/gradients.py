"""Charts of the gradients: each layer's gradient over time and now, and the output layer's.

Pure functions DataFrame -> chart, no state, no streamlit. Inputs are the
tidy frames of :mod:`nnexplore.ui.charts.frames`, or (for the output-gradient
histogram) one row per output unit. Long gradient histories are binned in
pandas before they reach Altair.

Panels: the per-layer charts (lines, heatmap, bars) draw one network each, so
the page shows one panel per run side by side. Each builder then takes the
frame of *all* the runs shown plus ``run=`` (the one to draw): axes, colour
scales and layer colours come from the whole frame, so panels side by side
share them and can be compared by eye; only the marks are that one run's.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.ui.charts.style import (
    EPOCHS_SHORT,
    HEIGHT,
    NARROW_LEGEND,
    STAT_GREYS,
    clean,
    epoch_x,
    last_points,
    layer_color,
    layer_order,
    reference_rule,
    run_color,
    run_curve,
    run_domain,
    runs_present,
)
from nnexplore.ui.charts.timeline import IN_MOMENT, timeline_param

REACH_NOTE = "as strong as the output layer"
"""The name of the reference rule at 1 in :func:`reach_chart`."""
GRADIENT = "|∂loss/∂w|"
"""A layer's weight gradient in an axis title: its size (the L2 norm over the layer's weights)."""


def decades(values: pd.Series | np.ndarray, include: Sequence[float] = ()) -> list[float]:
    """[10^floor(log10 min), 10^ceil(log10 max)] of the positive finite values (and ``include``).

    A log axis that starts and ends on whole powers of ten reads as "so many
    factors of ten"; computed once from every run shown, it is the shared
    domain that makes panels side by side comparable. [0.1, 10] when there
    is nothing to show.
    """
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    v = np.concatenate([v[np.isfinite(v) & (v > 0)], np.asarray(include, dtype=float)])
    if v.size == 0:
        return [0.1, 10.0]
    lo, hi = np.floor(np.log10(v.min())), np.ceil(np.log10(v.max()))
    if hi <= lo:
        hi = lo + 1
    return [float(10**lo), float(10**hi)]


def _one_run(data: pd.DataFrame, run: str | None) -> pd.DataFrame:
    """The rows of ``run`` (all rows when None): the marks of one panel."""
    return data if run is None else data[data["run"] == str(run)].reset_index(drop=True)


def gradient_lines(
    df_layer: pd.DataFrame, runs: Sequence[str] | None = None, *, run: str | None = None
) -> alt.Chart:
    """Size of each layer's weight gradient against epochs, log scale, one colour per layer.

    Input: :func:`frames.layer_long` of grad_norm (columns run, epoch, step,
    layer, layer_index, value). Layers are coloured by depth, input side
    first. ``run``: draw that run only, as one panel of several; the y axis
    (whole powers of ten) and the layer colours come from every run in the
    frame, so panels side by side share them. Without ``run`` every run's lines
    are drawn in one chart, solid (a line style means training or test data on
    this page, never a run): draw several runs as panels. No title: a panel is
    drawn under its run's name and the view's heading. Values <= 0 and
    non-finite are dropped. A gap of several powers of ten between the first
    and last layer is the vanishing gradient.
    """
    everything = clean(df_layer, ["epoch", "value"], positive=["value"])
    order = layer_order(everything)
    data = _one_run(everything, run)
    encoding = {
        "x": epoch_x(EPOCHS_SHORT),
        "y": alt.Y(
            "value:Q",
            title=f"{GRADIENT} (log scale)",
            scale=alt.Scale(type="log", domain=decades(everything["value"])),
        ),
        "color": layer_color(order),
        "detail": alt.Detail("run:N"),
        "tooltip": [
            alt.Tooltip("run:N", title="run"),
            alt.Tooltip("layer:N", title="layer"),
            alt.Tooltip("epoch:Q", title="epoch", format=".2f"),
            alt.Tooltip("value:Q", title="gradient size", format=".3g"),
        ],
    }
    return (
        alt.Chart(
            data,
            height=HEIGHT,
            description=f"Gradient size per layer over the epochs{f', {run}' if run else ''}.",
        )
        .mark_line(strokeWidth=2)
        .encode(**encoding)
    )


def reach_chart(df_reach: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.LayerChart:
    """First hidden layer's gradient over the output layer's, against epochs: one line per run.

    Input: :func:`frames.reach_long` (columns run, epoch, step, value).
    Colour = run, with the same colours as the accuracy chart. Log scale,
    from whole powers of ten around the data and 1, with a grey dotted reference
    rule at 1 named :data:`REACH_NOTE`: a line at 1 means the first layer
    learns from as strong a signal as the output layer; each power of ten
    below it is a tenfold weaker one (the gradient vanishes on its way back).
    """
    domain = run_domain(df_reach, runs)
    data = clean(df_reach, ["epoch", "value"], positive=["value"])
    y = alt.Y(
        "value:Q",
        title=f"{GRADIENT}, first layer ÷ output (log scale)",
        scale=alt.Scale(type="log", domain=decades(data["value"], include=[1.0])),
    )
    encoding = run_curve(y, domain, "value", "first layer ÷ output", ".3g")
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(**encoding)
    now = alt.Chart(last_points(data, ["run"])).mark_point(filled=True, size=40).encode(**encoding)
    rule, note = reference_rule([1.0], [REACH_NOTE], y=y)
    return alt.layer(
        lines,
        now,
        rule,
        note,
        height=HEIGHT,
        description="One line per run: the first hidden layer's gradient divided by the output "
        "layer's, over the epochs, with a reference line at 1.",
    )


def _fill_bins(data: pd.DataFrame) -> pd.DataFrame:
    """Mean per (run, layer, bin); bins with no record repeat the previous one.

    Records are spaced by steps, not by the bin width, so some bins catch no
    record; carrying the last value forward keeps each row a continuous band
    up to where that run has got to (no holes that look like missing data).
    """
    # One groupby for every mean (one per run and layer cost 1.5 ms each), then the gaps filled
    # series by series.
    means = data.groupby(["run", "layer", "bin"], sort=False)[["log10", "value"]].mean()
    parts = []
    for (run, layer), part in means.groupby(level=["run", "layer"], sort=False):
        part = part.droplevel(["run", "layer"])
        full = part.reindex(range(int(part.index.min()), int(part.index.max()) + 1)).ffill()
        parts.append(full.rename_axis("bin").reset_index().assign(run=run, layer=layer))
    return pd.concat(parts, ignore_index=True)


def gradient_heatmap(df_layer: pd.DataFrame, bins: int = 40, *, run: str | None = None) -> alt.Chart:
    """Layers (rows, input layer at top) × time (columns, epoch bins), colour = log10 gradient size.

    Input: :func:`frames.layer_long` of grad_norm. Epochs are binned here in
    pandas (mean of log10 per bin), so the chart gets at most ``bins`` cells
    per layer. ``run``: draw that run only, as one panel of several; the
    epoch bins and the colour scale (whole powers of ten) come from every run
    in the frame, so the same colour is the same size in every panel. Without
    ``run`` and with several runs the rows are "run · layer" (runs in the
    order passed, layers input first inside each) rather than a facet, so the
    chart still fills its container's width.
    """
    domain = run_domain(df_layer)
    everything = clean(df_layer, ["epoch", "value"], positive=["value"])
    colours = [float(np.log10(v)) for v in decades(everything["value"])]
    data = _one_run(everything, run)
    order = layer_order(data)
    if data.empty:
        cells = pd.DataFrame(
            {"row": [], "run": [], "layer": [], "start": [], "end": [], "log10": [], "value": []}
        )
        rows: list[str] = []
    else:
        data["log10"] = np.log10(data["value"])
        hi = float(everything["epoch"].max())
        lo = min(0.0, float(everything["epoch"].min()))
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
        alt.Chart(
            cells,
            height=max(120, 28 * len(rows)),
            description=f"Heatmap of the gradient size per layer over the epochs{f', {run}' if run else ''}.",
        )
        .mark_rect()
        .encode(
            x=alt.X("start:Q", title=EPOCHS_SHORT, scale=alt.Scale(nice=False)),
            x2=alt.X2("end:Q"),
            y=alt.Y("row:N", title=None, sort=rows, axis=alt.Axis(labelLimit=300)),
            color=alt.Color(
                "log10:Q",
                title=GRADIENT,
                scale=alt.Scale(scheme="viridis", domain=colours),
                # short enough for a panel 120 px wide (four runs at a 1000 px window): the ends
                # only, as sizes (0.0001, 1) rather than their powers of ten
                legend=alt.Legend(
                    gradientLength=56,
                    values=colours,
                    labelExpr="format(pow(10, datum.value), '~g')",
                    **NARROW_LEGEND,
                ),
            ),
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("layer:N", title="layer"),
                alt.Tooltip("start:Q", title="from epoch", format=".2f"),
                alt.Tooltip("end:Q", title="to epoch", format=".2f"),
                alt.Tooltip("value:Q", title="gradient size", format=".3g"),
            ],
        )
    )


def gradient_bars(df_bars: pd.DataFrame, *, run: str | None = None) -> alt.Chart:
    """Each layer's gradient now: mean and largest |gradient| side by side, dark and light grey
    (no run colour: the panel is one run's), log scale.

    Input: :func:`frames.last_layer_bars` (columns layer, layer_index, stat,
    value), or :func:`frames.layer_bars` (the same with a ``run`` column) and
    ``run``, the run to draw as one panel of several: the y axis then comes
    from every run in the frame, so bars side by side share it. Layers run
    left to right from input to output. With columns ``t0`` and ``t1`` (timeline.bars_at_moments)
    the bars follow the page's timeline control.
    """
    everything = clean(df_bars, ["value"], positive=["value"])
    data = _one_run(everything, run)
    order = (
        [str(n) for n in data.sort_values("layer_index")["layer"].drop_duplicates()] if not data.empty else []
    )
    stats = ["mean |grad|", "max |grad|"]
    # Bars on a log scale need a floor to grow from (log 0 does not exist):
    # half a decade below the smallest value, so the smallest bar still shows.
    floor = 10 ** np.floor(np.log10(everything["value"].min()) - 0.5) if not everything.empty else 1e-6
    top = decades(everything["value"])[1]
    chart = (
        alt.Chart(
            data,
            height=HEIGHT,
            description=f"Bars of each layer's gradient size now{f', {run}' if run else ''}.",
        )
        .mark_bar()
        .encode(
            x=alt.X("layer:N", title="layer", sort=order, axis=alt.Axis(labelAngle=-45)),
            xOffset=alt.XOffset("stat:N", sort=stats),
            y=alt.Y(
                "value:Q",
                title=f"{GRADIENT} now (log scale)",
                scale=alt.Scale(type="log", domain=[float(floor), top]),
                stack=None,
            ),
            y2=alt.Y2Datum(float(floor)),
            color=alt.Color(
                "stat:N",
                title=None,
                scale=alt.Scale(domain=stats, range=STAT_GREYS),
                legend=alt.Legend(
                    direction="vertical",
                    labelExpr="datum.label == 'max |grad|' ? 'largest' : 'mean'",
                    **NARROW_LEGEND,
                ),
            ),
            tooltip=[
                alt.Tooltip("layer:N", title="layer"),
                alt.Tooltip("stat:N", title="statistic"),
                alt.Tooltip("value:Q", title="value", format=".3g"),
            ],
        )
    )
    if "t0" in data.columns:
        return chart.transform_filter(IN_MOMENT).add_params(timeline_param())
    return chart


PUSH_TITLE = "Push per example"
"""The output-push chart's title: whole in a half-width column at a 1000 px window (262 px, of
which Streamlit gives a title 222: about 26 characters); the view's heading says "output layer"."""

FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
"""Fill the column's width, keep the plot's own height: drawn with st.altair_chart, a chart
without it gets Streamlit's "fit", which squeezes the plot into HEIGHT with its title and legend
(the output-push chart collapsed to a line with one tick and half a title)."""


def log_ticks(domain: Sequence[float]) -> list[float]:
    """1, 2 and 5 times each power of ten inside ``domain``: a log axis with a readable tick
    every factor of 2 to 2.5, where Vega-Lite may give one tick on a short span; over more
    than four powers of ten (more than 13 ticks) the powers of ten only."""
    lo, hi = domain
    first, last = int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi)))
    steps = (1, 2, 5) if last - first <= 4 else (1,)
    ticks = [m * 10.0**e for e in range(first, last + 1) for m in steps]
    return [float(f"{t:.3g}") for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]


def output_gradient_lines(df_long: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.LayerChart:
    """The push per example at the output layer against epochs, one colour per run (log scale).

    Input: :func:`frames.metric_long` of ``out_push``: on one example the push is
    Σ_k |∂ℓ/∂z_k|, the size of that example's gradient at the output layer's numbers before the
    activation z (what the last layer learns from), averaged over the examples of the sampled
    steps (docs/metrics.md). Softmax + cross-entropy: 2(1 − p), p the right class's probability;
    sigmoid + squared error: Σ_k 2|o_k − t_k|·o_k(1 − o_k). The y axis spans whole powers of ten
    with ticks at 1, 2 and 5 times each.
    """
    domain = run_domain(df_long, runs)
    data = clean(df_long, ["epoch", "value"], positive=["value"])
    span = decades(data["value"])
    encoding = run_curve(
        alt.Y(
            "value:Q",
            title="Σ |∂loss/∂z| per example (log scale)",
            scale=alt.Scale(type="log", domain=span),
            axis=alt.Axis(values=log_ticks(span), format="~g"),
        ),
        domain,
        "value",
        "push per example",
        ".3g",
    )
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(**encoding)
    now = alt.Chart(last_points(data, ["run"])).mark_point(filled=True, size=40).encode(**encoding)
    return alt.layer(
        lines,
        now,
        title=alt.Title(PUSH_TITLE, subtitle="Σ over the outputs of |∂loss/∂z|"),
        height=HEIGHT,
        autosize=FIT_WIDTH,
        description="One line per run: the push per example at the output layer over the epochs.",
    )


def output_gradient_histogram(df: pd.DataFrame, runs: Sequence[str] | None = None) -> alt.Chart:
    """Distribution of |∂ℓ/∂z_k| over the outputs k and examples of a test batch, one colour per run.

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
        alt.Chart(
            bins,
            title="Output gradients now",
            height=HEIGHT,
            autosize=FIT_WIDTH,
        )
        .mark_rect(opacity=0.55)
        .encode(
            x=alt.X(
                "start:Q",
                title="|∂loss/∂z| (log scale)",
                scale=alt.Scale(type="log"),
            ),
            x2=alt.X2("end:Q"),
            y=alt.Y("count:Q", title="output units", stack=None),
            color=run_color(domain),
            tooltip=[alt.Tooltip("run:N"), alt.Tooltip("start:Q", format=".2g"), alt.Tooltip("count:Q")],
        )
    )
