"""One computation, many copies: the training state that learners asking for the same run share.

A learner's ``Job`` is their own copy of a run: their id, their page, their
Stop. What trains is a ``Computation``: the runner trains it, and everything
it reports (status, records, timeline frames, views, progress, the end) is written into it and
into every Job that follows it, under the manager's lock. A page therefore
reads its own Job exactly as before, whoever else watches the same run.

A Job that starts following a computation gets a copy of what it has so far,
so it joins live from the first record. Followers share the computation's
pause too; when it is really paused is the rule in nnexplore.runs.pause. A Job that stops following (its
learner pressed Stop while others still watch) keeps the records it had and
hears nothing more. Records and frames are shared dicts, never changed once
appended, so a follower's list costs one reference per record.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections import deque
from typing import Any

from nnexplore.runs.job import (
    DIVERGED,
    DONE,
    JOINED,
    LOADING,
    QUEUED,
    RUNNING,
    STOPPED,
    STORED,
    Job,
    seconds_to_go,
)
from nnexplore.runs.pause import PauseState, pause_limit_s, paused_too_long
from nnexplore.runs.store import RunStore, estimate_bytes

#: Runs that ended so are complete and the same for anyone who asks: stored. A
#: stopped run is cut short where one learner stopped it; an error may not recur.
STORED_STATUSES = frozenset({DONE, DIVERGED})
#: What a follower copies from its computation when it joins, and hears of afterwards.
SHARED_FIELDS = ("status", "view", "progress", "error", "started", "started_mono", "finished")


def estimate_start_s(avg: float, busy_for: list[float], slots: int, position: int) -> float:
    """Seconds until the run at ``position`` in the queue (1: next) starts, if every run takes ``avg`` s.

    ``busy_for``: how long each training run has been going. Each queued run
    in turn takes the slot that frees first.
    """
    free_at = sorted([max(0.0, avg - age) for age in busy_for] + [0.0] * max(0, slots - len(busy_for)))
    start = 0.0
    for _ in range(position):
        start = free_at.pop(0)
        free_at.append(start + avg)
        free_at.sort()
    return start


class Computation(Job):
    """The training state of one distinct run, and the Jobs that follow it.

    A Job itself to the runner (it reads ``cfg``, ``id`` and ``stop_event``),
    but never listed among anyone's runs: it has no owner. ``key`` is its
    fingerprint (nnexplore.runs.store.run_key), None for a run that is never
    shared. Every method is called under the manager's lock.
    """

    def __init__(self, cfg: Any, key: str | None, lock: threading.Lock) -> None:
        super().__init__(cfg, "", "", lock)
        self.key = key
        self.followers: list[Job] = []
        self.stop_reason = ""  # why it was stopped, when no learner's Stop did it

    def trained_s(self, now: float) -> float:
        """Seconds since it got its slot, less the time it spent paused (no run's pace)."""
        return now - (self.started_mono or now) - self.pause.total_s(now)

    def follow(self, job: Job) -> None:
        """``job`` shows this run from now on, starting with a copy of what it has so far."""
        for name in SHARED_FIELDS:
            setattr(job, name, getattr(self, name))
        job.records = list(self.records)
        job.timeline = list(self.timeline)
        job.pause = self.pause
        self.followers.append(job)

    def unfollow(self, job: Job) -> None:
        """``job`` hears nothing more of this run."""
        if job in self.followers:
            self.followers.remove(job)
        job.paused, job.pause = False, PauseState()

    def update(self, **fields: Any) -> None:
        """Set some of ``SHARED_FIELDS`` here and in every follower."""
        for target in (self, *self.followers):
            for name, value in fields.items():
                setattr(target, name, value)

    def add_record(self, record: dict) -> None:
        """Append a record here and to every follower's buffer (a stopped one says ``stop_reason``, if any)."""
        if self.stop_reason and record.get("status") == STOPPED:
            record = {**record, "reason": self.stop_reason}
        self.records.append(record)
        for job in self.followers:
            job.records.append(record)

    def add_frame(self, frame: dict) -> None:
        """Append a timeline frame here and to every follower's timeline."""
        self.timeline.append(frame)
        for job in self.followers:
            job.timeline.append(frame)

    def end(self, status: str, error: str) -> list[Job]:
        """The run is over: every follower ends with it and stops following. Returns those followers."""
        if status == STOPPED:
            error = error or self.stop_reason
        self.update(status=status, error=error, finished=time.time())
        self.pause.set(False, time.monotonic())
        followers, self.followers = self.followers, []
        return followers


class Computations:
    """The computations queued or training, which Job follows which, and which a new Job may still join.

    The manager's bookkeeping for sharing, kept apart from its slots and
    threads; every method is called under the manager's lock. A computation
    may be joined while it is active and not stopping: one that is stopping
    would end a newcomer's run short.
    """

    def __init__(self, lock: threading.Lock, store: RunStore, pause_limit: float | None = None) -> None:
        self._lock = lock
        self.store = store
        self.pause_limit_s = pause_limit_s() if pause_limit is None else float(pause_limit)
        self.queue: deque[Computation] = deque()
        self.active: dict[str, Computation] = {}  # by id: queued, loading or training
        self._live: dict[str, Computation] = {}  # by key: the active ones a new Job may still follow
        self._source: dict[str, Computation] = {}  # a following Job's id -> what it follows

    def join(self, cfg: Any, key: str | None, job: Job) -> None:
        """``job`` follows the run ``key`` names if it is training or queued, else a new one, queued last."""
        comp = self._live.get(key) if key is not None else None
        if comp is None:
            comp = Computation(cfg, key, self._lock)
            while comp.id in self.active:  # 32 bits: collisions are rare, not impossible
                comp.id = secrets.token_hex(4)
            self.active[comp.id] = comp
            if key is not None:
                self._live[key] = comp
            self.queue.append(comp)
        else:
            job.shared_from = JOINED
        comp.follow(job)
        self._source[job.id] = comp
        self._apply_pause(comp)  # a newcomer has not asked to pause: a paused run goes on

    def serve_stored(self, key: str | None, job: Job) -> bool:
        """Make ``job`` the finished run stored under ``key``, at once: False when none is stored."""
        stored = self.store.get(key)
        if stored is None:
            return False
        job.status, job.records, job.view = stored.status, list(stored.records), stored.view
        job.timeline = list(stored.timeline)
        job.shared_from = STORED
        job.started = job.finished = time.time()
        return True

    def projected_s(self) -> list[float]:
        """Each training computation's whole time at its pace so far (trained + to go), where known."""
        out = []
        for comp in self.active.values():
            last = comp.records[-1] if comp.records else None  # under the manager's lock already
            to_go = seconds_to_go(comp.status, last)
            if to_go is not None:
                out.append(last["elapsed_s"] + to_go)
        return out

    def wait_s(self, job_id: str, durations: list[float], slots: int, now: float) -> float | None:
        """Seconds until what this Job follows starts, if each run takes the mean of ``durations``
        (before any has finished: the runs training now, each as long as its pace makes it)."""
        position = self.position(job_id)
        durations = durations or self.projected_s()
        if position is None or not durations:
            return None
        return estimate_start_s(sum(durations) / len(durations), self.busy_for(now), slots, position)

    def position(self, job_id: str) -> int | None:
        """The place in the queue of what this Job follows (1: next); None when that is not waiting."""
        comp = self._source.get(job_id)
        for pos, queued in enumerate(self.queue, start=1):
            if queued is comp:
                return pos
        return None

    def busy_for(self, now: float) -> list[float]:
        """How long each computation that holds a slot has held it, in seconds."""
        return [
            now - c.started_mono
            for c in self.active.values()
            if c.status in (LOADING, RUNNING) and c.started_mono is not None
        ]

    def stop_following(self, job: Job) -> None:
        """A learner's Stop: ``job`` stops following; the run stops with its last follower.

        The last follower stays on until the run has stopped, so it gets the
        run's last record and how it ended, as an unshared run always did.
        """
        job.stop_event.set()
        comp = self._source.get(job.id)
        if comp is None:
            return
        if len(comp.followers) > 1:
            comp.unfollow(job)
            del self._source[job.id]
            job.status, job.finished = STOPPED, time.time()
            self._apply_pause(comp)  # those left may all have asked to pause
        else:
            self.cancel(comp)

    def cancel(self, comp: Computation) -> None:
        """Stop a computation: a queued one ends at once, one that trains when its runner sees Stop."""
        comp.stop_event.set()
        comp.pause.set(False, time.monotonic())  # a Stop wakes a paused run, which then ends
        self._not_joinable(comp)  # stopping: whoever asks for this run now gets a fresh one
        if comp.status == QUEUED:
            with contextlib.suppress(ValueError):
                self.queue.remove(comp)
            self.end(comp, STOPPED, "")

    def pause(self, job: Job) -> bool:
        """``job``'s learner asks to pause; the run pauses once every follower has (nnexplore.runs.pause).

        False when what it follows is not loading or training (queued: nothing to pause yet), or stops.
        """
        comp = self._source.get(job.id)
        if comp is None or comp.status not in (LOADING, RUNNING) or comp.stop_event.is_set():
            return False
        job.paused = True
        self._apply_pause(comp)
        return True

    def resume(self, job: Job) -> bool:
        """Run ``job``'s computation on, for every follower: each one's ask to pause is cleared."""
        comp = self._source.get(job.id)
        if comp is None:
            return False
        for follower in comp.followers:
            follower.paused = False
        self._apply_pause(comp)
        return True

    def step(self, job: Job) -> bool:
        """One more record of ``job``'s paused computation, then it pauses again. False: it is not paused."""
        comp = self._source.get(job.id)
        if comp is None or not comp.pause.paused or comp.stop_event.is_set():
            return False
        comp.pause.steps += 1
        return True

    def expire_paused(self, now: float) -> None:
        """Stop each computation paused for longer than the pause limit, saying so to its followers."""
        for comp in list(self.active.values()):
            if comp.pause.paused_for(now) > self.pause_limit_s and not comp.stop_event.is_set():
                comp.stop_reason = paused_too_long(self.pause_limit_s)
                self.cancel(comp)

    @staticmethod
    def _apply_pause(comp: Computation) -> None:
        """The rule: paused only while every follower has asked to pause (and someone follows)."""
        everyone = bool(comp.followers) and all(job.paused for job in comp.followers)
        comp.pause.set(everyone and not comp.stop_event.is_set(), time.monotonic())

    @staticmethod
    def measure(comp: Computation, status: str) -> int | None:
        """The size to store a computation that ended so under, or None when it is not to be stored.

        Call it without the lock, once its runner has returned: pickling
        takes milliseconds, and no record is added any more.
        """
        if comp.key is None or status not in STORED_STATUSES:
            return None
        return estimate_bytes(comp.records, comp.view, comp.timeline)

    def end(self, comp: Computation, status: str, error: str, size: int | None = None) -> None:
        """The computation is over: its followers end with it, nobody can join it, and ``size``: it is stored."""
        if size is not None and comp.key is not None:
            self.store.put(comp.key, status, comp.records, comp.view, size, comp.timeline)
        for job in comp.end(status, error):
            self._source.pop(job.id, None)
        self.active.pop(comp.id, None)
        self._not_joinable(comp)

    def stop_all(self) -> None:
        """Shutting down: queued computations end at once, training ones are told to stop."""
        for comp in list(self.queue):
            self.cancel(comp)
        for comp in self.active.values():
            comp.stop_event.set()

    def counts(self) -> dict[str, float]:
        """Computations training (or loading) and queued, and the finished runs stored."""
        return {
            "running": sum(1 for c in self.active.values() if c.status in (LOADING, RUNNING)),
            "queued": len(self.queue),
            "stored": len(self.store),
            "stored_mb": round(self.store.size_mb, 2),
        }

    def _not_joinable(self, comp: Computation) -> None:
        if comp.key is not None and self._live.get(comp.key) is comp:
            del self._live[comp.key]
