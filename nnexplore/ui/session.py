"""Per-process and per-session state of the dashboard.

One JobManager serves every session of the process (st.cache_resource); each
browser session keeps only the ids of its own runs (st.session_state).
"""

from __future__ import annotations

import secrets
import time

import streamlit as st

from nnexplore.config import RunConfig
from nnexplore.jobs import Job, JobManager, TooManyRuns
from nnexplore.views import model_view


@st.cache_resource
def job_manager() -> JobManager:
    """The process-wide job manager: fixed training slots, one queue, shared by all sessions.

    Runs train in child processes (see nnexplore.worker for why), so the
    pages this server draws never slow the training down.
    """
    return JobManager(view_fn=model_view, processes=True)


def prepare_training() -> None:
    """Get the training processes ready: this page can start runs (see JobManager.prepare)."""
    job_manager().prepare()


def session_id() -> str:
    if "session_id" not in st.session_state:
        st.session_state.session_id = secrets.token_hex(8)
    return st.session_state.session_id


def run_ids(group: str = "playground") -> list[str]:
    """This session's runs of one page (the Playground, or one experiment), oldest first."""
    return st.session_state.setdefault("runs", {}).setdefault(group, [])


def session_jobs(group: str = "playground") -> list[Job]:
    """The runs the manager still holds; ids it has dropped are forgotten here too."""
    manager = job_manager()
    ids = run_ids(group)
    jobs = [job for job in (manager.get(i) for i in ids) if job is not None]
    if len(jobs) != len(ids):
        ids[:] = [job.id for job in jobs]
    return jobs


def keep_alive() -> None:
    """Heartbeat for every active run of this session, whatever page is open."""
    manager = job_manager()
    for group in st.session_state.get("runs", {}).values():
        for job_id in group:
            manager.heartbeat(job_id)


FIRST_RECORD_WAIT_S = 0.8


def start_run(cfg: RunConfig, group: str, label: str = "") -> None:
    """Submit a run for this session, or say in words why it cannot start.

    A toy run's first record arrives within a fraction of a second: waiting for
    it here lets this very script run draw the first charts, instead of the
    next tick of the live fragment.
    """
    try:
        job = job_manager().submit(cfg, session_id(), label)
    except TooManyRuns as err:
        st.warning(str(err))
        return
    run_ids(group).append(job.id)
    deadline = time.monotonic() + FIRST_RECORD_WAIT_S
    while job.is_active and not job.records and time.monotonic() < deadline:
        time.sleep(0.02)


def stop_runs(group: str) -> None:
    """Stop every active run of one page of this session (a button callback)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().cancel(job.id)
