"""Your drawing: a learner draws a digit, and every finished MNIST run of the page reads it.

The pad (nnexplore.ui.drawing_pad) sends the drawing once the pen is lifted; it is
prepared as MNIST's digits were (nnexplore.drawing.prepare) and each run's network,
its final weights sent with its last view, reads it in numpy (nnexplore.drawing.forward):
the server never imports torch. On a finished page the section is a fragment: a drawing
reruns it alone, not the page's other charts, so the readout comes back at once.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import streamlit as st

from nnexplore.drawing import forward, is_dot, prepare
from nnexplore.ui import sentences
from nnexplore.ui.charts.drawing import bar_rows, readout_chart, readout_frame
from nnexplore.ui.drawing_pad import drawing_pad
from nnexplore.ui.live.specs import to_spec
from nnexplore.ui.sections import LiveRuns
from nnexplore.views import CHART_DRAWING

HELP = (
    "Draw a digit on the pad. Each finished network reads it the way it read MNIST's digits: "
    "cropped to the ink, scaled to 20 × 20 pixels and centred in 28 × 28. The bars are each "
    "network's ten outputs, one per digit."
)
WAITING = "Once a run has finished, draw a digit here and see what each network makes of it."
EMPTY = (
    "Draw a digit on the pad with the mouse, a finger or a pen: every finished run reads it as soon "
    "as you lift the pen."
)
DOT = "That is a dot, not a digit: draw a digit that fills most of the pad."
SEES = "What the networks see: your drawing as 28 × 28 pixels, made the way MNIST's digits were."

#: (label, hidden activation, output activation, weights) of one finished run.
Reader = tuple[str, str, str, list]


@functools.lru_cache(maxsize=64)
def _template(runs: tuple[str, ...]) -> tuple[dict, str]:
    """The readout's spec for a page's runs, and the name of its bars' dataset (to fill in)."""
    spec = to_spec(readout_chart(readout_frame([np.zeros(10)], [runs[0]]), runs))
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}  # its own height, as the run charts
    return spec, spec["layer"][0]["data"]["name"]


def readout_spec(df: pd.DataFrame, runs: tuple[str, ...]) -> dict:
    """``readout_chart``'s spec, its layout built once per page's runs and only the rows new: a
    drawing is read again at every pen up, and Altair's to_dict took 50 to 280 ms of the one
    server core for this chart (devtools.bench_drawing)."""
    template, name = _template(runs)
    return {**template, "datasets": {**template["datasets"], name: bar_rows(df)}}


def draw(live: LiveRuns) -> None:
    """The pad and every finished MNIST run's reading of it; a line in words until a run has finished."""
    if not any(job.cfg.dataset == "mnist" for job in live.jobs):
        return
    st.subheader(CHART_DRAWING, help=HELP)
    readers = [
        (live.labels[i], job.cfg.hidden_activation, job.cfg.output_activation, job.view["weights"])
        for i, job in enumerate(live.jobs)
        if "weights" in (job.view or {})
    ]
    if not readers:
        st.caption(WAITING)
        return
    if live.charts.finished:  # a fragment of its own; a live page's charts are one already
        st.fragment(_pad_and_readout)(live.key, list(live.labels), readers)
    else:
        _pad_and_readout(live.key, list(live.labels), readers)


def _pad_and_readout(key: str, domain: list[str], readers: list[Reader]) -> None:
    pad, readout = st.columns([1, 2])
    with pad:
        ink = drawing_pad(f"{key}_pad")
    digit = prepare(ink) if ink is not None else None
    with readout:
        if digit is None:
            st.caption(EMPTY)
            return
        if is_dot(ink):
            st.caption(DOT)
            return
        x = digit.reshape(1, -1)
        outputs = [forward(weights, x, hidden, output)[1][0] for _, hidden, output, weights in readers]
        labels = [label for label, *_ in readers]
        st.vega_lite_chart(readout_spec(readout_frame(outputs, labels), tuple(domain)), width="stretch")
        for (label, _, output, _), values in zip(readers, outputs, strict=True):
            st.markdown(sentences.drawing_sentence(label, output, values))
    with pad:
        st.image(np.clip(digit, 0, 1), width=84)  # 3 screen px a pixel: the 28 × 28 are seen
        st.caption(SEES)
