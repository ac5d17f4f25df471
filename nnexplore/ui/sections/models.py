"""What each model does: decision regions (2-D data), test digits and the confusion matrix (MNIST)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnexplore.data import load_dataset
from nnexplore.snapshots import data_points
from nnexplore.ui.charts import predictions
from nnexplore.ui.sections import LiveRuns


def draw(live: LiveRuns) -> None:
    """The newest run's pictures."""
    job, label, out = live.jobs[-1], live.labels[-1], live.out
    view = job.view or {}
    if "grid" in view:
        st.subheader(
            "Decision regions", help="Colour: the class the network predicts there; paler where it is unsure."
        )
        left, _ = st.columns(2)
        with left:
            out.show(
                "decision", lambda: predictions.decision_chart(pd.DataFrame(view["grid"]), _points(job.cfg))
            )
            st.caption(f"{label}. Filled dots: training points; rings: test points.")
    elif "digits" in view:
        left, right = st.columns(2)
        with left:
            st.subheader(
                "Test digits", help="The network's guess and how sure it is; red frames are mistakes."
            )
            out.show("digits", lambda: predictions.digits_chart(pd.DataFrame(view["digits"])))
        if "confusion" in view:
            with right:
                st.subheader("Confusion matrix", help="Rows: the true digit. Columns: the guess.")
                out.show("confusion", lambda: predictions.confusion_chart(pd.DataFrame(view["confusion"])))


@st.cache_data(max_entries=32)
def _points(cfg) -> pd.DataFrame:
    return pd.DataFrame(data_points(load_dataset(cfg)))
