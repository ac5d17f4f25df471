"""Gradient flow: how big each layer's weight gradient is, over time and now."""

from __future__ import annotations

import streamlit as st

from nnexplore.ui.charts import frames, gradients
from nnexplore.ui.sections import LiveRuns


def draw(live: LiveRuns) -> None:
    labels, out = live.labels, live.out
    focus = len(live.jobs) - 1
    st.subheader(
        "Gradient flow",
        help="How big each layer's weight gradient is. If the first layers' gradient is tiny, they barely learn.",
    )
    left, right = st.columns(2)
    with left:
        out.show("gradient lines", lambda: gradients.gradient_lines(live.grads, labels))
    with right:
        out.show(
            "gradient heatmap",
            lambda: gradients.gradient_heatmap(live.grads[live.grads["run"] == labels[focus]]),
        )
        out.show(
            "gradient bars", lambda: gradients.gradient_bars(frames.last_layer_bars(live.runs[focus][1]))
        )
        if len(live.jobs) > 1:
            st.caption(f"Heatmap and bars: the newest run, {labels[focus]}.")
