"""A regression's fit, one picture per pictured run, side by side: drawn where a classification's
decision regions are.

A fitted curve or surface belongs to one network, so every regression run in
``LiveRuns.pictured`` gets its own column, with its name above it as page text, as the decision
regions do (nnexplore.ui.sections.models). The pictures of one kind (curves, surfaces) share
their axes and colours (``fit.fit_domains``), so a learner compares them by eye; with the page's
timeline, each shows the fit at the moment the slider points at.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnexplore import activations
from nnexplore.problems import is_regression
from nnexplore.ui.charts import fit
from nnexplore.ui.charts.timeline import fit_moments
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.sections import MAX_PICTURED, LiveRuns
from nnexplore.ui.sections.models import DECISION_HEIGHT
from nnexplore.views import CHART_FIT

HELP = (
    "What each network answers over its whole input, on top of the data it learns from. For one "
    "input (sine): the line is the network's answer at every x, the grey dots the data. For two "
    "inputs (surface): the colour is the network's answer at every point of the plane, and each "
    "dot is coloured by its own target on the same scale. One picture per run, on the same axes."
)
CURVE_CAPTION = (
    "Filled dots: training points; rings: test points. Where the line leaves the dots, the network "
    "is wrong there."
)
SURFACE_CAPTION = (
    "Circles: training points; diamonds: test points, each coloured by its target. A dot that "
    "blends into the colour under it is fitted well; one that stands out is not."
)
#: The parts of a regression's view, in the order their pictures are drawn.
PARTS = ("curve", "surface")


def draw(live: LiveRuns) -> None:
    """The fit of each pictured regression run, each run in its own column; a note in words where
    a run has none yet (queued, loading, diverged)."""
    runs = [i for i in live.pictured if is_regression(live.jobs[i].cfg.dataset)]
    if not runs:
        return
    st.subheader(CHART_FIT, help=HELP)
    n_columns = max(2, min(len(live.pictured), MAX_PICTURED))
    views = {i: live.jobs[i].view or {} for i in runs}
    parts = {i: next((part for part in PARTS if part in views[i]), "") for i in runs}
    domains = {
        part: fit.fit_domains(
            [pd.DataFrame(views[i][part]) for i in runs if parts[i] == part],
            [pd.DataFrame(views[i]["points"]) for i in runs if parts[i] == part and "points" in views[i]],
        )
        for part in PARTS
        if part in parts.values()
    }
    height = DECISION_HEIGHT[n_columns]

    def chart(i: int):  # built only when the chart cache rebuilds it
        part, view = parts[i], views[i]
        table = fit_moments(view[part], live.moments(i), part) if live.timeline else pd.DataFrame(view[part])
        points = pd.DataFrame(view.get("points", {}))
        if part == "curve":
            return fit.curve_chart(table, points, height, domains[part], bounds=_bounds(live, i))
        return fit.surface_chart(table, points, height, domains[part])

    for column, i in zip(st.columns(n_columns), runs):
        with column:
            st.markdown(f"**{plain_text(live.labels[i])}**")
            if parts[i]:
                live.charts.show(f"fit {i}", lambda i=i: chart(i))
            live.show_note(i, bool(parts[i]), from_view=True)
    shown = {part for part in parts.values() if part}
    for part, caption in (("curve", CURVE_CAPTION), ("surface", SURFACE_CAPTION)):
        if part in shown:
            st.caption(caption)


def _bounds(live: LiveRuns, i: int) -> tuple[float, float] | None:
    """(0, 1) when run ``i``'s output activation squeezes its answer into that range (a sigmoid):
    the curve's plot draws the floor and the ceiling the network cannot pass."""
    return (0.0, 1.0) if activations.get(live.jobs[i].cfg.output_activation).probabilities else None
