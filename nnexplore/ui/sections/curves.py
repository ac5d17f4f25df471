"""Training curves: accuracy (a regression's R²), loss, outputs outside [0, 1], weak, off and dead units."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from nnexplore import activations
from nnexplore.problems import n_classes
from nnexplore.ui import sentences
from nnexplore.ui.charts import frames, predictions, training
from nnexplore.ui.charts.timeline import with_moment
from nnexplore.ui.sections import LiveRuns, hidden_layer_note, show_hidden_layer_note
from nnexplore.views import CHART_ACCURACY, CHART_LOSS, CHART_OUTSIDE, CHART_R2, CHART_UNITS

#: Weak, off and dead units are measured on hidden units only (docs/metrics.md).
UNITS_WHY = "no units that could be weak, off or dead"

UNITS_HELP = (
    "One panel per kind of unit, one line per run: the share averaged over the run's hidden layers "
    "(each layer counts the same), measured on up to 500 test examples. A unit passes back the "
    "gradient it gets times its activation's slope. Weak: the slope is under "
    f"{activations.WEAK_SHARE:.0%} of its largest possible value (sigmoid, tanh or softmax far "
    "from their middle, leaky ReLU below 0). The experiment cards' runs set that "
    "limit: it counts nearly all values of a 32-unit softmax layer as weak, most of a sigmoid "
    "layer's as not. Off: a ReLU unit whose input is 0 or below: it outputs 0 and passes "
    "nothing back for that example. Weak and off are shares of unit values (one per unit and "
    "example). Dead: share of units that output 0 for every example; they stop learning. "
    "No panel for a kind no run's activation can have: ReLU is never weak, only ReLU is off."
)
ACCURACY_HELP = (
    "Share of examples whose largest output is the right class: dashed on the training data, solid "
    "on test examples the network never trains on. The dotted line is chance: what guessing "
    "scores (1 ÷ the number of classes, e.g. 50% for two)."
)
R2_HELP = (
    "How well each regression run fits the test points it never trains on: R² = 1 − (the squared "
    "errors' sum) ÷ (the test targets' spread around their mean, squared and summed). 1 is a "
    "perfect fit; 0, the dotted line, is what answering the targets' average everywhere scores; "
    "below 0 is worse than that. A regression has no accuracy: a number is never exactly right."
)
LOSS_HELP = (
    "The number the training pushes down (lower is better): dashed on the training data, solid on "
    "test examples. Losses of different kinds (cross-entropy, squared error, binary "
    "cross-entropy) are measured on different scales and are not comparable: runs that use "
    "different ones get a panel per kind, each with its own axis."
)


def draw_accuracy(live: LiveRuns) -> None:
    st.subheader(CHART_ACCURACY, help=ACCURACY_HELP)
    classes = [n_classes(job.cfg) for job in live.jobs]  # 0 for a regression: no chance
    live.charts.show(
        "accuracy",
        lambda: training.accuracy_chart(
            frames.metric_long(live.runs, ["train_acc", "test_acc"]),
            live.labels,
            classes=classes,
            moment=live.timeline,
        ),
    )


def draw_r2(live: LiveRuns) -> None:
    """A regression's R² over training, where a classification's accuracy is (nnexplore.views)."""
    st.subheader(CHART_R2, help=R2_HELP)
    live.charts.show("r2", lambda: training.r2_chart(live.table, live.labels, moment=live.timeline))


def marked(live: LiveRuns, chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A curve chart with the page's timeline moment marked, when the page has a timeline."""
    return with_moment(chart) if live.timeline else chart


def draw_loss(live: LiveRuns) -> None:
    st.subheader(CHART_LOSS, help=LOSS_HELP)
    kinds = {label: job.cfg.loss for job, label in zip(live.jobs, live.labels)}
    live.charts.show("loss", lambda: marked(live, training.loss_chart(live.table, live.labels, kinds=kinds)))


def draw_outside(live: LiveRuns) -> None:
    st.subheader(
        CHART_OUTSIDE,
        help="Probabilities live between 0 and 1; raw outputs need not. Left: the share of test "
        "outputs below 0 and above 1 over training, one panel each. Right: every output value now.",
    )
    left, right = st.columns(2)
    with left:
        live.charts.show("outside", lambda: training.outside_chart(live.table, live.labels))
        if all(activations.get(job.cfg.output_activation).probabilities for job in live.jobs):
            st.caption("Softmax and sigmoid squeeze every output into (0, 1), so these stay at zero.")
    with right:
        if any(job.view for job in live.jobs):
            live.charts.show(
                "histogram", lambda: predictions.output_histogram(_output_values(live), runs=live.labels)
            )


def draw_units(live: LiveRuns) -> None:
    runs, labels = live.runs, live.labels
    st.subheader(CHART_UNITS, help=UNITS_HELP)  # the name the experiments' bullets point at
    show, note = hidden_layer_note(labels, live.without_hidden, UNITS_WHY)
    if show:
        live.charts.show(
            "weak off dead", lambda: training.weak_off_dead_chart(frames.weak_off_dead_long(runs), labels)
        )
        sentence = sentences.units_sentence(runs)
        if sentence:
            st.markdown(sentence)
    show_hidden_layer_note(note, show)


def _output_values(live: LiveRuns) -> pd.DataFrame:
    parts = [
        pd.DataFrame({"value": job.view["outputs"], "run": label})
        for job, label in zip(live.jobs, live.labels)
        if job.view and "outputs" in job.view
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
