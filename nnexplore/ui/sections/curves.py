"""Training curves: accuracy, loss, outputs outside [0, 1], saturation and dead units."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnexplore import activations
from nnexplore.ui.charts import frames, predictions, training
from nnexplore.ui.sections import LiveRuns, hidden_layer_note

#: Saturation and dead units are measured on hidden units only (DESIGN.md, "Metrics").
UNITS_WHY = "no units that could saturate or die"


def draw(live: LiveRuns) -> None:
    runs, labels, out = live.runs, live.labels, live.charts
    left, right = st.columns(2)
    with left:
        st.subheader("Accuracy", help="Share of examples whose largest output is the right class.")
        out.show(
            "accuracy",
            lambda: training.accuracy_chart(frames.metric_long(runs, ["train_acc", "test_acc"]), labels),
        )
    with right:
        st.subheader("Loss", help="The number the training pushes down (lower is better).")
        out.show("loss", lambda: training.loss_chart(live.table, labels))

    left, right = st.columns(2)
    with left:
        st.subheader("Outside [0, 1]", help="Probabilities live between 0 and 1; raw outputs need not.")
        out.show("outside", lambda: training.outside_chart(live.table, labels))
        if all(activations.get(job.cfg.output_activation).probabilities for job in live.jobs):
            st.caption("Softmax and sigmoid squeeze every output into (0, 1), so these stay at zero.")
        if any(job.view for job in live.jobs):
            out.show("histogram", lambda: predictions.output_histogram(_output_values(live), runs=labels))
    with right:
        st.subheader(
            "Saturation and dead units",
            help="Saturated: the activation's slope is under 1% of its maximum, so little gradient passes. "
            "Dead: a unit that outputs 0 for every example (ReLU) and so stops learning.",
        )
        show, note = hidden_layer_note(labels, live.without_hidden, UNITS_WHY)
        if show:
            out.show("saturation", lambda: training.saturation_chart(frames.saturation_long(runs), labels))
        if note and show:
            st.caption(note)
        elif note:
            st.info(note)


def _output_values(live: LiveRuns) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"value": job.view["outputs"], "run": label})
        for job, label in zip(live.jobs, live.labels)
        if job.view and "outputs" in job.view
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
