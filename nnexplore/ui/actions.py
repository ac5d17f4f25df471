"""What a page does with this tab's runs: list them, start one, stop them, keep them alive.

Runs belong to an owner: the browser when it can be recognised, else the
browser tab's session (nnexplore.ui.owner). A page's runs form a group: the
Playground's, or one guided experiment's.
"""

from __future__ import annotations

import time

import streamlit as st

from nnexplore.config import RunConfig
from nnexplore.runs import Job, TooManyRuns
from nnexplore.runs.job import QUEUED
from nnexplore.ui.live import pace
from nnexplore.ui.owner import owner_id
from nnexplore.ui.state import job_manager, owner_pages

PLAYGROUND = "playground"


def prepare_training() -> None:
    """Get the training processes ready: this page can start runs (see JobManager.prepare)."""
    job_manager().prepare()


def session_jobs(group: str = PLAYGROUND) -> list[Job]:
    """This owner's runs of one page (the Playground, or one experiment), oldest first."""
    return job_manager().jobs_for(owner_id(owner_pages()), group)


def has_active_runs() -> bool:
    """Whether this owner has any run training or waiting, on any page."""
    return any(job.is_active for job in job_manager().jobs_for(owner_id(owner_pages())))


def keep_alive() -> None:
    """Heartbeat for every active run of this owner, whatever page is open."""
    manager = job_manager()
    for job in manager.jobs_for(owner_id(owner_pages())):
        if job.is_active:
            manager.heartbeat(job.id)


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
    deadline = time.monotonic() + pace.FIRST_RECORD_WAIT_S
    while job.is_active and job.status != QUEUED and time.monotonic() < deadline:
        to_go = job.seconds_to_go()
        if job.records and (to_go is None or time.monotonic() + to_go > deadline):
            return  # it has a first record, and will not end before the wait is over: draw it live
        time.sleep(0.02)


def start_batch(runs: list[tuple[str, RunConfig]], group: str) -> None:
    """Submit a bounded batch of (label, config) runs at once, without waiting for any first
    record (a card's seeds: its page draws them as they come). The batch may take the learner's
    runs training or waiting up to its own size, past the usual limit of 4; a run it cannot
    start is said in words, and the rest of the batch is not submitted."""
    manager, owner = job_manager(), owner_id(owner_pages())
    for label, cfg in runs:
        try:
            manager.submit(cfg, owner, label, group, allowance=len(runs))
        except TooManyRuns as err:
            st.warning(str(err))
            return


def stop_runs(group: str) -> None:
    """Stop every active run of one page of this session (a button callback)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().cancel(job.id)


def pause_runs(group: str) -> None:
    """Ask to pause every active run of one page of this session (a button callback): each holds
    after its next record, once every learner who follows it asked too (nnexplore.runs.pause)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().pause(job.id)


def resume_runs(group: str) -> None:
    """Run every paused run of one page of this session on (a button callback)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().resume(job.id)


def step_runs(group: str) -> None:
    """Let every paused run of one page of this session take one more record (a button callback)."""
    for job in session_jobs(group):
        if job.is_paused:
            job_manager().step(job.id)
