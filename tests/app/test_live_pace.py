"""The shared redraw budget: pages poll slower as more pages draw live, or wait."""

from __future__ import annotations

import time

from nnexplore.ui.live import pace as live_pages
from nnexplore.ui.live.pace import (
    CHART_REFRESH_S,
    DRAW_SHARE,
    STATUS_REFRESH_S,
    TICK_BUDGET_S,
    LivePages,
    chart_interval,
    queued_interval,
    status_interval,
)


def test_pages_are_counted_once_and_forgotten_after_the_window(monkeypatch):
    pages = LivePages()
    assert pages.note("a") == 1
    assert pages.note("a") == 1  # the same page again
    assert pages.note("b") == 2
    now = time.monotonic()
    monkeypatch.setattr(live_pages.time, "monotonic", lambda: now + live_pages.WINDOW_S + 1)
    assert pages.note("c") == 1  # a and b stopped drawing live


def test_one_page_keeps_its_pace_and_thirty_share_the_core():
    assert chart_interval(1) == CHART_REFRESH_S
    assert status_interval(1) == STATUS_REFRESH_S == 0.5
    for live in (1, 5, 30):
        charts = chart_interval(live)
        status = status_interval(live)
        # all live pages together: at most DRAW_SHARE of a core for charts, STATUS_SHARE for status
        assert live * TICK_BUDGET_S / charts <= DRAW_SHARE + 1e-9
        assert live * live_pages.STATUS_TICK_S / status <= live_pages.STATUS_SHARE + 1e-9
    assert chart_interval(30) == 30 * CHART_REFRESH_S


def test_a_few_waiting_pages_poll_every_second_and_thirty_share_their_budget():
    assert queued_interval(1) == live_pages.QUEUED_FASTEST_S == 1.0
    for waiting in (1, 10, 30, 100, 1000):
        every = queued_interval(waiting)
        assert live_pages.QUEUED_FASTEST_S <= every <= live_pages.QUEUED_SLOWEST_S
        within = waiting * live_pages.QUEUED_TICK_S / every <= live_pages.QUEUED_SHARE + 1e-9
        assert within or every == live_pages.QUEUED_SLOWEST_S  # the slowest pace caps the wait
    assert queued_interval(10) <= queued_interval(30) <= queued_interval(100)
    assert queued_interval(1000) == live_pages.QUEUED_SLOWEST_S


def _job(status: str, *, step: int = 0, total: int = 1000, elapsed: float = 0.0):
    import threading

    from nnexplore.config import RunConfig
    from nnexplore.runs.job import Job

    job = Job(RunConfig(), "s", "", threading.Lock())
    job.status = status
    if step:
        job.records = [
            {"step": step, "total_steps": total, "elapsed_s": elapsed, "epoch": 1.0, "test_acc": 0.9}
        ]
    return job


def test_a_waiting_page_draws_its_run_live_only_once_it_trains_with_seconds_to_go():
    from nnexplore.runs.job import LOADING, QUEUED, RUNNING
    from nnexplore.ui.live.pace import ENDS_SOON_S
    from nnexplore.ui.live.view import _worth_drawing_live

    assert not _worth_drawing_live(_job(QUEUED))
    assert not _worth_drawing_live(_job(LOADING))  # its data loads: nothing to chart yet
    assert _worth_drawing_live(_job(RUNNING))  # no record yet: its pace is not known
    # 100 of 1000 steps in 1 s: 9 s to go. 900 of 1000 in 1 s: about 0.1 s to go.
    assert _worth_drawing_live(_job(RUNNING, step=100, elapsed=1.0))
    assert not _worth_drawing_live(_job(RUNNING, step=900, elapsed=1.0))
    half = ENDS_SOON_S  # half-way after ENDS_SOON_S: as long again to go
    assert not _worth_drawing_live(_job(RUNNING, step=500, elapsed=half))
    assert _worth_drawing_live(_job(RUNNING, step=500, elapsed=half * 1.1))


class _Manager:
    """Stands in for the job manager: holds the page's runs, and every queued run is second."""

    def __init__(self, jobs) -> None:
        self.jobs = {job.id: job for job in jobs}

    def get(self, job_id):
        return self.jobs.get(job_id)

    def heartbeat(self, job_id) -> bool:
        return True

    def queue_position(self, job_id) -> int:
        return 2

    def estimate_wait_s(self, job_id) -> float:
        return 3.0


def _queued_tick() -> None:
    import streamlit as st

    from nnexplore.ui.live import view as live

    live._queued_status(st.session_state["ids"], "page", st.session_state["ended"])


def test_a_waiting_page_is_redrawn_when_one_of_its_runs_ends_or_trains_with_seconds_to_go(monkeypatch):
    """The waiting page's tick: runs that ended since the page was drawn get their charts (a
    redraw), and so does a run that trains with seconds to go; a run still queued, or about
    to end, does not make the page redraw."""
    from streamlit.testing.v1 import AppTest

    from nnexplore.runs.job import DONE, QUEUED, RUNNING
    from nnexplore.ui.live import view as live

    reruns: list[int] = []
    monkeypatch.setattr(live.st, "rerun", lambda: reruns.append(1))
    first, last = _job(DONE, step=1000, elapsed=1.0), _job(QUEUED)  # ended before; still waits
    cases = [
        (_job(QUEUED), False),
        (_job(DONE, step=1000, elapsed=1.0), True),  # ended since the page was drawn
        (_job(RUNNING, step=100, elapsed=1.0), True),  # 9 s to go: drawn live
        (_job(RUNNING, step=900, elapsed=1.0), False),  # 0.1 s to go: drawn once it ended
    ]
    for second, redrawn in cases:
        monkeypatch.setattr(live, "job_manager", lambda second=second: _Manager([first, second, last]))
        reruns.clear()
        at = AppTest.from_function(_queued_tick, default_timeout=20)
        at.session_state["ids"] = [first.id, second.id, last.id]
        at.session_state["ended"] = [first.id]
        at.run()
        assert not at.exception
        assert bool(reruns) == redrawn, second.status


def test_a_page_beats_fast_only_while_its_browser_has_a_run_going():
    """Every heartbeat makes the browser redraw the page: an idle page beats slowly (once a minute
    at most, still in time to repair a page a lost rerun left unfinished), and a page with a run
    going fast enough that the run is never taken for abandoned (nnexplore.runs.stale: 30 s
    without a heartbeat)."""
    from nnexplore.runs.manager import JobManager
    from nnexplore.ui.live.pace import HEARTBEAT_S, IDLE_HEARTBEAT_S, heartbeat_interval

    assert heartbeat_interval(True) == HEARTBEAT_S < heartbeat_interval(False) == IDLE_HEARTBEAT_S
    import inspect

    timeout = inspect.signature(JobManager).parameters["heartbeat_timeout"].default
    assert 3 * HEARTBEAT_S <= timeout  # three beats may be late before a live run is stopped
    assert IDLE_HEARTBEAT_S <= 60
