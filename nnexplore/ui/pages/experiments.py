"""The Experiments page: the learners' questions, each answered by running it.

One card per experiment: the question, a button that trains its configurations
side by side with the live charts, what to look for, why (with the math), and
configurations to try next in the Playground. `?experiment=<slug>` in the URL
opens one card directly, so a teacher can share it.
"""

from __future__ import annotations

import streamlit as st

from nnexplore.experiments import EXPERIMENTS, Experiment, chart_of, experiment_for
from nnexplore.ui import controls, predict
from nnexplore.ui.actions import prepare_training, session_jobs, start_run, stop_runs
from nnexplore.ui.live import view as live
from nnexplore.ui.pages import playground
from nnexplore.ui.pausing import pause_buttons
from nnexplore.ui.seeds import render_seeds
from nnexplore.views import BY_NAME

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
        st.query_params.from_dict({"experiment": exp.slug, **predict.link_param()})
    _card(exp)


def page() -> st.Page:
    """This page in the dashboard's navigation."""
    return st.Page(render_experiments, title="Experiments", icon=":material/science:", url_path="experiments")


#: Added to a "look for" bullet whose chart is not among the card's first charts.
UNDER_MORE_VIEWS = " *(open it under More views)*"


def where_to_look(bullet: str, headline: tuple[str, ...]) -> str:
    """The bullet, and where its chart is when the card does not draw it first."""
    chart = chart_of(bullet)
    shown = {BY_NAME[name].title for name in headline}
    if chart is None or chart in shown:
        return bullet
    end = len(chart) + 4  # after "**<chart>**"
    return bullet[:end] + UNDER_MORE_VIEWS + bullet[end:]


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
    guess_slot = predict.place()  # what the learner expects, above Run; filled once Run is handled
    run_col, stop_col, pause_col, step_col, _ = st.columns([2, 1, 1, 1, 1])
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
    pause_buttons(pause_col, step_col, jobs, group, key=exp.slug)

    why_open = predict.show(guess_slot, exp, jobs)
    look, why = st.columns(2)
    with look:
        st.subheader("What to look for")
        st.markdown("\n".join(f"- {where_to_look(item, exp.headline)}" for item in exp.look_for))
    with predict.why_section(why, why_open):
        for text, formula in exp.why:
            if text:
                st.markdown(text)
            if formula:
                st.latex(formula)

    live.render_runs(jobs, group, headline=exp.headline, offered=exp.offered)
    render_seeds(list(zip(labels, exp.configs)), f"{group}:seeds")

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
