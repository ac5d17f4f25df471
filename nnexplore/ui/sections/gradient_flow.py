"""Gradient flow: how big each layer's weight gradient is, per run, and how much reaches the first layer.

Per-layer pictures belong to one network each, so they are drawn as one panel
per pictured run (``LiveRuns.pictured``, at most four side by side), each
panel with the run's name above it as page text (screen readers read it; a
name only inside the chart's SVG they would not). All panels of a row share
their axis and colour scale (the builders take every pictured run's frame),
so a lower line or a darker cell means a smaller gradient whichever panel it
is in. The one chart that compares runs directly, "How much reaches the first
layer", draws every run that has a hidden layer, one colour per run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from nnexplore.ui import sentences
from nnexplore.ui.charts import frames, gradients
from nnexplore.ui.charts.timeline import bars_at_moments
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.sections import LiveRuns, curves, hidden_layer_note, show_hidden_layer_note
from nnexplore.views import CHART_GRADIENT, CHART_LAYERS, CHART_REACH

REACH_WHY = "there is no first hidden layer for the gradient to reach"
#: What each row of "Gradient by layer" shows, as page text above it: a chart title in a panel
#: 120 px wide (four runs at a 1000 px window) was cut after nine characters.
OVER_TIME = "**Over time**: darker is a smaller gradient."
NOW = "**Now**: dark grey the mean, light grey the largest |∂loss/∂w| of each layer."
AT_MOMENT = (
    "**At the timeline's epoch**: dark grey the mean, light grey the largest |∂loss/∂w| of each layer."
)


def draw_panels(live: LiveRuns) -> None:
    st.subheader(
        CHART_GRADIENT,
        help="How big each layer's weight gradient is (|∂loss/∂w|, the size of the loss's gradient "
        "with respect to the layer's weights): one panel per run, one line per layer, the same axis "
        "in every panel. If the first layers' gradient is tiny, they barely learn.",
    )
    pictured, grads, key = _pictured_grads(live)
    _panel_row(
        live,
        pictured,
        "gradient lines",
        key,
        lambda label: gradients.gradient_lines(grads, run=label),
        set(grads["run"].astype(str)),
    )
    _not_pictured_note(live, pictured)


def draw_reach(live: LiveRuns) -> None:
    st.subheader(
        CHART_REACH,  # the name the experiments' "look for" bullets point at
        help="One line per run: the size of the first hidden layer's weight gradient divided by the "
        "output layer's. At 1 the first layer gets as strong a signal as the output; far below 1 the "
        "gradient fades on its way back (it vanishes) and the first layer barely learns. A rough "
        "guide, not an exact one: a layer's weight gradient is the signal coming back times the "
        "layer's inputs, summed over all its weights, so a layer with more weights or larger inputs "
        "gets a bigger one even when the same signal reaches it.",
    )
    _reach(live)


def draw_layers(live: LiveRuns) -> None:
    st.subheader(
        CHART_LAYERS,
        help="Top: each layer's gradient over time, darker is smaller. Bottom: each layer's gradient "
        "at the newest record, its mean and its largest value over the layer's weights (dark and "
        "light grey). Same colours and same axis in every panel.",
    )
    pictured, grads, key = _pictured_grads(live)
    st.markdown(OVER_TIME)
    _panel_row(
        live,
        pictured,
        "gradient heatmap",
        key,
        lambda label: gradients.gradient_heatmap(grads, run=label),
        set(grads["run"].astype(str)),
    )
    bars = frames.layer_bars([live.runs[i] for i in pictured])
    if live.timeline:  # the bars follow the page's timeline
        bars = pd.concat(
            [bars_at_moments(live.runs[i][1], live.moments(i)).assign(run=live.labels[i]) for i in pictured],
            ignore_index=True,
        )
    st.markdown(AT_MOMENT if live.timeline else NOW)
    _panel_row(
        live,
        pictured,
        "gradient bars",
        key,
        lambda label: gradients.gradient_bars(bars, run=label),
        set(bars["run"].astype(str)),
    )


def _pictured_grads(live: LiveRuns):
    """The pictured runs, their gradient sizes over time, and the key of their panels."""
    pictured = live.pictured
    grads = live.grads[live.grads["run"].isin([live.labels[i] for i in pictured])]
    return pictured, grads, _panel_key(live, pictured)


def _panel_key(live: LiveRuns, pictured: Sequence[int]) -> str:
    """Which runs are pictured, in the slot names: a new choice must not reuse panels cached for
    another (their shared axes were computed from other runs)."""
    return ",".join(live.jobs[i].id for i in pictured)


def _panel_row(
    live: LiveRuns,
    pictured: Sequence[int],
    slot: str,
    key: str,
    build: Callable[[str], alt.TopLevelMixin],
    drawn: Collection[str],
) -> None:
    """One panel per pictured run, side by side, each under its run's name; a run not in
    ``drawn`` (no gradient yet: queued, loading, just started) gets its state in words instead
    of an empty panel, and a diverged one its panel with the note under it (LiveRuns.note)."""
    for column, i in zip(st.columns(len(pictured)), pictured):
        label = live.labels[i]
        with column:
            st.caption(f"**{plain_text(label)}**")
            if label in drawn:
                live.charts.show(f"{slot} {live.jobs[i].id} of {key}", lambda label=label: build(label))
            live.show_note(i, label in drawn)


def _not_pictured_note(live: LiveRuns, pictured: Sequence[int]) -> None:
    if len(pictured) < len(live.jobs):
        st.caption(
            f"Panels for {len(pictured)} of the {len(live.jobs)} runs; pick which under "
            "*Runs to picture side by side* above."
        )


def _reach(live: LiveRuns) -> None:
    show, note = hidden_layer_note(live.labels, live.without_hidden, REACH_WHY)
    if show:
        live.charts.show(
            "gradient reach",
            lambda: curves.marked(live, gradients.reach_chart(frames.reach_long(live.runs), live.labels)),
        )
        st.caption(
            "One line per run. Dotted line at 1: the first hidden layer gets as strong a gradient as "
            "the output layer. Down the axis, from 1 to 0.1 to 0.01, each step is ten times weaker."
        )
        sentence = sentences.reach_sentence(live.runs)
        if sentence:
            st.markdown(sentence)
    show_hidden_layer_note(note, show)
