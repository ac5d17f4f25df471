"""One training run as the manager and the pages see it, and the table of run statuses.

A status is defined here once. A run is ``queued`` until it gets a slot,
``loading`` while its data set loads, ``running`` while it trains, and then
ends ``done``, ``stopped``, ``diverged`` (the training loop's last record said
so) or ``error`` (it could not run; ``Job.error`` says why in plain words).
A run that was stopped by something other than its learner's Stop (it stayed
paused too long) says why in ``Job.error`` too, and in its last record's ``reason``.

A paused run keeps its status (``running``, or ``loading`` before its first
record) and stays active: pausing is not an end (nnexplore.runs.pause).
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Any

from nnexplore.runs.pause import PauseState

QUEUED = "queued"
LOADING = "loading"
RUNNING = "running"
DONE = "done"
STOPPED = "stopped"
DIVERGED = "diverged"
ERROR = "error"

#: A run in one of these still holds, or waits for, a training slot.
ACTIVE_STATUSES = frozenset({QUEUED, LOADING, RUNNING})
#: The statuses a run's last record can carry (the training loop sets them).
RECORD_END_STATUSES = frozenset({DONE, STOPPED, DIVERGED})

#: Where a Job's run came from when it is not its own computation (Job.shared_from): it
#: joined one that another learner's Job already follows, or it was served whole from the store.
JOINED, STORED = "joined", "stored"

#: Longest error message shown to a user: one line of a page, never a traceback.
MAX_ERROR_CHARS = 300


class TooManyRuns(Exception):
    """Raised by ``JobManager.submit`` when an owner already has too many active runs."""


class Job:
    """One learner's copy of a training run: its settings, its state and its growing record buffer.

    Fields are written by the run's thread and read by page threads, always
    under the manager's lock (``records_since`` takes it for you). ``records``
    is append-only, so a page can keep a count and ask only for what is new.
    ``timeline`` is too: the run's timeline frames in order (up to
    nnexplore.moments.FRAMES small pictures of the model, each taken at a
    record; ``timeline_since``). Several Jobs may follow one computation
    (nnexplore.runs.shared), each with its own id, owner and Stop; the records
    and frames themselves are shared, never changed.
    """

    def __init__(self, cfg: Any, owner: str, label: str, lock: threading.Lock, group: str = "") -> None:
        self.id: str = secrets.token_hex(4)
        self.owner = owner
        self.cfg = cfg
        self.label = label
        self.group = group
        self.created: float = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self.status: str = QUEUED
        self.records: list[dict] = []
        self.timeline: list[dict] = []
        self.error: str = ""
        self.view: dict | None = None
        self.progress: tuple[float, str] | None = None
        self.stop_event = threading.Event()
        self.last_seen: float = time.monotonic()
        self.started_mono: float | None = None  # time.monotonic() when it got its slot
        self.shared_from: str = ""  # "", JOINED or STORED: where this copy's run came from
        self.paused: bool = False  # this learner asked to pause (nnexplore.runs.pause has the rule)
        self.pause = PauseState()  # its computation's pause, the same object for every follower
        self._lock = lock

    def touch(self) -> None:
        """Heartbeat: the page is still showing this run."""
        self.last_seen = time.monotonic()

    def records_since(self, n: int) -> list[dict]:
        """Copy of the records after the first ``n`` (safe while the run appends)."""
        with self._lock:
            return list(self.records[max(0, n) :])

    def timeline_since(self, n: int) -> list[dict]:
        """Copy of the timeline's frames after the first ``n`` (safe while the run appends)."""
        with self._lock:
            return list(self.timeline[max(0, n) :])

    @property
    def is_active(self) -> bool:
        """True while queued, loading data or training."""
        return self.status in ACTIVE_STATUSES

    @property
    def is_paused(self) -> bool:
        """True while the run is really paused: every learner who follows it asked to pause.

        ``paused`` says only that this learner asked; while another follower has not, the run
        trains on for both (nnexplore.runs.pause).
        """
        return self.is_active and self.pause.paused

    @property
    def last_record(self) -> dict | None:
        """The newest record, or None before the first one."""
        with self._lock:
            return self.records[-1] if self.records else None

    def seconds_to_go(self) -> float | None:
        """Seconds this run still trains at its pace so far (see ``seconds_to_go``)."""
        return seconds_to_go(self.status, self.last_record)

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, owner={self.owner!r}, status={self.status!r})"


def seconds_to_go(status: str, last: dict | None) -> float | None:
    """Seconds a run with this status and newest record still trains at its pace so far; None
    before the pace is known (queued, loading, or no record past step 0)."""
    if status != RUNNING or not last or not last.get("step") or "total_steps" not in last:
        return None
    return last["elapsed_s"] * (last["total_steps"] - last["step"]) / last["step"]


def end_status(last: dict | None, stop_asked: bool) -> str:
    """How a run whose training loop returned ended: as its last record says, else by whether Stop came."""
    final = (last or {}).get("status")
    if final in RECORD_END_STATUSES:
        return final
    return STOPPED if stop_asked else DONE


def parse_progress(args: tuple, kwargs: dict) -> tuple[float, str]:
    """Accept ``(fraction, message)``, ``(message,)`` or keywords from a data loader."""
    fraction = kwargs.get("fraction", 0.0)
    message = kwargs.get("message", "")
    for arg in args:
        if isinstance(arg, str):
            message = arg
        elif isinstance(arg, (int, float)):
            fraction = arg
    try:
        fraction = min(1.0, max(0.0, float(fraction)))
    except (TypeError, ValueError):
        fraction = 0.0
    return fraction, str(message)


def short_message(text: str) -> str:
    """First line of a message, capped, so no traceback reaches a page."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) > MAX_ERROR_CHARS:
        line = line[: MAX_ERROR_CHARS - 1] + "…"
    return line
