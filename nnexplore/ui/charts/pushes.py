"""Who gets pushed: each test example's push at the output layer against how right the network is.

Pure function DataFrame -> chart, no state, no streamlit. Input: one row per
test example (nnexplore.snapshots.pushes) with a ``run`` column. The push is
|∂loss/∂z| of the right class's pre-activation z: what moves that class's
score up. With softmax + cross-entropy it is 1 − p (p: the probability given
to the right class), so the most confidently wrong examples (p near 0) are
pushed hardest; with squared error the slope of the softmax or sigmoid
multiplies it, and those same examples are barely pushed.

The push axis is linear, not log: the contrast is "about 1" against "about 0"
at the left edge, which a linear axis shows at a glance, while a log axis
would spread the tiny pushes of the right answers over many decades and make
them look important.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.ui.charts.style import HEIGHT, clean, run_color, run_domain
from nnexplore.ui.charts.timeline import IN_MOMENT, timeline_param

#: Below this probability for the right class an answer counts as confidently wrong (the shaded
#: corner); 0.2 is already below even chance for two classes, and far below it for ten.
CONFIDENTLY_WRONG = 0.2
#: The mean line averages the dots in this many equal slices of the probability axis: 10 slices
#: of 256 examples leave about 25 per slice, enough for a steady mean, while its shape still shows.
BINS = 10

X_TITLE = "probability of the right class"
Y_TITLE = "push on the right class's score (|∂loss/∂z|)"


def _x(field: str) -> alt.X:
    return alt.X(field, title=X_TITLE, scale=alt.Scale(domain=[0, 1], nice=False, clamp=True))


def binned_means(data: pd.DataFrame, bins: int = BINS) -> pd.DataFrame:
    """Mean push per run and slice of the probability axis (columns run, p, push, examples).

    ``p`` is the mean probability of the examples in the slice, so each point of the line sits
    among its own dots; slices with no example are left out (no line through empty space).
    """
    if data.empty:
        return pd.DataFrame({"run": [], "p": [], "push": [], "examples": []})
    slices = np.clip((data["p"] * bins).astype(int), 0, bins - 1)
    moments = [name for name in ("t0", "t1") if name in data.columns]  # a timeline: per moment
    means = (
        data.assign(slice=slices)
        .groupby(["run", *moments, "slice"], observed=True, sort=True)
        .agg(p=("p", "mean"), push=("push", "mean"), examples=("push", "size"))
        .reset_index()
    )
    return means[["run", *moments, "p", "push", "examples"]]


def pushes_chart(
    df: pd.DataFrame,
    runs: Sequence[str] | None = None,
    *,
    title: str | alt.Title = "Now",
    push_max: float | None = None,
) -> alt.LayerChart:
    """Dots: one per test example and run, at (probability of the right class, push). Line: the
    run's mean push per slice of the probability axis. Shaded: the confidently wrong corner.

    Input: columns ``run``, ``p_right``, ``push``. Non-finite rows are dropped (cross-entropy
    on raw outputs can have none). Raw outputs (no output activation) are not probabilities:
    values below 0 or above 1 are drawn at the edge of the 0..1 axis. ``push_max``: the top of
    the push axis, so that two charts side by side (the start and now) share it. With columns
    ``t0`` and ``t1`` the table holds each run's timeline (timeline.run_moments), and the chart
    shows the moment the page's timeline control points at.
    """
    domain = run_domain(df, runs)
    data = clean(df, ["p_right", "push"]).assign(p=lambda d: d["p_right"].clip(0.0, 1.0))
    # float32: a timeline's dots are 30 moments of every example (6,000 rows a toy run), and
    # the page is sent every number; a dot cannot show more than float32 holds
    data = data.astype({name: "float32" for name in ("p_right", "push", "p", "t0", "t1") if name in data})
    color = run_color(domain)
    band = (
        alt.Chart(pd.DataFrame({"low": [0.0], "high": [CONFIDENTLY_WRONG]}))
        .mark_rect(color="#000000", opacity=0.06)  # grey: on a run chart colour means a run
        .encode(x=_x("low:Q"), x2=alt.X2("high:Q"))
    )
    # Each end's words start at its edge and run inwards: centred, they ran past the plot in a
    # half-width column at a 1000 px window.
    annotations = [
        alt.Chart(pd.DataFrame({"x": [edge], "text": [words]}))
        .mark_text(baseline="top", dy=4, dx=dx, align=align, fontWeight="bold", color="#666666")
        .encode(x=_x("x:Q"), y=alt.YValue(0), text=alt.Text("text:N"))
        for edge, words, align, dx in (
            (0.0, "confidently wrong", "left", 3),
            (1.0, "confidently right", "right", -3),
        )
    ]
    tooltip = [
        alt.Tooltip("run:N", title="run"),
        alt.Tooltip("p_right:Q", title="probability of the right class", format=".3f"),
        alt.Tooltip("push:Q", title="push", format=".3g"),
    ]
    scale = alt.Scale(zero=True) if push_max is None else alt.Scale(domain=[0.0, push_max], clamp=True)
    y = alt.Y("push:Q", title=Y_TITLE, scale=scale)
    dots = (
        alt.Chart(data)
        .mark_circle(size=22, opacity=0.35)
        .encode(x=_x("p:Q"), y=y, color=color, tooltip=tooltip)
    )
    line = (
        alt.Chart(binned_means(data))
        .mark_line(strokeWidth=2.5, point=True)
        .encode(
            x=_x("p:Q"),
            y=y,
            color=color,
            tooltip=[
                alt.Tooltip("run:N", title="run"),
                alt.Tooltip("p:Q", title="mean probability of the right class", format=".2f"),
                alt.Tooltip("push:Q", title="mean push", format=".3g"),
                alt.Tooltip("examples:Q", title="examples in this slice"),
            ],
        )
    )
    if "t0" in data.columns:
        dots, line = dots.transform_filter(IN_MOMENT), line.transform_filter(IN_MOMENT)
        chart = alt.layer(band, dots, line, *annotations, title=title, height=HEIGHT)
        return chart.add_params(timeline_param())
    return alt.layer(band, dots, line, *annotations, title=title, height=HEIGHT)
