"""A card's own panels, as views: the output-layer gradient and its check (the t − o question),
and the loss landscape (why the log).

They compute with torch (nnexplore.ui.pages.panels), so the panels module is imported when a
view is drawn, not with the page: a server whose learners only use the Playground never
imports torch (see nnexplore.ui.pages.theory).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnexplore.ui.charts import frames, gradients
from nnexplore.ui.sections import LiveRuns
from nnexplore.views import CHART_OUTPUT_GRADIENT


def draw_output_gradient(live: LiveRuns) -> None:
    """Question 3: the push per example at the output layer's scores, per recipe, as trained."""
    st.subheader(
        CHART_OUTPUT_GRADIENT,
        help="z: the output layer's numbers before the activation. Left: the push per example, "
        "Σ over the outputs of |∂loss/∂z|, averaged over the training examples of a few steps per "
        "record (the gradient check computes the same number on one test batch). Right: "
        "every single |∂loss/∂z| of one test batch, one per output and example.",
    )
    sizes = frames.metric_long(live.runs, ["out_push"])
    left, right = st.columns(2)
    with left:
        if not sizes.empty:
            live.charts.show("output push", lambda: gradients.output_gradient_lines(sizes, live.labels))
    with right:
        values = [
            pd.DataFrame({"value": abs(job.view["out_grad"]), "run": label})
            for job, label in zip(live.jobs, live.labels)
            if job.view and "out_grad" in job.view
        ]
        if values:
            live.charts.show(
                "output gradients",
                lambda: gradients.output_gradient_histogram(pd.concat(values), live.labels),
            )


def draw_gradient_check(live: LiveRuns) -> None:
    """Each recipe's closed-form gradient against autograd, on its own run's test batch."""
    from nnexplore.ui.pages.panels import render_gradient_check

    done = [job for job in live.jobs if job.view and "logits" in job.view]
    if not done:
        render_gradient_check()
        return
    job = done[-1]
    render_gradient_check(
        job.view["logits"],
        job.view["labels"],
        source=f"a test batch of the run {live.labels[live.jobs.index(job)]}",
        own_batches=_own_batches(live),
    )


def _own_batches(live: LiveRuns) -> dict:
    """Recipe name -> (test-batch scores, labels, run name) for each run that trains one of the
    gradient check's recipes: the check then shows each recipe's push on its own run."""
    from nnexplore.output_gradients import RECIPES

    out = {}
    for job, label in zip(live.jobs, live.labels):
        recipe = next(
            (r for r in RECIPES if (r.output, r.loss) == (job.cfg.output_activation, job.cfg.loss)), None
        )
        if recipe is not None and job.view and "logits" in job.view:
            out[recipe.name] = (job.view["logits"], job.view["labels"], label)
    return out


def draw_landscape(live: LiveRuns) -> None:
    """Logistic regression's loss over its weight: cross-entropy convex, squared error not."""
    from nnexplore.ui.pages.panels import render_loss_landscape

    render_loss_landscape(key=f"{live.key}_landscape")
