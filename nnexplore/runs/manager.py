"""The job manager: training slots, one FIFO queue, heartbeats and stale runs, for every session.

The dashboard reruns its script on every widget change, so a run cannot live in
the script thread: it lives here, and the page only reads its record buffer.
One ``JobManager`` serves the whole process (the dashboard wraps it in
``st.cache_resource``). It has a fixed number of training slots sized to the
CPU, because a whole class opens the dashboard at once on a small box: runs
beyond the slots wait in a FIFO queue and the page shows their place.

What trains a run is the manager's ``runner`` (nnexplore.runs.runner): the
dashboard's ProcessRunner trains in child processes. The manager keeps one thread
per run that holds a slot, in which the runner works; it is started when the
run gets its slot and ends with the run, so nothing lingers when the class
goes home. There is no reaper thread; stale runs (tab closed, page stopped
sending heartbeats) are found whenever anything happens: a record arrives, a
run finishes, a run is submitted, or the page asks for stats or a queue
position (nnexplore.runs.stale).

Learners who ask for the same run share one computation (nnexplore.runs.shared):
the queue and the slots hold computations, each learner holds a Job that
follows one. Stop and stale heartbeats act on a learner's Job: it stops
following, and the computation is cancelled only when no Job follows it any
more. A run that ended done or diverged goes into a bounded store
(nnexplore.runs.store), and whoever asks for it again gets it whole at once.

Everything shared is guarded by one lock. Waiting is done by threads blocking
in ``join`` or in the runner; nothing here busy-waits. The only outside code
called under the lock is the runner's ``slot_taken`` and ``slot_freed``, which
must be quick; ``owner_connected`` (Streamlit's) never is.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from nnexplore.runs.environment import env_number
from nnexplore.runs.job import DONE, ERROR, LOADING, RUNNING, Job, TooManyRuns
from nnexplore.runs.runner import Runner
from nnexplore.runs.shared import Computation, Computations
from nnexplore.runs.stale import StaleRuns
from nnexplore.runs.store import RunStore, run_key

logger = logging.getLogger(__name__)

#: Finished runs kept in memory across all sessions; older ones are dropped.
MAX_FINISHED = 200
#: How many recent run durations feed the queue-wait estimate.
DURATION_HISTORY = 50

_CRASHED = "The run failed because of an unexpected error."
_BUSY = "The server is too busy to start this run right now. Try again in a moment."


def default_slots() -> int:
    """Training slots: ``NNEXPLORE_SLOTS`` if set, else half the CPU cores.

    Half the cores because each run also uses intra-op threads, and the
    Streamlit server itself needs some CPU to keep pages responsive.
    """
    return int(env_number("NNEXPLORE_SLOTS", max(1, (os.cpu_count() or 1) // 2), minimum=1, whole=True))


def check_limit(jobs: Iterable[Job], owner: str, limit: int) -> None:
    """Raise TooManyRuns, in plain words, when ``owner`` already has ``limit`` runs training or waiting."""
    if sum(1 for j in jobs if j.owner == owner and j.is_active) >= limit:
        raise TooManyRuns(
            f"You already have {limit} runs training or waiting. Stop one or wait for it to finish."
        )


def start_thread(target: Callable[[Computation], None], comp: Computation) -> threading.Thread | None:
    """A run's thread, running ``target(comp)``, started; None when the machine has none to spare."""
    thread = threading.Thread(target=target, args=(comp,), name=f"nnexplore-run-{comp.id}", daemon=True)
    try:
        thread.start()
    except RuntimeError:
        logger.exception("Run %s: could not start its thread", comp.id)
        return None
    return thread


def oldest_finished(jobs: Iterable[Job], keep: int) -> list[Job]:
    """The finished runs beyond the newest ``keep``, oldest first."""
    finished = sorted((j for j in jobs if not j.is_active), key=lambda j: j.finished or j.created)
    return finished[: max(0, len(finished) - keep)]


class JobManager:
    """Slots, FIFO queue, cancellation and heartbeats for training runs.

    ``runner`` trains the runs (see nnexplore.runs.runner). A run whose page
    sent no heartbeat for ``heartbeat_timeout`` s is stopped, unless
    ``owner_connected(owner)`` says its owner still has a page open (see
    nnexplore.runs.stale). ``key_fn(cfg)`` names a distinct run (None: never
    shared); ``store`` keeps finished ones (see nnexplore.runs.store). A run
    paused for over ``pause_limit_s`` s is stopped (nnexplore.runs.pause).
    """

    def __init__(
        self,
        *,
        runner: Runner,
        slots: int | None = None,
        heartbeat_timeout: float = 30.0,
        max_per_session: int = 4,
        owner_connected: Callable[[str], bool] | None = None,
        key_fn: Callable[[Any], str | None] = run_key,
        store: RunStore | None = None,
        pause_limit_s: float | None = None,
    ) -> None:
        if slots is None:
            slots = default_slots()
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.runner = runner
        self.slots = int(slots)
        self.heartbeat_timeout = float(heartbeat_timeout)
        self.max_per_session = int(max_per_session)
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._key_fn = key_fn
        self.store = store if store is not None else RunStore()
        self._runs = Computations(self._lock, self.store, pause_limit_s)
        self._stale = StaleRuns(
            self._lock, self._jobs, self._cancel_locked, heartbeat_timeout, owner_connected
        )
        self._stale.also_expire(self._runs.expire_paused)
        self._threads: dict[str, threading.Thread] = {}
        self._durations: deque[float] = deque(maxlen=DURATION_HISTORY)
        self._closed = False
        self.max_finished = MAX_FINISHED

    # ----------------------------------------------------------------- public

    def submit(self, cfg: Any, owner: str, label: str = "", group: str = "", *, allowance: int = 0) -> Job:
        """Queue a run; it starts as soon as a slot is free (maybe at once).

        ``owner`` is whoever owns the run (the per-owner limit counts it);
        ``group`` is free text the caller files it under (the page it belongs to).
        The same run already training is joined; one already stored comes back
        finished at once, whatever the limit, since it costs no training.
        ``allowance`` raises the per-owner limit for this run (a card's seeds, a bounded batch).
        """
        key = self._key_fn(cfg)  # outside the lock: the first "auto" asks torch which device it has
        self._stale.sweep(force=True)  # before the next run is picked: a stale queued run gets no slot
        with self._lock:
            if self._closed:
                raise RuntimeError("The job manager has been shut down.")
            job = Job(cfg, owner, label, self._lock, group)
            while job.id in self._jobs:  # 32 bits: collisions are rare, not impossible
                job.id = secrets.token_hex(4)
            if self._runs.serve_stored(key, job):
                self._jobs[job.id] = job
                self._trim_finished_locked()
                return job
            check_limit(self._jobs.values(), owner, max(self.max_per_session, allowance))
            self._jobs[job.id] = job
            self._runs.join(cfg, key, job)
            self._dispatch_locked()
            return job

    def prepare(self) -> None:
        """Let the runner get ready ahead of a run; cheap when it is ready.

        Pages that can start runs call this when drawn: a learner who opens
        one is about to press Train, and the dashboard's forkserver needs a few
        seconds to import torch.
        """
        with self._lock:
            if self._closed or self._threads:  # while runs train, the runner is ready anyway
                return
        self.runner.prepare()

    def cancel(self, job_id: str) -> bool:
        """Stop a run. Queued: gone at once. Running: stops within one batch.

        Only this Job stops: while another learner's Job follows the same
        computation, it trains on for them, and this one keeps what it had.
        Returns False when there is no such active run.
        """
        return self._act(job_id, self._cancel_locked)

    def pause(self, job_id: str) -> bool:
        """This learner asks to pause their run after its next record. It pauses once every learner
        who follows it has asked (the rule: nnexplore.runs.pause). False unless it loads or trains."""
        return self._act(job_id, self._runs.pause)

    def resume(self, job_id: str) -> bool:
        """Run it on, for every learner who follows it. False when there is no such active run."""
        return self._act(job_id, self._runs.resume)

    def step(self, job_id: str) -> bool:
        """Let one more record of a paused run through, then pause again. False when it is not paused."""
        return self._act(job_id, self._runs.step)

    def heartbeat(self, job_id: str) -> bool:
        """The page still shows this run. False if the manager no longer has it."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            job.touch()
        self._stale.sweep()
        return True

    def get(self, job_id: str) -> Job | None:
        """The run with this id, or None (unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def jobs_for(self, owner: str, group: str | None = None) -> list[Job]:
        """This owner's runs (of one group, if given), oldest first."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.owner == owner and group in (None, j.group)]
        return sorted(jobs, key=lambda j: j.created)

    def queue_position(self, job_id: str) -> int | None:
        """1 means next to start; None when the run is not waiting."""
        self._stale.sweep()
        with self._lock:
            return self._runs.position(job_id)

    def estimate_wait_s(self, job_id: str) -> float | None:
        """Rough seconds until a queued run starts.

        Assumes every run takes the average time of recent finished runs (a hint
        only); before any has finished, the runs training now stand in, each as
        long as its pace so far makes it. None when not waiting or nothing to go by.
        """
        with self._lock:
            return self._runs.wait_s(job_id, list(self._durations), self.slots, time.monotonic())

    def forget(self, job_id: str) -> bool:
        """Drop a run from memory. An active run is stopped first."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is None:
                return False
            if job.is_active:
                self._cancel_locked(job)
            return True

    def stats(self) -> dict[str, float]:
        """Counts for an admin line.

        running (incl. loading) and queued count computations, as do slots
        and threads; jobs counts the learners' active copies of them;
        stored and stored_mb describe the store of finished runs.
        """
        self._stale.sweep()
        with self._lock:
            return {
                **self._runs.counts(),
                "slots": self.slots,
                "threads": sum(1 for t in self._threads.values() if t.is_alive()),
                "jobs": sum(1 for j in self._jobs.values() if j.is_active),
            }

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop everything and wait up to ``timeout`` s for the runs' threads to end.

        Returns True when every run's thread has ended.
        """
        with self._lock:
            self._closed = True
            self._runs.stop_all()
            self._trim_finished_locked()
            threads = list(self._threads.values())
        self.runner.shutdown()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    # --------------------------------------------------------------- internals

    def _act(self, job_id: str, action: Callable[[Job], bool]) -> bool:
        """``action(job)`` under the lock, for an active run; False when there is none."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job is not None and job.is_active and action(job)

    def _cancel_locked(self, job: Job) -> bool:
        """A learner's Stop, or a stale page: see ``Computations.stop_following``."""
        self._runs.stop_following(job)
        self._trim_finished_locked()
        return True

    def _dispatch_locked(self) -> None:
        """Start queued runs while slots are free (FIFO).

        Stale runs are not swept here (a sweep asks ``owner_connected``, never
        under the lock): every caller sweeps just before.
        """
        if self._closed:
            return
        while self._runs.queue and len(self._threads) < self.slots:
            comp = self._runs.queue.popleft()
            comp.update(status=LOADING, started=time.time(), started_mono=time.monotonic())
            self.runner.slot_taken()
            thread = start_thread(self._run, comp)  # its run ends under our lock: not before we file it
            if thread is not None:
                self._threads[comp.id] = thread
                continue
            self.runner.slot_freed()  # the machine had no thread to spare: say so, free the slot
            self._runs.end(comp, ERROR, _BUSY)
            self._trim_finished_locked()

    def _run(self, comp: Computation) -> None:
        """Body of a run's thread: the runner trains it, then the slot goes to the next run."""
        status, error = ERROR, _CRASHED
        try:
            status, error = self.runner.run(comp, _Report(self, comp))
        except Exception:  # the run ends, the server must not
            logger.exception("Run %s crashed", comp.id)
        finally:
            self._finish(comp, status, error)

    def _finish(self, comp: Computation, status: str, error: str) -> None:
        size = self._runs.measure(comp, status)  # unlocked: it takes a while, and nothing is added now
        with self._lock:
            if status == DONE and comp.started_mono is not None:
                self._durations.append(comp.trained_s(time.monotonic()))
            self._threads.pop(comp.id, None)
            self._runs.end(comp, status, error, size)
            self._trim_finished_locked()
        self._stale.sweep(force=True)  # before the next run is picked: a stale queued run gets no slot
        with self._lock:
            self._dispatch_locked()  # the next run takes the slot before this one gives it back:
            self.runner.slot_freed()  # the runner sees no moment without a run in between

    def _trim_finished_locked(self) -> None:
        for job in oldest_finished(self._jobs.values(), keep=self.max_finished):
            del self._jobs[job.id]


class _Report:
    """The ``RunReport`` a runner gets for one computation: each call updates it and its followers under the lock."""

    def __init__(self, manager: JobManager, comp: Computation) -> None:
        self._manager = manager
        self._comp = comp

    def progress(self, fraction: float, message: str) -> None:
        with self._manager._lock:
            self._comp.update(progress=(fraction, message))
        self._manager._stale.sweep()

    def running(self) -> bool:
        with self._manager._lock:
            if self._comp.stop_event.is_set():
                return False
            self._comp.update(status=RUNNING)
            return True

    def view(self, view: dict | None) -> None:
        frame = None
        if view is not None and "frame" in view:  # a timeline moment: kept apart, in order
            view = dict(view)
            frame = view.pop("frame")
        with self._manager._lock:
            self._comp.update(view=view)
            if frame is not None:
                self._comp.add_frame(frame)

    def record(self, record: dict) -> None:
        with self._manager._lock:
            self._comp.add_record(record)
        self._manager._stale.sweep()

    def tick(self) -> None:
        self._manager._stale.sweep()

    def shared(self, how: str) -> None:
        with self._manager._lock:
            for job in self._comp.followers:
                job.shared_from = job.shared_from or how
