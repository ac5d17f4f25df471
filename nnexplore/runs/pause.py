"""Pause, Resume and Step: a training run held between two records, and who may hold a shared one.

A run pauses between records, never inside one: the training side calls ``Hold`` right after
each record it reports, and while the run is paused that call waits (the training loop, a
generator, is suspended at its ``yield``: no batch, no random number, nothing is drawn). So a
paused and resumed run gives the same records as one never paused, seed for seed; only the
timing fields differ, and ``Hold.timed`` leaves the time spent paused out of ``elapsed_s``.
A Stop while paused wakes the run, whose training loop then ends it as Stop always does, with a
``stopped`` record. The last record (done, stopped, diverged) is never held: the run is over.

**The rule for a shared run.** Several learners may follow one computation
(nnexplore.runs.shared), each with their own ``Job.paused`` (they asked to pause). The
computation is paused only while *every* active follower has asked to pause: one learner's
Pause never stops another's run, and a learner who joins a paused run runs it again (they have
not asked to pause). Resume by any follower runs it for all: every follower's ask is cleared.
Step by a follower of a paused computation lets exactly one more record through, after which
it pauses again. A run can be paused while it loads or trains, not while it waits in the queue.

A paused run keeps its training slot. One that stays paused longer than ``pause_limit_s()``
(``NNEXPLORE_PAUSE_LIMIT_S``, 5 minutes) is stopped by the sweep that stops abandoned runs
(nnexplore.runs.stale), open page or not, and its followers end ``stopped`` with
``paused_too_long``'s sentence as the reason.

Who reads what: the server keeps a computation's ``PauseState`` (under the manager's lock); the
training side reads it without any lock, a bool and a count, either directly (a run trained in
the server's own thread, tests/thread_runner.py) or through a ``PauseFlag`` in shared memory
that the relay copies it into (a child process: nnexplore.runs.forkserver, .process).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from nnexplore.runs.environment import env_number

#: Seconds a run may stay paused before it is stopped (setting: ``NNEXPLORE_PAUSE_LIMIT_S``).
#: A paused run holds a training slot that a queued learner may be waiting for.
PAUSE_LIMIT_S = 300.0
#: How often a held run looks at its flag: Resume and Step are felt within this.
WAIT_S = 0.05


def pause_limit_s() -> float:
    """``NNEXPLORE_PAUSE_LIMIT_S`` if set to a number >= 0, else ``PAUSE_LIMIT_S``."""
    return env_number("NNEXPLORE_PAUSE_LIMIT_S", PAUSE_LIMIT_S)


def paused_too_long(limit_s: float) -> str:
    """Why a run the pause limit stopped ended, in plain words: its record's reason and its Job's error."""
    return f"Stopped: it stayed paused for {duration_words(limit_s)}."


def duration_words(seconds: float) -> str:
    """``300`` -> "5 minutes", ``60`` -> "1 minute", ``90`` -> "90 seconds", ``0.5`` -> "0.5 seconds"."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"


class PauseState:
    """One computation's pause as the server keeps it: written under the manager's lock only.

    ``paused``: the computation is paused (the rule in this module's docstring decided);
    ``steps``: how many Steps it has been given, ever (a count, so that the training side,
    which only reads, can tell a new one). ``since`` (time.monotonic()) is when it last paused.
    """

    def __init__(self) -> None:
        self.paused = False
        self.steps = 0
        self.since: float | None = None
        self.held_s = 0.0  # paused time before ``since``

    def set(self, paused: bool, now: float) -> None:
        """Paused or not from now on; the time spent paused is added up."""
        if paused and not self.paused:
            self.since = now
        elif not paused and self.paused and self.since is not None:
            self.held_s += now - self.since
            self.since = None
        self.paused = paused

    def paused_for(self, now: float) -> float:
        """Seconds it has been paused this time (0 when it is not paused)."""
        return now - self.since if self.paused and self.since is not None else 0.0

    def total_s(self, now: float) -> float:
        """Seconds it has spent paused in all."""
        return self.held_s + self.paused_for(now)


class PauseReading(Protocol):
    """What the training side reads: a PauseState, or a PauseFlag copied from one."""

    @property
    def paused(self) -> bool: ...

    @property
    def steps(self) -> int: ...


class Hold:
    """The training side of a pause: call it after each record is sent; it returns when the run goes on.

    ``flag`` is read, never written (see PauseFlag for why); ``stop`` (``is_set()``) ends the
    wait; ``tick`` is called while waiting (the thread runner's stale-run sweep). Steps are
    counted here: each Step the flag shows beyond those already used lets one record through.
    """

    def __init__(
        self, flag: PauseReading, stop: Any, tick: Callable[[], None] | None = None, wait_s: float = WAIT_S
    ) -> None:
        self._flag = flag
        self._stop = stop
        self._tick = tick
        self._wait_s = wait_s
        self._used = flag.steps
        self.held_s = 0.0

    def __call__(self, record: dict) -> None:
        """Wait here while the run is paused, unless ``record`` was its last."""
        if record.get("status", "running") != "running":
            return
        if not self._flag.paused:
            self._used = self._flag.steps  # a Step given while it ran is not kept for later
            return
        start = time.monotonic()
        while not self._stop.is_set():
            if not self._flag.paused:  # Resume
                self._used = self._flag.steps
                break
            if self._flag.steps > self._used:  # Step: the next record goes through, then it holds again
                self._used += 1
                break
            if self._tick is not None:
                self._tick()
            time.sleep(self._wait_s)
        self.held_s += time.monotonic() - start

    def timed(self, record: dict) -> dict:
        """``record`` with the time spent paused so far left out of its ``elapsed_s``."""
        if not self.held_s or "elapsed_s" not in record:
            return record
        return {**record, "elapsed_s": record["elapsed_s"] - self.held_s}
