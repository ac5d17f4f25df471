"""Who gets pushed: how hard each run's loss pushes each test example, by how right it is.

The direct picture for "why the log?" and "same t − o gradient?": with softmax +
cross-entropy the confidently wrong examples get the strongest push, with
squared error they get almost none. Drawn for every run, one colour each, from
the runs' latest model snapshots (nnexplore.snapshots.pushes).
"""

from __future__ import annotations

import textwrap

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nnexplore import activations
from nnexplore.runs.job import DIVERGED
from nnexplore.ui import sentences
from nnexplore.ui.charts import pushes
from nnexplore.ui.charts.timeline import at_moment, moment_title, run_moments
from nnexplore.ui.safe_text import plain_text, plain_words
from nnexplore.ui.sections import LiveRuns
from nnexplore.views import CHART_PUSHES


def draw(live: LiveRuns) -> None:
    st.subheader(
        CHART_PUSHES,
        help="For each test example: the probability the network gives the right answer, and how "
        "strongly the loss's gradient pushes that answer's score up. That push is what the last "
        "layer learns from.",
    )
    table = frame(live)
    if table.empty:
        st.caption("The dots appear once the runs have started training.")
        return
    start = frame(live, "first_pushes")
    left, right = st.columns(2)
    if start.empty:  # a snapshot from before first pictures were kept: now only
        with left:
            live.charts.show("pushes", lambda: pushes.pushes_chart(table, live.labels))
            _sentence("", table, live.labels)
        with right:
            _how_to_read(live, both=False)
    else:
        top = _push_max(table, start)
        with left:
            live.charts.show(
                "pushes at the start",
                lambda: pushes.pushes_chart(start, live.labels, title="At the first picture", push_max=top),
            )
            _sentence("At the first picture", start, live.labels)
        with right:
            if live.timeline:  # the right chart and its sentence follow the page's timeline
                live.charts.show("pushes now", lambda: _at_moment_chart(live, top))
            else:
                live.charts.show(
                    "pushes now", lambda: pushes.pushes_chart(table, live.labels, title="Now", push_max=top)
                )
                _sentence("Now", table, live.labels)
        _how_to_read(live, both=True)
    for i, job in enumerate(live.jobs):
        if job.status == DIVERGED and job.view and "pushes" in job.view:
            st.caption(f"**{plain_text(live.labels[i])}**: {live.note(i, True, from_view=True)}")


def _sentence(when: str, table: pd.DataFrame, labels: list[str]) -> None:
    """The learner's numbers under a chart, e.g. "**Now**: confidently wrong test examples ..."."""
    sentence = sentences.pushes_sentence(table, labels)
    if sentence:
        st.markdown(f"**{when}**: {sentence[0].lower()}{sentence[1:]}" if when else sentence)


def _how_to_read(live: LiveRuns, both: bool) -> None:
    st.caption(
        "Each dot is one test example. Left to right: the probability the network gives the "
        "right class, so dots on the far left (shaded) are answers the network is confidently "
        "wrong about. Bottom to top: how hard the loss pushes the score of the right class up "
        "(the gradient of the loss with respect to that score, before the output activation). "
        "The line is each run's average. A loss that helps a network fix its mistakes pushes "
        "hardest on the left. "
        + (
            "Left: the network at its first picture, when many answers are still wrong; right: as it "
            "is now. Both use the same push axis."
            if both
            else "The dots show the network as it is now: watch them move while it trains."
        )
    )
    if not all(activations.get(job.cfg.output_activation).probabilities for job in live.jobs):
        st.caption(
            "A run with no output activation gives raw numbers, not probabilities: its dots "
            "below 0 or above 1 are drawn at the edge."
        )


def frame(live: LiveRuns, part: str = "pushes") -> pd.DataFrame:
    """One row per test example and run with a snapshot (columns run, p_right, push), from the
    latest snapshot's ``pushes`` or, with ``part="first_pushes"``, from the run's first one."""
    parts = [
        pd.DataFrame(job.view[part]).assign(run=label)
        for job, label in zip(live.jobs, live.labels)
        if job.view and part in job.view
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


#: A sentence in a chart's title is cut into lines of at most this many characters: a title does
#: not wrap, and a half-width column at a 1000 px window holds about 60.
TITLE_LINE = 58


def _at_moment_chart(live: LiveRuns, top: float) -> alt.LayerChart:
    """Every run's pushes at the timeline's moment, its sentence in the title (built only when the
    chart cache rebuilds it: a timeline is 30 moments of every run)."""
    moments = frame_moments(live)
    return pushes.pushes_chart(moments, live.labels, title=_moment_title(moments, live.labels), push_max=top)


def _moment_title(moments: pd.DataFrame, labels: list[str]) -> alt.Title:
    """ "At epoch 1.2" and the pushes sentence of that moment, for each moment of the timeline."""
    lines_at = []
    for epoch in sorted(moments["t"].unique()):
        sentence = plain_words(sentences.pushes_sentence(at_moment(moments, epoch), labels))
        lines_at.append((float(epoch), [f"At epoch {epoch:.1f}", *textwrap.wrap(sentence, TITLE_LINE)]))
    return moment_title(lines_at)


def frame_moments(live: LiveRuns) -> pd.DataFrame:
    """Every run's pushes at each of its moments (columns run, p_right, push, t, t0, t1)."""
    parts = [run_moments(live.moments(i), "pushes").assign(run=label) for i, label in enumerate(live.labels)]
    parts = [part for part in parts if not part.empty]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _push_max(*tables: pd.DataFrame) -> float:
    """The top of the push axis for both charts: the largest finite push, at least 1 (softmax +
    cross-entropy pushes at most 1, so its start and its end read on the same scale)."""
    pushes_seen = [t["push"][np.isfinite(t["push"])] for t in tables if not t.empty]
    largest = max((float(p.max()) for p in pushes_seen if len(p)), default=1.0)
    return max(1.0, largest)
