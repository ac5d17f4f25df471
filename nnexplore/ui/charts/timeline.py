"""The timeline in the charts: which moment of training a picture shows, chosen in the browser.

A run keeps its pictures at up to 30 moments (nnexplore.snapshots.timeline_records).
A chart that shows them gets every moment at once, each row tagged with the
epochs it stands for (``t0`` up to ``t1``), and a Vega-Lite parameter, PARAM, that
says which epoch to show. The page's one timeline control (nnexplore.ui.timeline)
sets that parameter in every chart of the page through the input Vega binds it
to (hidden), so scrubbing redraws the pictures in the browser with no message to
the server. Curves mark the same moment with a rule (``moment_rule``).

PARAM is END until the learner moves the slider: each run's latest picture,
which is what a live page shows.

Pure functions, no state, no streamlit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

#: The parameter's name in every chart: the timeline control finds the inputs by it.
PARAM = "tl_epoch"
#: "The latest moment": larger than any run's epochs (a run has at most 50 epochs).
END = 1e9
#: The moment's rule on a curve: darker than the grey reference rules, and solid, so it is
#: never read as chance or a threshold (those are dotted, style.reference_rule).
RULE_COLOUR = "#555555"


def timeline_param() -> alt.Parameter:
    """The chart's moment: bound to a range input that the timeline control drives (hidden).

    The input's step is tiny so that it never rounds an epoch the control sets.
    """
    return alt.param(name=PARAM, value=END, bind=alt.binding_range(min=0, max=END, step=1e-6, name="epoch"))


def spans(times: Sequence[float]) -> pd.DataFrame:
    """For moments at ``times`` (epochs, increasing): the epochs each one stands for, t0 to t1.

    A moment stands from its own epoch to the next one's; the first also for every
    epoch before it (the slider may sit before a run's first picture), the last for
    every epoch after it, END included.
    """
    t = np.asarray(times, dtype=float)
    t0 = t.copy()
    t1 = np.append(t[1:], 2 * END) if len(t) else t
    if len(t):
        t0[0] = -1.0
    return pd.DataFrame({"t": t, "t0": t0, "t1": t1})


#: The filter that keeps the rows of the moment PARAM points at.
IN_MOMENT = f"datum.t0 <= {PARAM} && {PARAM} < datum.t1"


def plane_picture(
    pictures: pd.DataFrame, x_title: str, y_title: str, x_scale: alt.Scale, y_scale: alt.Scale, timed: bool
) -> alt.Chart:
    """Pictures of the input plane (columns x0, x1, y0, y1, url; t0, t1), each drawn over its
    cells' box, unsmoothed (one cell, one block of pixels); ``timed`` (the run has a timeline):
    only the picture of the moment the page's slider points at."""
    chart = (
        alt.Chart(pictures)
        .mark_image(aspect=False, smooth=False)
        .encode(
            x=alt.X("x0:Q", title=x_title, scale=x_scale),
            x2=alt.X2("x1:Q"),
            y=alt.Y("y0:Q", title=y_title, scale=y_scale),
            y2=alt.Y2("y1:Q"),
            url=alt.Url("url:N"),
        )
    )
    if timed:
        chart = chart.transform_filter(IN_MOMENT).add_params(timeline_param())
    return chart


def moment_rule(x_field: str = "epoch") -> alt.Chart:
    """A vertical rule at the timeline's moment, for a chart whose x axis is epochs; nothing drawn
    while the timeline shows the latest moment (PARAM == END)."""
    return (
        alt.Chart(pd.DataFrame({"now": [0]}))
        .transform_filter(f"{PARAM} < {END}")
        .transform_calculate(**{x_field: PARAM})
        .mark_rule(color=RULE_COLOUR, strokeWidth=1.5)
        .encode(
            x=alt.X(f"{x_field}:Q"),
            tooltip=[alt.Tooltip(f"{x_field}:Q", title="the timeline's epoch", format=".1f")],
        )
    )


def plane_moments(grid: dict, moments: Sequence[dict]) -> pd.DataFrame:
    """A run's decision grid at each of its moments, long: x, y, cls, confidence, t (epochs).

    ``grid``: the run's latest snapshot's grid (its points, the same at every moment);
    ``moments``: its frames (nnexplore.moments.frame_of), those with a grid.
    """
    x, y = np.asarray(grid["x"], dtype=float), np.asarray(grid["y"], dtype=float)
    parts = [
        pd.DataFrame(
            {
                "x": x,
                "y": y,
                "cls": moment["grid"]["cls"],
                "confidence": np.asarray(moment["grid"]["confidence"], dtype=float),
                "t": float(moment["epoch"]),
            }
        )
        for moment in moments
        if "grid" in moment and len(moment["grid"]["cls"]) == len(x)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(grid)


def fit_moments(fit: dict, moments: Sequence[dict], part: str) -> pd.DataFrame:
    """A regression's fit at each of its moments, long: the grid's columns (x, or x and y),
    prediction, and the moment's epochs (t, t0, t1: ``spans``).

    ``fit``: the run's latest snapshot's ``part`` ("curve" or "surface": its grid, the same at
    every moment); ``moments``: its frames (nnexplore.moments.frame_of), those with that part.
    Without any, the latest fit alone, with no ``t``.
    """
    grid = {name: np.asarray(values, dtype=float) for name, values in fit.items() if name != "prediction"}
    having = [m for m in moments if part in m and len(m[part]["prediction"]) == len(grid["x"])]
    if not having:
        return pd.DataFrame(fit)
    span = spans([float(moment["epoch"]) for moment in having])
    return pd.concat(
        [
            pd.DataFrame({**grid, "prediction": np.asarray(moment[part]["prediction"], dtype=float)}).assign(
                t=row.t, t0=row.t0, t1=row.t1
            )
            for moment, row in zip(having, span.itertuples(index=False), strict=True)
        ],
        ignore_index=True,
    )


def run_moments(moments: Sequence[dict], part: str) -> pd.DataFrame:
    """One run's ``part`` (equal-length columns, as frame_of keeps them) at each of its moments that
    has it, long, with the moment's epochs (t, t0, t1: ``spans``); empty when none has it."""
    having = [moment for moment in moments if part in moment]
    if not having:
        return pd.DataFrame()
    span = spans([float(moment["epoch"]) for moment in having])
    return pd.concat(
        [
            pd.DataFrame(
                {name: np.asarray(values, dtype=float) for name, values in moment[part].items()}
            ).assign(t=row.t, t0=row.t0, t1=row.t1)
            for moment, row in zip(having, span.itertuples(index=False), strict=True)
        ],
        ignore_index=True,
    )


def at_moment(table: pd.DataFrame, epoch: float) -> pd.DataFrame:
    """The rows of a ``run_moments`` table (any runs) that the timeline shows at ``epoch``."""
    return table[(table["t0"] <= epoch) & (epoch < table["t1"])]


def moment_title(lines_at: Sequence[tuple[float, Sequence[str]]]) -> alt.Title:
    """A chart title that follows the timeline: at the timeline's epoch, the lines of the last
    entry of ``lines_at`` (epoch, lines; epochs increasing) at or before it (the first before all).

    The words that describe a picture follow it in the browser too: the title is one
    Vega expression that picks the lines by PARAM, so nothing is asked of the server.
    """
    if not lines_at:
        return alt.Title("")
    expr = json.dumps(list(lines_at[-1][1]), ensure_ascii=False)
    for (_, lines), (after, _) in zip(reversed(lines_at[:-1]), reversed(lines_at[1:]), strict=True):
        expr = f"{PARAM} < {after!r} ? {json.dumps(list(lines), ensure_ascii=False)} : ({expr})"
    return alt.Title(
        text=alt.ExprRef(expr=expr),
        orient="bottom",  # under the plot, as the sentences under the other charts
        anchor="start",
        fontSize=12,
        fontWeight="normal",
        lineHeight=16,
    )


def bars_at_moments(records: Sequence[dict], moments: Sequence[dict]) -> pd.DataFrame:
    """A run's per-layer gradient bars (frames.last_layer_bars) as they stood at each of its
    moments, long, with the moments' epochs (t, t0, t1); from the records, so any view of
    the records can follow the timeline without frames of its own."""
    from nnexplore.ui.charts.frames import last_layer_bars

    having = [moment for moment in moments if "step" in moment]
    if not having:
        return last_layer_bars([])
    span = spans([float(moment["epoch"]) for moment in having])
    parts = []
    for moment, row in zip(having, span.itertuples(index=False), strict=True):
        upto = [record for record in records if record.get("step", 0) <= moment["step"]]
        parts.append(last_layer_bars(upto).assign(t=row.t, t0=row.t0, t1=row.t1))
    return pd.concat(parts, ignore_index=True)


def with_moment(chart: alt.LayerChart | alt.VConcatChart) -> alt.LayerChart | alt.VConcatChart:
    """A curve chart whose x axis is epochs, with the timeline's moment marked (``moment_rule``):
    a layered chart gets the rule, stacked panels one each; the parameter is declared once."""
    if isinstance(chart, alt.VConcatChart):
        marked = chart.copy()
        marked.vconcat = [alt.layer(panel, moment_rule()) for panel in chart.vconcat]
        return marked.add_params(timeline_param())
    return alt.layer(chart, moment_rule()).add_params(timeline_param())
