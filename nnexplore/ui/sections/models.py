"""What each model does, one picture per pictured run, side by side: decision regions (2-D data),
test digits and the confusion matrix (MNIST).

A decision map, a set of guessed digits or a confusion matrix belongs to one
network, so every run in ``LiveRuns.pictured`` gets its own, in a row of
columns, with its name written above it as page text (a screen reader reads
it too). The pictures of one row share their axes and colour scales, so a
learner can compare them by eye. Each run is pictured with what its own view
holds: on a Playground that mixes a toy problem and MNIST, the toy runs are in
the decision-regions row and the MNIST runs in the digits rows.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nnexplore.problems import is_regression
from nnexplore.runs import Job
from nnexplore.ui.charts import predictions, regions
from nnexplore.ui.charts.timeline import plane_moments, run_moments, spans
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.sections import MAX_PICTURED, LiveRuns
from nnexplore.views import CHART_DIGITS, CHART_REGIONS

#: Plot height by how many columns share the row, about as tall as a column is wide at a 1400 px
#: window (one or two columns: about 440 px wide; three: about 300; four: about 230).
DECISION_HEIGHT = {2: 380, 3: 280, 4: 220}
CONFUSION_HEIGHT = {2: 360, 3: 280, 4: 230}
#: Count font in the confusion matrix: a four-digit count must fit a cell about 18 px wide.
CONFUSION_FONT = {2: 11, 3: 9, 4: 8}
#: (digits, digits per row) per run: in a column about 230 px wide, 16 digits four to a row stay
#: about 50 px each with a legible guess under them; 36 six to a row would be 35 px.
DIGIT_LAYOUT = {2: (36, 6), 3: (16, 4), 4: (16, 4)}

#: What a training run's confusion-matrix column says: the matrix is drawn from its last record.
MATRIX_LATER = "Comes when this run ends."


def draw_regions(live: LiveRuns) -> None:
    """Decision regions for the pictured toy-problem runs, each run in its own column."""
    planes = [i for i in live.pictured if _kind(live.jobs[i]) == "plane"]
    if planes:
        _decision_row(live, planes, _columns(live))


def draw_digits(live: LiveRuns) -> None:
    """Test digits and confusion matrices for the pictured MNIST runs, each run in its own column."""
    digits = [i for i in live.pictured if _kind(live.jobs[i]) == "digits"]
    if digits:
        _digit_rows(live, digits, _columns(live))


def _columns(live: LiveRuns) -> int:
    """Always at least two columns, so a single run's picture keeps half the page width instead of
    stretching across all of it (the plots have a fixed height)."""
    return max(2, min(len(live.pictured), MAX_PICTURED))


def _kind(job: Job) -> str:
    """What the run's pictures are: its view says, or before the first view, its data set; a
    regression's are its fit (nnexplore.ui.sections.fit), drawn in a row of their own."""
    if is_regression(job.cfg.dataset):
        return "fit"
    view = job.view or {}
    if "grid" in view:
        return "plane"
    if "digits" in view:
        return "digits"
    return "digits" if job.cfg.dataset == "mnist" else "plane"


def _label(live: LiveRuns, i: int) -> None:
    st.markdown(f"**{plain_text(live.labels[i])}**")


def _decision_row(live: LiveRuns, runs: list[int], n_columns: int) -> None:
    st.subheader(
        CHART_REGIONS,
        help="Colour: the class the network predicts there; paler where it is unsure. "
        "One map per run, on the same axes and with the same class colours (classes have colours "
        "of their own, none of them a run's).",
    )
    views = {i: live.jobs[i].view for i in runs if "grid" in (live.jobs[i].view or {})}
    grids = {i: pd.DataFrame(view["grid"]) for i, view in views.items()}
    points = {i: pd.DataFrame(view["points"]) for i, view in views.items()}
    earlier = (
        {
            c
            for i in views
            for m in live.moments(i)
            if "grid" in m
            for c in np.unique(m["grid"]["cls"]).tolist()
        }
        if live.timeline
        else set()
    )
    domains = regions.plane_domains(list(grids.values()), list(points.values()), also=earlier)
    height = DECISION_HEIGHT[n_columns]

    def chart(i: int) -> alt.LayerChart:  # built only when the chart cache rebuilds it
        grid = plane_moments(views[i]["grid"], live.moments(i)) if live.timeline else grids[i]
        return regions.decision_chart(grid, points[i], height, domains)

    for column, i in zip(st.columns(n_columns), runs):
        with column:
            _label(live, i)
            if i in grids:
                live.charts.show(f"decision {i}", lambda i=i: chart(i))
            live.show_note(i, i in grids, from_view=True)
    st.caption(
        "Filled dots: training points; rings: test points. A dot on a region of another colour is a mistake."
    )


def _digit_rows(live: LiveRuns, runs: list[int], n_columns: int) -> None:
    """Test digits, then the confusion matrices; a single MNIST run has both in one row."""
    views = {i: live.jobs[i].view or {} for i in runs}
    with_matrix = [i for i in runs if "confusion" in views[i]]
    if len(runs) == 1:
        left, right = st.columns(2)
        with left:
            _digits_heading()
            _digits(live, runs[0], views[runs[0]], *DIGIT_LAYOUT[2])
        if with_matrix:
            with right:
                _confusion_heading()
                _confusion(live, runs[0], views[runs[0]], None, 2, alone=True)
        return
    n_digits, per_row = DIGIT_LAYOUT[n_columns]
    _digits_heading()
    for column, i in zip(st.columns(n_columns), runs):
        with column:
            _digits(live, i, views[i], n_digits, per_row)
    st.caption(
        f"The same {n_digits} test digits for every run. Under each: the network's guess and how sure "
        "it is; red: wrong."
    )
    if not with_matrix:
        return
    _confusion_heading()
    top = max(float(_confusion_table(live, i, views[i])["count"].max()) for i in with_matrix)
    for column, i in zip(st.columns(n_columns), runs):
        with column:
            _confusion(live, i, views[i], top, n_columns, alone=False)
    st.caption("The same colour means the same count in every run's matrix.")


def _digits_heading() -> None:
    st.subheader(CHART_DIGITS, help="The network's guess and how sure it is; red frames are mistakes.")


def _confusion_heading() -> None:
    st.subheader(
        "Confusion matrix",
        help="Rows: the true digit. Columns: the network's guess. The diagonal holds the right answers. "
        "Drawn when a run ends, from the whole test set.",
    )


def _digits(live: LiveRuns, i: int, view: dict, n_digits: int, per_row: int) -> None:
    _label(live, i)
    if "digits" in view:
        live.charts.show(
            f"digits {i}",
            lambda: predictions.digits_chart(_digit_table(live, i, view, n_digits), columns=per_row),
        )
    live.show_note(i, "digits" in view, from_view=True)


def _digit_table(live: LiveRuns, i: int, view: dict, n_digits: int) -> pd.DataFrame:
    """Run ``i``'s first test digits; with the page's timeline, their guesses at each moment."""
    table = pd.DataFrame(view["digits"]).head(n_digits)
    moments = run_moments(live.moments(i), "digits") if live.timeline else pd.DataFrame()
    if moments.empty:
        return table
    moments = moments[moments.groupby("t").cumcount() < len(table)].reset_index(drop=True)
    place = moments.groupby("t").cumcount().to_numpy()  # the same digits, in order, at each moment
    return moments.assign(
        pixels=table["pixels"].to_numpy()[place],
        label=table["label"].to_numpy()[place],
        pred=moments["pred"].astype(int),
    )


def _confusion(live: LiveRuns, i: int, view: dict, top: float | None, n_columns: int, *, alone: bool) -> None:
    if not alone:
        _label(live, i)
    if "confusion" not in view:
        live.show_note(i, False, pending=MATRIX_LATER, what="matrix")
        return
    live.charts.show(
        f"confusion {i}",
        lambda: predictions.confusion_chart(
            _confusion_table(live, i, view),
            top,
            CONFUSION_HEIGHT[n_columns],
            font_size=CONFUSION_FONT[n_columns],
        ),
    )


def _confusion_table(live: LiveRuns, i: int, view: dict) -> pd.DataFrame:
    """Run ``i``'s confusion matrix (true, pred, count); with the page's timeline, one per moment
    that has one (the training process counts it with each frame)."""
    matrix = pd.DataFrame(view["confusion"])
    having = [moment for moment in live.moments(i) if "confusion" in moment] if live.timeline else []
    if len(having) < 2:
        return matrix
    span = spans([float(moment["epoch"]) for moment in having])
    return pd.concat(
        [
            matrix[["true", "pred"]].assign(
                count=np.asarray(moment["confusion"]), t=row.t, t0=row.t0, t1=row.t1
            )
            for moment, row in zip(having, span.itertuples(index=False), strict=True)
        ],
        ignore_index=True,
    )
