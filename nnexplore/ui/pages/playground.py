"""The Playground page: configure in the sidebar, Train, watch, change one thing, compare."""

from __future__ import annotations

import streamlit as st

from nnexplore import views
from nnexplore.ui import controls
from nnexplore.ui.actions import PLAYGROUND, prepare_training, session_jobs, start_run, stop_runs
from nnexplore.ui.live import view as live
from nnexplore.ui.network import draw_network
from nnexplore.ui.pausing import pause_buttons
from nnexplore.ui.share import share_with_class
from nnexplore.ui.state import job_manager

HOW_TO = (
    "Pick a dataset and a network in the sidebar, then press **Train**. The charts fill in as the "
    "network learns. Then change *one* thing (say, the output activation or the loss) and press "
    "**Train** again: the new run appears next to the first, in another colour, so you can see what "
    "that one change does. The address bar always holds your settings: copy it to share the experiment."
)


def _load_into_controls(job_id: str) -> None:
    job = job_manager().get(job_id)
    if job is not None:
        controls.set_controls(job.cfg)


def _remove(job_id: str) -> None:
    job_manager().forget(job_id)


def render_playground() -> None:
    for problem in controls.init_from_url():
        st.warning(f"Link setting ignored: {problem}")
    cfg, problem = controls.render_controls()
    prepare_training()

    st.title("Playground")
    jobs = session_jobs()
    with st.expander("How to use this", expanded=not jobs):
        st.markdown(HOW_TO)
    if cfg is not None:
        share_with_class(cfg)
        draw_network(cfg)

    train_col, stop_col, pause_col, step_col, _ = st.columns([1, 1, 1, 1, 2])
    with train_col:
        if st.button(
            "Train",
            type="primary",
            disabled=cfg is None,
            width="stretch",
            help="Start a run with the settings in the sidebar. Earlier runs stay for comparison.",
        ):
            start_run(cfg, PLAYGROUND)
            jobs = session_jobs()
    with stop_col:
        st.button(
            "Stop",
            on_click=stop_runs,
            args=(PLAYGROUND,),
            disabled=not any(j.is_active for j in jobs),
            width="stretch",
            help="Stop every run of yours that is training or waiting.",
        )
    pause_buttons(pause_col, step_col, jobs, PLAYGROUND, key="playground")
    if cfg is None:
        st.error(problem)

    datasets = {job.cfg.dataset for job in jobs}
    hidden = any(job.cfg.hidden for job in jobs)
    offered = views.offered(datasets, hidden)
    headline = [name for name in views.PLAYGROUND_HEADLINE if name in offered]
    live.render_runs(jobs, PLAYGROUND, headline=headline, offered=offered)
    if jobs:
        _manage_runs(jobs)


def page() -> st.Page:
    """This page in the dashboard's navigation, and the target of the Experiments' "Try next" buttons."""
    return st.Page(
        render_playground, title="Playground", icon=":material/tune:", url_path="playground", default=True
    )


#: Manage runs is a switch, not an expander: a closed expander's widgets are drawn all the same,
#: and its selectbox, two buttons and two downloads cost the browser about 0.15 s on every
#: finished Playground (devtools.browser_cost), for a part few learners open.
MANAGE = "Manage runs: load, remove, download"


def _manage_runs(jobs) -> None:
    labels = live.labels_for(jobs)
    if not st.toggle(
        MANAGE,
        key="manage_open",
        help="Put a run's settings back into the sidebar, drop a run from the page, or download "
        "its records and settings.",
    ):
        return
    with st.container(border=True):
        choice = st.selectbox(
            "Run",
            range(len(jobs)),
            format_func=lambda i: labels[i],
            index=len(jobs) - 1,
            help="Pick one of your runs.",
        )
        job = jobs[choice]
        cols = st.columns(4)
        cols[0].button(
            "Load into controls",
            on_click=_load_into_controls,
            args=(job.id,),
            help="Put this run's settings back into the sidebar.",
        )
        cols[1].button(
            "Remove",
            on_click=_remove,
            args=(job.id,),
            help="Drop this run from the page (it is stopped first if it is still training).",
        )
        if job.is_active:
            cols[2].caption("Downloads are ready when the run ends.")
        else:
            cols[2].download_button(
                "Records (CSV)",
                live.records_csv(job.records_since(0)),
                file_name=f"nnexplore-run-{job.id}.csv",
                mime="text/csv",
                on_click="ignore",  # a download needs no rerun of the page
                help="Every record of the run, one row per record.",
            )
            cols[3].download_button(
                "Config (JSON)",
                live.config_json(job),
                file_name=f"nnexplore-config-{job.id}.json",
                mime="application/json",
                on_click="ignore",
                help="The run's settings, usable from Python: RunConfig(**json.load(f)).",
            )
