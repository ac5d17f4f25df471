"""Hidden units: every unit of one run's hidden layer, its output over the input plane (2-D data).

TensorFlow Playground's best-loved view: one small square per unit, so that
softmax units competing for regions, dead ReLU units (flat at 0) and
saturated sigmoid units (flat at 0 or 1) are seen at once. The squares come
from the training process (``view["units"]``, nnexplore.snapshots.unit_grids).
"""

from __future__ import annotations

import streamlit as st

from nnexplore import activations
from nnexplore.moments import FRAME_UNITS
from nnexplore.problems import PROBLEMS
from nnexplore.ui.charts import units
from nnexplore.ui.sections import LiveRuns
from nnexplore.views import CHART_HIDDEN_UNITS

HELP = (
    "A hidden layer is a row of units; each unit computes one number from the input. Each square "
    "shows that number for every point of the plane, after the layer's activation function."
)


def _has_units(view: dict | None) -> bool:
    return bool(view and view.get("units", {}).get("values"))


def _could_have_units(job) -> bool:
    """An input on a plane (2 numbers) and a hidden layer: its view will hold units once it has one."""
    return PROBLEMS[job.cfg.dataset].on_plane and bool(job.cfg.hidden)


def draw(live: LiveRuns) -> None:
    """The chosen run's chosen hidden layer, unit by unit; a line in words where there is none to show.

    The run choice lists every run that has hidden units to show or will have (a queued run
    too), so a run is never missing from it without a word: chosen before it has a picture, it
    says why in its place (LiveRuns.note), and a diverged run's last good units are kept with
    the note under them. The section appears with the first run that has units to show.
    """
    if not any(_has_units(job.view) for job in live.jobs):
        _why_missing(live)
        return
    by_id = {
        job.id: (i, label)
        for i, (job, label) in enumerate(zip(live.jobs, live.labels))
        if _has_units(job.view) or _could_have_units(job)
    }
    newest_drawn = max(k for k, (i, _) in enumerate(by_id.values()) if _has_units(live.jobs[i].view))
    st.subheader(CHART_HIDDEN_UNITS, help=HELP)
    left, right = st.columns(2)
    with left:
        # Options are run ids, not positions: a run added to the Playground keeps the choice in place.
        chosen = st.selectbox(
            "Run",
            list(by_id),
            index=newest_drawn,  # the newest run that has its units drawn, as the other pictures
            format_func=lambda run_id: by_id[run_id][1],
            key=f"{live.key}_units_run",
            help="Whose hidden units to show: one network at a time.",
        )
    i = by_id[chosen][0]
    job = live.jobs[i]
    if not _has_units(job.view):
        with right:
            live.show_note(i, False)
        return
    view = job.view["units"]
    with right:
        layer = st.radio(
            "Layer",
            list(range(len(view["layers"]))),
            format_func=lambda k: view["layers"][k],
            horizontal=True,
            key=f"{live.key}_units_layer_{job.id}",
            help="Hidden layer 1 sees the input directly; each later layer sees the one before it.",
        )
        live.show_note(i, True, from_view=True)
    activation = job.cfg.hidden_activation
    followed = live.timeline and any(layer < len(m.get("units", ())) for m in live.moments(i))

    def chart():  # built only when the chart cache rebuilds it
        moments = units.unit_moments(view, live.moments(i), layer) if followed else None
        frame = moments if moments is not None and not moments.empty else units.unit_frame(view, layer)
        return units.units_chart(frame, activation)

    live.charts.show(f"hidden units {job.id} {layer}", chart)
    st.caption(_caption(view, layer, activation) + ("" if followed or not live.timeline else NEWEST_ONLY))


#: Said under a layer whose units the timeline did not keep (nnexplore.moments.FRAME_UNITS).
NEWEST_ONLY = (
    f" The timeline keeps pictures of {FRAME_UNITS} hidden units at most, layer by layer from the input "
    "side, so this "
    "layer shows its newest picture whatever the slider says."
)


def _caption(view: dict, layer: int, activation: str) -> str:
    """What the squares mean, in plain words, and how many of the layer's units are drawn."""
    width, drawn = view["widths"][layer], len(view["values"][layer])
    count = f"All {width} units" if drawn == width else f"The first {drawn} of {width} units"
    name = activations.get(activation).screen_name
    meaning = {
        "relu": " A square that is dark all over is a dead unit: it outputs 0 everywhere, so it gets no "
        "gradient and stops learning.",
        "sigmoid": " A square that is flat dark or flat bright is a saturated unit, stuck near 0 or 1 "
        "where its slope is almost 0.",
        "tanh": " A square that is flat dark or flat bright is a saturated unit, stuck near −1 or 1 "
        "where its slope is almost 0.",
        "softmax": " The units of a softmax layer share a total of 1 at every point, so they compete: "
        "where one is bright the others are dark.",
    }.get(activation, "")
    return (
        f"{count} of {view['layers'][layer]} ({name}). Each square is one unit: its output over the same "
        f"plane as the decision regions (x to the right, y up); dark is its lowest output, bright its "
        f"highest, on one colour scale for the whole layer.{meaning}"
    )


def _why_missing(live: LiveRuns) -> None:
    """Say why no hidden units are drawn, once there is a run to draw them for."""
    if not any(job.view for job in live.jobs):
        return  # no picture of any run yet: the section appears with the first one
    if all(job.cfg.dataset == "mnist" for job in live.jobs):
        reason = "drawn for the 2-D toy problems only: an MNIST unit's input is 784 pixels, not a plane."
    elif not any(PROBLEMS[job.cfg.dataset].on_plane for job in live.jobs):
        reason = "drawn for problems whose input is a point on a plane (two numbers); here it is one number."
    elif all(not job.cfg.hidden for job in live.jobs):
        reason = "none here: these networks have no hidden layer, so there are no hidden units to draw."
    else:
        reason = "drawn for networks with hidden layers on the 2-D toy problems (a plane of inputs)."
    st.caption(f"**Hidden units**: {reason}")
