"""Stale runs: a run whose page has gone (tab closed, no heartbeats) is cancelled, and so is one
left paused too long (nnexplore.runs.pause), its page open or not.

A run is stale after ``timeout`` s without a heartbeat, unless its owner still
has a page connected: that guards against a page that is open but busy or
stalled (an overloaded browser, a page whose timers stopped); its run goes on,
and the page shows it once it catches up. A closed tab is not connected.

There is no reaper thread: the manager sweeps whenever anything happens (a
record arrives, a run finishes or is submitted, a page polls), so the sweep is
throttled.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from nnexplore.runs.job import Job

logger = logging.getLogger(__name__)

#: Longest pause between two scans, in seconds, however often the manager asks.
MAX_SWEEP_INTERVAL_S = 0.25


class StaleRuns:
    """Sweeps the manager's runs for stale ones and cancels them, under the manager's lock.

    ``also_expire`` adds what stops the runs paused for too long.

    ``owner_connected(owner)`` is Streamlit's and takes Streamlit's locks, so
    it is asked outside the manager's lock: a page thread holding a Streamlit
    lock may be waiting for ours. The runs it is asked about are collected
    under the lock, and each is checked again under it before it is
    cancelled, since a heartbeat may have come meanwhile, or the run ended.
    """

    def __init__(
        self,
        lock: threading.Lock,
        jobs: dict[str, Job],
        cancel_locked: Callable[[Job], None],
        timeout: float,
        owner_connected: Callable[[str], bool] | None = None,
    ) -> None:
        self._lock = lock
        self._expire_paused_locked: Callable[[float], None] | None = None
        self._jobs = jobs
        self._cancel_locked = cancel_locked
        self.timeout = float(timeout)
        self._owner_connected = owner_connected
        self._last = float("-inf")
        # A quarter of the timeout at most: a stale run is found at most 25 % late, and a
        # scan (O(runs)) runs at most 4 times a second however often pages poll.
        self._interval = min(MAX_SWEEP_INTERVAL_S, self.timeout / 4)

    def also_expire(self, expire_paused_locked: Callable[[float], None]) -> None:
        """Call ``expire_paused_locked(now)`` under the lock at each sweep (Computations.expire_paused)."""
        self._expire_paused_locked = expire_paused_locked

    def sweep(self, force: bool = False) -> None:
        """Cancel the stale runs; throttled unless ``force``. Call it without the manager's lock."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last < self._interval:
                return
            self._last = now
            if self._expire_paused_locked is not None:
                self._expire_paused_locked(now)  # paused too long: stopped, whoever watches
            candidates = [job for job in self._jobs.values() if self._overdue_locked(job, now)]
        if not candidates:
            return
        connected = {owner for owner in {job.owner for job in candidates} if self._connected(owner)}
        with self._lock:
            for job in candidates:
                if job.owner in connected or not self._overdue_locked(job, now):
                    continue  # a page is open, a heartbeat came meanwhile, or the run ended
                logger.info("Run %s: no heartbeat for %.1f s, stopping it.", job.id, now - job.last_seen)
                self._cancel_locked(job)

    def _overdue_locked(self, job: Job, now: float) -> bool:
        """Active, not already stopping, and no heartbeat for ``timeout`` s."""
        return job.is_active and not job.stop_event.is_set() and now - job.last_seen > self.timeout

    def _connected(self, owner: str) -> bool:
        """Whether ``owner`` has a page open; False when nobody can tell (heartbeats decide then)."""
        if self._owner_connected is None:
            return False
        try:
            return bool(self._owner_connected(owner))
        except Exception:  # a broken check must not keep runs alive for ever, nor crash the sweep
            logger.exception("owner_connected failed; going by heartbeats alone")
            return False
