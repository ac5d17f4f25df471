"""The Experiments page: the learners' questions, each answered by running it.

One card per experiment: the question, a button that trains its configurations
side by side with the live charts, what to look for, why (with the math), and
configurations to try next in the Playground. `?experiment=<slug>` in the URL
opens one card directly, so a teacher can share it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nnexplore.experiments import EXPERIMENTS, Experiment, experiment_for
from nnexplore.ui import controls
from nnexplore.ui.actions import prepare_training, session_jobs, start_run, stop_runs
from nnexplore.ui.charts import frames, gradients
from nnexplore.ui.live import view as live
from nnexplore.ui.pages import playground

INTRO = (
    "Each experiment asks one question a learner might have, and answers it with runs you start "
    "yourself. Press **Run this experiment**, watch the charts, then read *Why*."
)


def _selected() -> Experiment:
    """The experiment named in the URL, else the first; a bad name is explained and ignored."""
    slug = st.query_params.get("experiment", "")
    exp = experiment_for(slug) if slug else None
    if slug and exp is None:
        st.warning("The link names an experiment that does not exist; showing the first one instead.")
    return exp or next(iter(EXPERIMENTS.values()))


def _open_in_playground(cfg) -> None:
    controls.keep_controls(cfg)


def render_experiments() -> None:
    prepare_training()
    st.title("Experiments")
    st.caption(INTRO)
    slugs = list(EXPERIMENTS)
    current = _selected()
    choice = st.selectbox(
        "Experiment",
        slugs,
        index=slugs.index(current.slug),
        format_func=lambda s: EXPERIMENTS[s].title,
        help="Each one trains a few networks side by side to answer one question.",
    )
    exp = EXPERIMENTS[choice]
    if st.query_params.get("experiment") != exp.slug:
        st.query_params.from_dict({"experiment": exp.slug})
    _card(exp)


def page() -> st.Page:
    """This page in the dashboard's navigation."""
    return st.Page(render_experiments, title="Experiments", icon=":material/science:", url_path="experiments")


def _card(exp: Experiment) -> None:
    st.header(exp.title)
    st.markdown(f"**The question.** {exp.question}")
    if exp.extra == "depth":
        depth = st.slider(
            "Hidden layers (depth)",
            min(exp.depths),
            max(exp.depths),
            value=exp.depth,
            help="How many hidden layers every network of this experiment has. More layers: more "
            "slopes multiplied together on the way back to the first layer.",
            key=f"depth_{exp.slug}",
        )
        exp = exp.with_depth(depth)
        labels = [f"{label}, {depth} layers" for label in exp.labels]
    else:
        labels = list(exp.labels)
    group = f"experiment:{exp.slug}"
    jobs = session_jobs(group)

    st.markdown("**Runs:** " + " · ".join(f"*{label}*" for label in labels))
    run_col, stop_col, _ = st.columns([2, 1, 3])
    if run_col.button(
        "Run this experiment",
        type="primary",
        key=f"run_{exp.slug}",
        help="Train every network of this experiment side by side (they wait in line if the server is busy).",
        width="stretch",
    ):
        for label, (_, cfg) in zip(labels, exp.runs):
            start_run(cfg, group, label)
        jobs = session_jobs(group)
    stop_col.button(
        "Stop",
        key=f"stop_{exp.slug}",
        on_click=stop_runs,
        args=(group,),
        disabled=not any(j.is_active for j in jobs),
        help="Stop this experiment's runs.",
        width="stretch",
    )

    look, why = st.columns(2)
    with look:
        st.subheader("What to look for")
        st.markdown("\n".join(f"- {item}" for item in exp.look_for))
    with why:
        st.subheader("Why")
        for text, formula in exp.why:
            if text:
                st.markdown(text)
            if formula:
                st.latex(formula)

    live.render_runs(jobs, group, views=exp.views)
    if exp.extra == "gradient_check":
        _output_gradient_panel(jobs)
    elif exp.extra == "loss_landscape":
        from nnexplore.ui.pages.panels import render_loss_landscape  # torch: see _output_gradient_panel

        render_loss_landscape(key=f"landscape_{exp.slug}")

    if exp.try_next:
        st.subheader("Try next")
        cols = st.columns(len(exp.try_next))
        for i, (col, (label, cfg)) in enumerate(zip(cols, exp.try_next)):
            if col.button(
                label,
                key=f"try_{exp.slug}_{i}",
                on_click=_open_in_playground,
                args=(cfg,),
                help="Open the Playground with this configuration filled in.",
            ):
                st.switch_page(playground.page())


def _output_gradient_panel(jobs) -> None:
    """Question 3: the gradient at the output layer's pre-activation, per recipe, as trained.

    The panels module computes with torch, so it is imported here, when a card shows it: a server
    that only draws Playgrounds never imports torch (see nnexplore.ui.pages.theory).
    """
    from nnexplore.ui.pages.panels import render_gradient_check

    st.subheader(
        "Output-layer gradient",
        help="z: the output layer's numbers before the activation. Left: the push per example, "
        "Σ over the outputs of |∂loss/∂z|, averaged over the training examples of a few steps per "
        "record (the gradient check below computes the same number on one test batch). Right: "
        "every single |∂loss/∂z| of one test batch, one per output and example.",
    )
    if not jobs:
        st.caption("Run the experiment to see the gradients of its recipes.")
        render_gradient_check()
        return
    labels = live.labels_for(jobs)
    runs = [(label, job.records_since(0)) for label, job in zip(labels, jobs)]
    sizes = frames.metric_long(runs, ["out_push"]) if any(r for _, r in runs) else pd.DataFrame()
    left, right = st.columns(2)
    with left:
        if not sizes.empty:
            st.altair_chart(gradients.output_gradient_lines(sizes, labels), width="stretch")
    with right:
        values = [
            pd.DataFrame({"value": abs(job.view["out_grad"]), "run": label})
            for job, label in zip(jobs, labels)
            if job.view and "out_grad" in job.view
        ]
        if values:
            st.altair_chart(gradients.output_gradient_histogram(pd.concat(values), labels), width="stretch")
    done = [job for job in jobs if job.view and "logits" in job.view]
    if done:
        job = done[-1]
        render_gradient_check(
            job.view["logits"],
            job.view["labels"],
            source=f"a test batch of the run {labels[jobs.index(job)]}",
            own_batches=_own_batches(jobs, labels),
        )
    else:
        render_gradient_check()


def _own_batches(jobs, labels) -> dict:
    """Recipe name -> (test-batch scores, labels, run name) for each run of a card that trains one of
    the gradient check's recipes: the check then shows each recipe's push on its own run."""
    from nnexplore.output_gradients import RECIPES

    out = {}
    for job, label in zip(jobs, labels):
        recipe = next(
            (r for r in RECIPES if (r.output, r.loss) == (job.cfg.output_activation, job.cfg.loss)), None
        )
        if recipe is not None and job.view and "logits" in job.view:
            out[recipe.name] = (job.view["logits"], job.view["labels"], label)
    return out
