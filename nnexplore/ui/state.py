"""Per-process state of the dashboard, and what a page does with this session's runs.

One JobManager serves every session of the process (st.cache_resource), and
one OwnerPages records which pages each owner has open. Runs belong to an
owner: the browser when it can be recognised, else the browser tab's session
(see nnexplore.ui.owner).
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import time

import streamlit as st

from nnexplore.config import RunConfig
from nnexplore.runs import Job, JobManager, ProcessRunner, TooManyRuns
from nnexplore.runs.job import QUEUED
from nnexplore.ui.live_pages import LivePages
from nnexplore.ui.owner import OwnerPages, owner_id
from nnexplore.ui.shared_charts import SharedCharts

PLAYGROUND = "playground"
#: What a training process sends the page besides its records. Named, not imported: that module
#: imports torch, which the server does not need for the Playground (see nnexplore.runs.process).
VIEW_FN = "nnexplore.snapshots:model_view"


@st.cache_resource
def owner_pages() -> OwnerPages:
    """The process-wide record of open pages per owner."""
    return OwnerPages()


@st.cache_resource
def live_pages() -> LivePages:
    """The process-wide count of pages drawing runs live (they share the redraw budget)."""
    return LivePages()


@st.cache_resource
def queued_pages() -> LivePages:
    """The pages of this server whose runs all wait in the queue (they poll at a shared pace)."""
    return LivePages()


@st.cache_resource
def shared_charts() -> SharedCharts:
    """The process-wide charts of finished page parts (see nnexplore.ui.shared_charts)."""
    return SharedCharts()


@st.cache_resource
def job_manager() -> JobManager:
    """The process-wide job manager: fixed training slots, one queue, shared by all sessions.

    Runs train in child processes (see nnexplore.runs.process for why), so
    the pages this server draws never slow the training down.
    """
    with contextlib.suppress(ValueError, AttributeError, OSError):  # diagnostics only; not on every OS
        # `kill -USR1 <server pid>` writes every thread's stack to the server log: what a stuck run waits on.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    return JobManager(runner=ProcessRunner(view_fn=VIEW_FN), owner_connected=owner_pages().connected)


def prepare_training() -> None:
    """Get the training processes ready: this page can start runs (see JobManager.prepare)."""
    job_manager().prepare()


def session_jobs(group: str = PLAYGROUND) -> list[Job]:
    """This owner's runs of one page (the Playground, or one experiment), oldest first."""
    return job_manager().jobs_for(owner_id(owner_pages()), group)


def keep_alive() -> None:
    """Heartbeat for every active run of this owner, whatever page is open."""
    manager = job_manager()
    for job in manager.jobs_for(owner_id(owner_pages())):
        if job.is_active:
            manager.heartbeat(job.id)


FIRST_RECORD_WAIT_S = 0.8


def start_run(cfg: RunConfig, group: str, label: str = "") -> None:
    """Submit a run for this session, or say in words why it cannot start.

    A toy run's first record arrives within a fraction of a second: waiting for
    it here lets this very script run draw the first charts, instead of the
    next tick of the live fragment. A run that will end before the wait is
    over (a short toy run) is waited for to its end: the page is then drawn
    once, finished, not live and again a moment later (on a one-core box with
    a fresh browser, the two draws cost about 0.5 s before the first chart).
    A run that waits in the queue (every slot busy) is not waited for: its
    page says at once where it is in the queue.
    """
    try:
        job = job_manager().submit(cfg, owner_id(owner_pages()), label, group)
    except TooManyRuns as err:
        st.warning(str(err))
        return
    deadline = time.monotonic() + FIRST_RECORD_WAIT_S
    while job.is_active and job.status != QUEUED and time.monotonic() < deadline:
        to_go = job.seconds_to_go()
        if job.records and (to_go is None or time.monotonic() + to_go > deadline):
            return  # it has a first record, and will not end before the wait is over: draw it live
        time.sleep(0.02)


def stop_runs(group: str) -> None:
    """Stop every active run of one page of this session (a button callback)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().cancel(job.id)
