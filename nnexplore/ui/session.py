"""Per-process and per-session state of the dashboard.

One JobManager serves every session of the process (st.cache_resource); each
browser session keeps only the ids of its own runs (st.session_state).
"""

from __future__ import annotations

import secrets
import sys

import streamlit as st

from nnexplore.config import RunConfig
from nnexplore.jobs import Job, JobManager, TooManyRuns
from nnexplore.views import model_view


@st.cache_resource
def job_manager() -> JobManager:
    """The process-wide job manager: fixed training slots, one queue, shared by all sessions.

    Training threads release the GIL inside every torch op and must take it
    back afterwards; while a page is drawing charts in Python, each take-back
    waits up to the interpreter's switch interval (5 ms by default), which
    slowed a small network's training many times over. A short interval keeps
    training moving while pages draw.
    """
    sys.setswitchinterval(0.0005)
    return JobManager(view_fn=model_view)


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


def start_run(cfg: RunConfig, group: str) -> None:
    """Submit a run for this session, or say in words why it cannot start."""
    try:
        job = job_manager().submit(cfg, session_id())
    except TooManyRuns as err:
        st.warning(str(err))
        return
    run_ids(group).append(job.id)


def stop_runs(group: str) -> None:
    """Stop every active run of one page of this session (a button callback)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().cancel(job.id)
