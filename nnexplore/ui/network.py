"""The Playground's picture of the network that Train will build, from the sidebar's settings.

It shows a beginner what "16,16" means, and changes as they change the network.
It is also the page's first chart: the browser loads its chart code (about 2 MB
of JavaScript, fetched when a page first shows a chart) and runs it once while
the learner reads, so the first run's charts come sooner on a fresh page
(devtools.bench --dashboard, a fresh server, one browser core: Train clicked →
first run chart about 1.4 s without it, 0.3 s with it).
"""

from __future__ import annotations

import functools

import streamlit as st

from nnexplore import activations
from nnexplore.config import RunConfig
from nnexplore.problems import PROBLEMS, n_outputs
from nnexplore.ui.charts.network import Layer, network_chart, network_frames, parameter_count
from nnexplore.ui.live.specs import to_spec

#: The keyed block the picture is drawn in: its chart is told apart from the runs' by it.
KEY = "network_picture"


def layers(cfg: RunConfig) -> list[Layer]:
    """The layers ``cfg`` trains, input side first, each described in words."""
    problem = PROBLEMS[cfg.dataset]
    hidden = activations.get(cfg.hidden_activation).screen_name
    output = activations.get(cfg.output_activation)
    output_words = "no activation" if output.name == "none" else output.screen_name
    inputs = {1: "1 input: x", 2: "2 inputs: x, y"}.get(problem.inputs, f"{problem.inputs} inputs: pixels")
    width = n_outputs(cfg)  # one per class (your own points: the classes placed), or 1
    if problem.is_regression:  # one number out: the curve's or the surface's height
        outputs = f"1 output, {output_words}: the predicted number"
    else:
        outputs = f"{width} outputs, {output_words}"
    return [
        Layer(problem.inputs, "input", inputs),
        *(Layer(units, "hidden", f"{units} units, {hidden}") for units in cfg.hidden),
        Layer(width, "output", outputs),
    ]


@functools.lru_cache(maxsize=64)
def _spec(shape: tuple[Layer, ...]) -> dict:
    """One spec per network shape, shared by every session (a class opens the same few): every
    full run of the Playground draws it, and Altair's ``to_dict`` alone takes about 17 ms."""
    spec = to_spec(network_chart(*network_frames(list(shape))))
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}  # its own height, as the run charts
    return spec


def draw_network(cfg: RunConfig) -> None:
    """The picture, its size in words and how to read it."""
    shape = layers(cfg)
    with st.container(key=KEY):
        st.markdown(
            "**The network Train will build**",
            help="Each circle is a unit, each line a weight. A bigger layer is drawn as 10 circles "
            "and a ⋮ for the rest; the words under a column give its real size. Change the hidden "
            "layers or the activations in the sidebar and the picture follows.",
        )
        st.vega_lite_chart(_spec(tuple(shape)), width="stretch")
        sizes = " → ".join(str(layer.units) for layer in shape)
        st.caption(f"{sizes}: {parameter_count(shape):,} weights and biases to learn.")
