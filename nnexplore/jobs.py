"""Background training runs shared by every dashboard session.

The dashboard reruns its script on every widget change, so a run cannot live in
the script thread: it lives here, in a worker thread, and the page only reads
its record buffer. One ``JobManager`` serves the whole process (the dashboard
wraps it in ``st.cache_resource``). It has a fixed number of training slots
sized to the CPU, because a whole class opens the dashboard at once on a small
box: runs beyond the slots wait in a FIFO queue and the page shows their place.

Threads: exactly one per run that holds a slot. It is started when the run gets
its slot and ends with the run, so nothing lingers when the class goes home.
In process mode one timer thread also waits, while the server is idle, to stop
the training forkserver. There is no reaper thread; stale runs (tab closed,
page stopped sending heartbeats) are found whenever anything happens: a record
arrives, a run finishes, a run is submitted, or the page asks for stats or a
queue position.

Everything shared is guarded by one lock. Waiting is done by threads blocking
in ``join`` or in the training loop itself; nothing here busy-waits.

This module never imports streamlit (the core stays usable from the command
line and from tests).
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

logger = logging.getLogger(__name__)

QUEUED = "queued"
LOADING = "loading"
RUNNING = "running"
DONE = "done"
STOPPED = "stopped"
DIVERGED = "diverged"
ERROR = "error"

ACTIVE_STATUSES = frozenset({QUEUED, LOADING, RUNNING})
FINISHED_STATUSES = frozenset({DONE, STOPPED, DIVERGED, ERROR})

#: Finished runs kept in memory across all sessions; older ones are dropped.
MAX_FINISHED = 200
#: How many recent run durations feed the queue-wait estimate.
_DURATION_HISTORY = 50
#: Longest error message shown to a user.
_MAX_ERROR_CHARS = 300
#: Seconds without any run after which the training processes' forkserver is
#: stopped (setting: ``NNEXPLORE_WORKER_IDLE_S``). It holds a preloaded torch,
#: about 300 MB: an idle server gives that back, and the next run pays a few
#: seconds to start it again.
WORKER_IDLE_S = 60.0
#: A training process that has not ended this many seconds after Stop is killed.
STOP_GRACE_S = 10.0
#: A training process that sends nothing (no record, no progress) for this long
#: is taken for hung and killed. The largest allowed run takes about two minutes
#: in all and sends records throughout, so this is never a slow but healthy run.
SILENCE_LIMIT_S = 300.0


class TooManyRuns(Exception):
    """Raised by ``submit`` when a session already has too many active runs."""


def default_worker_idle_s() -> float:
    """``NNEXPLORE_WORKER_IDLE_S`` if set to a number ≥ 0, else ``WORKER_IDLE_S``."""
    raw = os.environ.get("NNEXPLORE_WORKER_IDLE_S", "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if 0 <= value < float("inf"):
            return value
        logger.warning("Ignoring NNEXPLORE_WORKER_IDLE_S=%r: it must be a number of seconds >= 0.", raw)
    return WORKER_IDLE_S


def default_slots() -> int:
    """Training slots: ``NNEXPLORE_SLOTS`` if set, else half the CPU cores.

    Half the cores because each run also uses intra-op threads, and the
    Streamlit server itself needs some CPU to keep pages responsive.
    """
    raw = os.environ.get("NNEXPLORE_SLOTS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value >= 1:
            return value
        logger.warning("Ignoring NNEXPLORE_SLOTS=%r: it must be a whole number >= 1.", raw)
    return max(1, (os.cpu_count() or 1) // 2)


class Job:
    """One training run: its settings, its state and its growing record buffer.

    Fields are written by the worker thread and read by page threads, always
    under the manager's lock (``records_since`` takes it for you). ``records``
    is append-only, so a page can keep a count and ask only for what is new.
    """

    def __init__(self, cfg: Any, session_id: str, label: str, lock: threading.Lock, group: str = "") -> None:
        self.id: str = secrets.token_hex(4)
        self.session_id = session_id
        self.cfg = cfg
        self.label = label
        self.group = group
        self.created: float = time.time()
        self.started: float | None = None
        self.finished: float | None = None
        self.status: str = QUEUED
        self.records: list[dict] = []
        self.error: str = ""
        self.view: dict | None = None
        self.progress: tuple[float, str] | None = None
        self.stop_event = threading.Event()
        self.last_seen: float = time.monotonic()
        self._lock = lock
        self._started_mono: float | None = None

    def touch(self) -> None:
        """Heartbeat: the page is still showing this run."""
        self.last_seen = time.monotonic()

    def records_since(self, n: int) -> list[dict]:
        """Copy of the records after the first ``n`` (safe while the run appends)."""
        with self._lock:
            return list(self.records[max(0, n) :])

    @property
    def is_active(self) -> bool:
        """True while queued, loading data or training."""
        return self.status in ACTIVE_STATUSES

    @property
    def last_record(self) -> dict | None:
        """The newest record, or None before the first one."""
        with self._lock:
            return self.records[-1] if self.records else None

    def __repr__(self) -> str:
        return f"Job(id={self.id!r}, session={self.session_id!r}, status={self.status!r})"


class JobManager:
    """Slots, FIFO queue, cancellation and heartbeats for training runs.

    ``train_fn(cfg, dataset=, stop=, on_record=)`` is a generator of records;
    ``dataset_fn(cfg, progress=)`` loads the data (in the worker, so a first
    MNIST download does not block the page); ``view_fn(model, dataset, cfg,
    record)`` optionally computes live pictures (decision grid, ...) while the
    run trains. The defaults are the real ``nnexplore`` functions.
    """

    def __init__(
        self,
        slots: int | None = None,
        heartbeat_timeout: float = 30.0,
        max_per_session: int = 4,
        train_fn: Callable[..., Iterable[dict]] | None = None,
        dataset_fn: Callable[..., Any] | None = None,
        view_fn: Callable[[Any, Any, Any, dict], dict | None] | None = None,
        processes: bool = False,
        worker_idle_s: float | None = None,
        stop_grace_s: float = STOP_GRACE_S,
        silence_limit_s: float = SILENCE_LIMIT_S,
        owner_connected: Callable[[str], bool] | None = None,
    ) -> None:
        if slots is None:
            slots = default_slots()
        if slots < 1:
            raise ValueError("slots must be at least 1")
        self.slots = int(slots)
        self.heartbeat_timeout = float(heartbeat_timeout)
        self.max_per_session = int(max_per_session)
        self._train_fn = train_fn
        self._dataset_fn = dataset_fn
        self._view_fn = view_fn
        self.processes = bool(processes)
        self.worker_idle_s = default_worker_idle_s() if worker_idle_s is None else float(worker_idle_s)
        self._idle_timer: threading.Timer | None = None
        self._idle_generation = 0
        #: Set each time an idle spell has stopped the forkserver; cleared when a new one is armed.
        self.workers_stopped = threading.Event()
        self.stop_grace_s = float(stop_grace_s)
        self.silence_limit_s = float(silence_limit_s)
        self._owner_connected = owner_connected
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._threads: dict[str, threading.Thread] = {}
        self._durations: deque[float] = deque(maxlen=_DURATION_HISTORY)
        self._torch_threads_set = False
        self._closed = False
        self.max_finished = MAX_FINISHED
        self._last_sweep = float("-inf")
        self._sweep_interval = min(0.25, self.heartbeat_timeout / 4)

    # ----------------------------------------------------------------- public

    def submit(self, cfg: Any, session_id: str, label: str = "", group: str = "") -> Job:
        """Queue a run; it starts as soon as a slot is free (maybe at once).

        ``session_id`` is whoever owns the run (the per-owner limit counts it);
        ``group`` is free text the caller files it under (the page it belongs to).
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("The job manager has been shut down.")
            self._sweep_stale_locked()
            active = sum(1 for j in self._jobs.values() if j.session_id == session_id and j.is_active)
            if active >= self.max_per_session:
                raise TooManyRuns(
                    f"You already have {self.max_per_session} runs training or waiting. "
                    "Stop one or wait for it to finish."
                )
            job = Job(cfg, session_id, label, self._lock, group)
            while job.id in self._jobs:  # 32 bits: collisions are rare, not impossible
                job.id = secrets.token_hex(4)
            self._jobs[job.id] = job
            self._queue.append(job)
            self._dispatch_locked()
            return job

    def prepare(self) -> None:
        """Start the training forkserver ahead of a run; cheap when it already runs.

        Pages that can start runs call this when drawn: a learner who opens
        one is about to press Train, and the forkserver needs a few seconds to
        import torch. If no run comes, it stops again after ``worker_idle_s``.
        """
        if not self.processes:
            return
        with self._lock:
            if self._closed or self._threads:  # while runs train, it is up anyway
                return
        with _starting_children(wait=False) as free:
            if not free:  # a run is starting, or the forkserver is stopping: not the page's job
                return
            _process_context()
        with self._lock:
            if not self._closed and not self._threads:
                self._start_idle_timer_locked()

    def cancel(self, job_id: str) -> bool:
        """Stop a run. Queued: gone at once. Running: stops within one batch.

        Returns False when there is no such active run.
        """
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.is_active:
                return False
            self._cancel_locked(job)
            return True

    def heartbeat(self, job_id: str) -> bool:
        """The page still shows this run. False if the manager no longer has it."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return False
            job.touch()
            self._sweep_stale_locked()
            return True

    def get(self, job_id: str) -> Job | None:
        """The run with this id, or None (unknown or forgotten)."""
        with self._lock:
            return self._jobs.get(job_id)

    def jobs_for(self, session_id: str, group: str | None = None) -> list[Job]:
        """This owner's runs (of one group, if given), oldest first."""
        with self._lock:
            jobs = [
                j
                for j in self._jobs.values()
                if j.session_id == session_id and (group is None or j.group == group)
            ]
        return sorted(jobs, key=lambda j: j.created)

    def queue_position(self, job_id: str) -> int | None:
        """1 means next to start; None when the run is not waiting."""
        with self._lock:
            self._sweep_stale_locked()
            for pos, job in enumerate(self._queue, start=1):
                if job.id == job_id:
                    return pos
            return None

    def estimate_wait_s(self, job_id: str) -> float | None:
        """Rough seconds until a queued run starts.

        Assumes every run takes the average time of recent finished runs, so it
        is only a hint. None when the run is not waiting or nothing has
        finished yet to average over.
        """
        with self._lock:
            if not self._durations:
                return None
            ids = [j.id for j in self._queue]
            if job_id not in ids:
                return None
            avg = sum(self._durations) / len(self._durations)
            now = time.monotonic()
            free_at = []
            for job in self._jobs.values():
                if job.status in (LOADING, RUNNING) and job._started_mono is not None:
                    free_at.append(max(0.0, avg - (now - job._started_mono)))
            free_at += [0.0] * max(0, self.slots - len(free_at))
            free_at.sort()
            start = 0.0
            for queued_id in ids[: ids.index(job_id) + 1]:
                start = free_at.pop(0)
                free_at.append(start + avg)
                free_at.sort()
                if queued_id == job_id:
                    break
            return start

    def forget(self, job_id: str) -> bool:
        """Drop a run from memory. An active run is stopped first."""
        with self._lock:
            job = self._jobs.pop(job_id, None)
            if job is None:
                return False
            if job.is_active:
                self._cancel_locked(job)
            return True

    def stats(self) -> dict[str, int]:
        """Counts for an admin line: running (incl. loading), queued, slots, threads."""
        with self._lock:
            self._sweep_stale_locked()
            running = sum(1 for j in self._jobs.values() if j.status in (LOADING, RUNNING))
            running += sum(  # forgotten but still winding down: they hold a slot
                1 for jid in self._threads if jid not in self._jobs
            )
            return {
                "running": running,
                "queued": len(self._queue),
                "slots": self.slots,
                "threads": sum(1 for t in self._threads.values() if t.is_alive()),
            }

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop everything and wait up to ``timeout`` s for the workers to end.

        Returns True when every worker thread has ended.
        """
        with self._lock:
            self._closed = True
            self._cancel_idle_timer_locked()
            for job in list(self._queue):
                self._cancel_locked(job)
            for job in self._jobs.values():
                if job.is_active:
                    job.stop_event.set()
            threads = list(self._threads.values())
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in threads)

    # --------------------------------------------------------------- internals

    def _running_count_locked(self) -> int:
        return len(self._threads)

    def _cancel_locked(self, job: Job) -> None:
        job.stop_event.set()
        if job.status == QUEUED:
            try:
                self._queue.remove(job)
            except ValueError:
                pass
            job.status = STOPPED
            job.finished = time.time()
            self._trim_finished_locked()

    def _is_stale(self, job: Job, now: float) -> bool:
        """No heartbeat for ``heartbeat_timeout`` s, and no page of its owner still connected.

        The second half guards against a page that is open but busy or stalled
        (an overloaded browser, a page whose timers stopped): its run goes on,
        and the page shows it once it catches up. A closed tab is not connected.
        """
        if now - job.last_seen <= self.heartbeat_timeout:
            return False
        if self._owner_connected is None:
            return True
        try:
            return not self._owner_connected(job.session_id)
        except Exception:  # a broken check must not keep runs alive for ever, nor crash the sweep
            logger.exception("owner_connected failed; going by heartbeats alone")
            return True

    def _sweep_stale_locked(self, force: bool = False) -> None:
        """Cancel runs whose page stopped sending heartbeats (tab closed).

        Called from many places (every record, every page poll), so it is
        throttled: a scan costs O(runs) and the timeout is seconds anyway.
        """
        now = time.monotonic()
        if not force and now - self._last_sweep < self._sweep_interval:
            return
        self._last_sweep = now
        for job in list(self._jobs.values()):
            if job.is_active and not job.stop_event.is_set() and self._is_stale(job, now):
                logger.info(
                    "Run %s: no heartbeat for %.1f s, stopping it.",
                    job.id,
                    now - job.last_seen,
                )
                self._cancel_locked(job)

    def _dispatch_locked(self) -> None:
        """Start queued runs while slots are free (FIFO)."""
        if self._closed:
            return
        self._sweep_stale_locked(force=True)
        while self._queue and self._running_count_locked() < self.slots:
            self._cancel_idle_timer_locked()
            job = self._queue.popleft()
            job.status = LOADING
            job.started = time.time()
            job._started_mono = time.monotonic()
            self._set_torch_threads_locked()
            thread = threading.Thread(
                target=self._worker,
                args=(job,),
                name=f"nnexplore-run-{job.id}",
                daemon=True,
            )
            self._threads[job.id] = thread
            try:
                thread.start()
            except RuntimeError:  # the machine has no thread to spare: say so, free the slot
                logger.exception("Run %s: could not start its thread", job.id)
                del self._threads[job.id]
                job.status, job.error, job.finished = ERROR, _BUSY, time.time()

    def _set_torch_threads_locked(self) -> None:
        """One torch thread per run, set once.

        The networks here are small: a second intra-op thread buys little, and
        on a shared box (other slots, the server drawing pages) OpenMP threads
        spin-wait for busy cores. Measured on 2 loaded cores: a 20-epoch moons
        run took 9.4 s with 2 torch threads and 1.3 s with 1.
        """
        if self._torch_threads_set:
            return
        self._torch_threads_set = True
        try:
            import torch
        except ImportError:  # fake train functions in tests need no torch
            return
        torch.set_num_threads(1)

    def _trim_finished_locked(self) -> None:
        finished = [j for j in self._jobs.values() if not j.is_active]
        extra = len(finished) - self.max_finished
        if extra > 0:
            finished.sort(key=lambda j: j.finished or j.created)
            for job in finished[:extra]:
                del self._jobs[job.id]

    def _resolve_fns(self) -> tuple[Callable[..., Any], Callable[..., Iterable[dict]]]:
        dataset_fn = self._dataset_fn
        if dataset_fn is None:
            from nnexplore.data import load_dataset

            dataset_fn = load_dataset
        train_fn = self._train_fn
        if train_fn is None:
            from nnexplore.training import train

            train_fn = train
        return dataset_fn, train_fn

    def _worker(self, job: Job) -> None:
        """Body of a run's thread: load data, train, record, finish."""
        status = ERROR
        error = ""
        try:
            status, error = self._run(job)
        except Exception:  # the run ends, the server must not
            logger.exception("Run %s crashed", job.id)
            status, error = ERROR, "The run failed because of an unexpected error."
        finally:
            self._finish(job, status, error)

    def _run(self, job: Job) -> tuple[str, str]:
        if self.processes:
            return self._run_in_process(job)
        try:
            dataset_fn, train_fn = self._resolve_fns()
        except ImportError:
            logger.exception("Run %s: training code could not be loaded", job.id)
            return ERROR, "The training code could not be loaded on this server."

        def progress(*args: Any, **kwargs: Any) -> None:
            fraction, message = _parse_progress(args, kwargs)
            with self._lock:
                job.progress = (fraction, message)
                self._sweep_stale_locked()

        try:
            dataset = dataset_fn(job.cfg, progress=progress)
        except Exception as exc:  # shown to the user in plain words
            logger.warning("Run %s: dataset failed: %s", job.id, exc, exc_info=True)
            return ERROR, _short(str(exc)) or "The data set could not be loaded."

        with self._lock:
            if job.stop_event.is_set():
                return STOPPED, ""
            job.status = RUNNING

        view_fn = self._view_fn
        view_broken = False

        def on_record(model: Any, record: dict) -> None:
            nonlocal view_broken
            if view_fn is not None and not view_broken:
                try:
                    view = view_fn(model, dataset, job.cfg, record)
                except Exception:  # a broken picture must not kill the run
                    logger.exception("Run %s: live view failed; showing no live view", job.id)
                    view_broken = True
                    view = None
                with self._lock:
                    job.view = view

        last: dict | None = None
        try:
            for record in train_fn(job.cfg, dataset=dataset, stop=job.stop_event, on_record=on_record):
                last = record
                with self._lock:
                    job.records.append(record)
                    self._sweep_stale_locked()
        except Exception as exc:  # reported to the user, logged in full
            logger.exception("Run %s: training failed", job.id)
            message = _short(str(exc))
            return (
                ERROR,
                f"Training failed: {message}" if message else "Training failed.",
            )

        final = (last or {}).get("status")
        if final in (DONE, STOPPED, DIVERGED):
            return final, ""
        return (STOPPED if job.stop_event.is_set() else DONE), ""

    def _run_in_process(self, job: Job) -> tuple[str, str]:
        """Train in a child process (nnexplore.worker) and relay what it sends into the Job."""
        from nnexplore import worker

        with _starting_children():
            ctx = _process_context()  # the first run after an idle spell starts the forkserver
            receive, send = ctx.Pipe(duplex=False)
            stop = StopFlag(ctx)
            proc = ctx.Process(
                target=worker.run_in_child,
                args=(job.cfg, send, stop, self._view_fn),
                name=f"nnexplore-run-{job.id}",
                daemon=True,
            )
            proc.start()
        send.close()
        last: dict | None = None
        heard = time.monotonic()
        stop_asked: float | None = None
        try:
            while True:
                if job.stop_event.is_set() and stop_asked is None:
                    stop.set()
                    stop_asked = time.monotonic()
                if not receive.poll(0.2):
                    with self._lock:
                        self._sweep_stale_locked()
                    if not proc.is_alive() and not receive.poll():
                        return ERROR, _DIED
                    now = time.monotonic()
                    if stop_asked is not None and now - stop_asked > self.stop_grace_s:
                        logger.warning(
                            "Run %s: Stop ignored for %.0f s; ending the process", job.id, now - stop_asked
                        )
                        return STOPPED, ""
                    if now - heard > self.silence_limit_s:
                        logger.warning("Run %s: nothing for %.0f s; ending the process", job.id, now - heard)
                        return ERROR, _SILENT
                    continue
                heard = time.monotonic()
                try:
                    kind, payload = receive.recv()
                except EOFError:
                    return ERROR, _DIED
                with self._lock:
                    if kind == "progress":
                        job.progress = _parse_progress(tuple(payload), {})
                    elif kind == "running":
                        if not job.stop_event.is_set():
                            job.status = RUNNING
                    elif kind == "view":
                        job.view = payload
                    elif kind == "record":
                        last = payload
                        job.records.append(payload)
                    self._sweep_stale_locked()
                if kind == "error":
                    return ERROR, _short(payload)
                if kind == "end":
                    break
        finally:
            stop.set()
            proc.join(2)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            receive.close()
        final = (last or {}).get("status")
        if final in (DONE, STOPPED, DIVERGED):
            return final, ""
        return (STOPPED if job.stop_event.is_set() else DONE), ""

    def _finish(self, job: Job, status: str, error: str) -> None:
        with self._lock:
            job.status = status
            job.error = error
            job.finished = time.time()
            if status == DONE and job._started_mono is not None:
                self._durations.append(time.monotonic() - job._started_mono)
            self._threads.pop(job.id, None)
            self._trim_finished_locked()
            self._dispatch_locked()
            if self.processes and not self._threads:
                self._start_idle_timer_locked()

    def _start_idle_timer_locked(self) -> None:
        """Stop the forkserver if no run starts within ``worker_idle_s``.

        A timer thread, not a reaper: it exists only while the server is idle
        after a run, and a new run cancels it.
        """
        self._cancel_idle_timer_locked()
        self.workers_stopped.clear()
        timer = threading.Timer(self.worker_idle_s, self._stop_workers_if_idle, args=(self._idle_generation,))
        timer.name = "nnexplore-worker-idle"
        timer.daemon = True
        self._idle_timer = timer
        timer.start()

    def _cancel_idle_timer_locked(self) -> None:
        self._idle_generation += 1  # a timer already firing sees it is out of date
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def _stop_workers_if_idle(self, generation: int) -> None:
        """The idle timer fired: stop the forkserver unless a run came meanwhile.

        Holds the child-start lock, not the manager lock, while the forkserver
        exits: pages keep being served, and a run dispatched meanwhile waits to
        start its child, then finds the forkserver gone and starts a new one.
        """
        with _starting_children():
            with self._lock:
                if self._threads or generation != self._idle_generation:
                    return
                self._idle_timer = None
            stop_process_context()
            self.workers_stopped.set()


_DIED = "The training process ended unexpectedly (it may have run out of memory). Try a smaller run."
_SILENT = "The training process stopped responding, so it was ended. Press Train to try again."
_BUSY = "The server is too busy to start this run right now. Try again in a moment."
_CONTEXT: Any = None


def _process_context() -> Any:
    """A forkserver that has imported the training code: children start in milliseconds."""
    global _CONTEXT
    from multiprocessing import forkserver

    if _CONTEXT is None:
        import multiprocessing

        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["nnexplore.forkserver_preload"])
        _CONTEXT = ctx
    forkserver.ensure_running()  # started on first use; again after stop_process_context()
    return _CONTEXT


def forkserver_pid() -> int | None:
    """The forkserver's process id while it runs, else None (for tests and measurements)."""
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def stop_process_context() -> None:
    """Stop the forkserver and give its memory back; the next run starts a new one.

    Uses ``_stop``, the hook CPython's own tests use; where a Python lacks it,
    the forkserver simply stays.
    """
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None and forkserver_pid() is not None:
        stop()
        logger.info("No runs for a while: stopped the training forkserver.")


class StopFlag:
    """Stop flag shared with a training process, without a lock.

    A ``multiprocessing.Event`` takes a lock that a child killed at the wrong
    moment leaves held for ever, and the server's next ``set()`` would then hang.
    One shared byte, written by the server and read by the child, cannot.
    """

    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def is_set(self) -> bool:
        return bool(self._value.value)


@contextlib.contextmanager
def _starting_children(wait: bool = True) -> Iterator[bool]:
    """Hold the lock for starting a child or stopping the forkserver; yields False if it is not free.

    (The children do not import the server's ``__main__``, the dashboard
    script: see nnexplore.forkserver_preload.)
    """
    if not _START_LOCK.acquire(blocking=wait):
        yield False
        return
    try:
        yield True
    finally:
        _START_LOCK.release()


_START_LOCK = threading.Lock()


def _parse_progress(args: tuple, kwargs: dict) -> tuple[float, str]:
    """Accept ``(fraction, message)``, ``(message,)`` or keywords from a loader."""
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


def _short(text: str) -> str:
    """First line of a message, capped, so no traceback reaches a page."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    if len(line) > _MAX_ERROR_CHARS:
        line = line[: _MAX_ERROR_CHARS - 1] + "…"
    return line
