"""Who gets pushed: how hard each run's loss pushes each test example, by how right it is.

The direct picture for "why the log?" and "same t − o gradient?": with softmax +
cross-entropy the confidently wrong examples get the strongest push, with
squared error they get almost none. Drawn for every run, one colour each, from
the runs' latest model snapshots (nnexplore.snapshots.pushes).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnexplore import activations
from nnexplore.runs.job import DIVERGED
from nnexplore.ui import sentences
from nnexplore.ui.charts import pushes
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.sections import LiveRuns


def draw(live: LiveRuns) -> None:
    st.subheader(
        "Who gets pushed",
        help="For each test example: the probability the network gives the right answer, and how "
        "strongly the loss's gradient pushes that answer's score up. That push is what the last "
        "layer learns from.",
    )
    table = frame(live)
    if table.empty:
        st.caption("The dots appear once the runs have started training.")
        return
    left, right = st.columns(2)
    with left:
        live.out.show("pushes", lambda: pushes.pushes_chart(table, live.labels))
        sentence = sentences.pushes_sentence(table, live.labels)
        if sentence:
            st.markdown(sentence)
        for i, job in enumerate(live.jobs):
            if job.status == DIVERGED and job.view and "pushes" in job.view:
                st.caption(f"**{plain_text(live.labels[i])}**: {live.note(i, True, from_view=True)}")
    with right:
        st.caption(
            "Each dot is one test example. Left to right: the probability the network gives the "
            "right class, so dots on the far left (shaded) are answers the network is confidently "
            "wrong about. Bottom to top: how hard the loss pushes the score of the right class up "
            "(the gradient of the loss with respect to that score, before the output activation). "
            "The line is each run's average. A loss that helps a network fix its mistakes pushes "
            "hardest on the left. The dots show the network as it is now: watch them move while it trains."
        )
        if not all(activations.get(job.cfg.output_activation).probabilities for job in live.jobs):
            st.caption(
                "A run with no output activation gives raw numbers, not probabilities: its dots "
                "below 0 or above 1 are drawn at the edge."
            )


def frame(live: LiveRuns) -> pd.DataFrame:
    """One row per test example and run with a snapshot (columns run, p_right, push)."""
    parts = [
        pd.DataFrame(job.view["pushes"]).assign(run=label)
        for job, label in zip(live.jobs, live.labels)
        if job.view and "pushes" in job.view
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
