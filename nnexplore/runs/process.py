"""The dashboard's back end: each run trains in a child process and sends everything back over a pipe.

Processes, not threads: a training loop releases Python's GIL inside every
torch op and has to take it back afterwards, and on a server whose threads are
busy drawing pages for a whole class, every take-back waits. Measured on 2
cores: a toy run started from an open page trained at 0.17× its headless speed
as a thread. A process has its own interpreter and no such wait.

Children are forked from a forkserver that has already imported the training
code (nnexplore.runs.forkserver), so a run starts in tens of milliseconds;
what runs in the child is nnexplore.runs.child. The run's thread in the
server (the manager's) relays what the child sends into the Job, passes Stop
and Pause to the child, and ends a child that ignores Stop or falls silent
(a paused child is not silent: nnexplore.runs.pause).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from nnexplore.runs.forkserver import IdleStop, PauseFlag, StopFlag, process_context, starting_children
from nnexplore.runs.job import ERROR, STOPPED, Job
from nnexplore.runs.runner import Runner, RunReport, pass_on

logger = logging.getLogger(__name__)

#: A training process that has not ended this many seconds after Stop is killed.
STOP_GRACE_S = 10.0
#: A training process that sends nothing (no record, no progress) for this long
#: is taken for hung and killed. The largest allowed run takes about two minutes
#: in all and sends records throughout, so this is never a slow but healthy run.
SILENCE_LIMIT_S = 300.0
#: How long the relay waits on the pipe before it checks Stop, the child and the clock.
POLL_S = 0.2

_DIED = "The training process ended unexpectedly (it may have run out of memory). Try a smaller run."
_SILENT = "The training process stopped responding, so it was ended. Press Train to try again."


class ProcessRunner(Runner):
    """Trains each run in a child of the training forkserver.

    ``view_fn(model, dataset, cfg, record)`` runs in the child at record points
    (a few times a second at most) and returns the run's live snapshot; it
    must be importable by name (it is pickled to the child). Give it as a
    name, ``"package.module:function"``, to keep its module out of the server:
    the dashboard's (nnexplore.snapshots) imports torch. ``worker_idle_s``:
    how long the forkserver waits for a run before it stops
    (``NNEXPLORE_WORKER_IDLE_S`` when None). ``workers_stopped`` is set when an
    idle spell has stopped the forkserver, cleared when a new one begins.
    """

    def __init__(
        self,
        view_fn: Callable[[Any, Any, Any, dict], dict | None] | str | None = None,
        worker_idle_s: float | None = None,
        stop_grace_s: float = STOP_GRACE_S,
        silence_limit_s: float = SILENCE_LIMIT_S,
    ) -> None:
        self._view_fn = view_fn
        self._idle = IdleStop(worker_idle_s)
        self.workers_stopped = self._idle.stopped
        self.stop_grace_s = float(stop_grace_s)
        self.silence_limit_s = float(silence_limit_s)

    def prepare(self) -> None:
        """Start the forkserver ahead of a run: it needs a few seconds to import torch."""
        self._idle.prepare()

    def slot_taken(self) -> None:
        self._idle.busy()

    def slot_freed(self) -> None:
        self._idle.free()

    def shutdown(self) -> None:
        self._idle.close()

    def run(self, job: Job, report: RunReport) -> tuple[str, str]:
        """Start the child, relay what it sends into ``report``, and see that it ends."""
        with starting_children():
            ctx = process_context()  # the first run after an idle spell starts the forkserver
            receive, send = ctx.Pipe(duplex=False)
            stop, pause = StopFlag(ctx), PauseFlag(ctx)
            proc = ctx.Process(
                target=_run_in_child,
                args=(job.cfg, send, stop, self._view_fn, pause),
                name=f"nnexplore-run-{job.id}",
                daemon=True,
            )
            proc.start()
        send.close()
        try:
            return self._relay(job, report, proc, receive, stop, pause)
        finally:
            stop.set()
            proc.join(2)
            if proc.is_alive():
                proc.kill()
                proc.join(5)
            receive.close()

    def _relay(
        self, job: Job, report: RunReport, proc: Any, receive: Any, stop: StopFlag, pause: PauseFlag
    ) -> tuple[str, str]:
        """Pass what the child sends on until it ends; end it ourselves if it ignores Stop or falls silent.

        A paused child sends nothing by design: silence is counted from when it was last heard
        or last paused, never while it is paused (the pause limit ends a run paused too long).
        """
        last: dict | None = None
        heard = time.monotonic()
        stop_asked: float | None = None
        while True:
            pause.copy(job.pause)  # at least every POLL_S: Pause, Resume and Step reach the child
            if job.pause.paused:
                heard = time.monotonic()
            if job.stop_event.is_set() and stop_asked is None:
                stop.set()
                stop_asked = time.monotonic()
            if not receive.poll(POLL_S):
                report.tick()
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
                message = receive.recv()
            except EOFError:
                return ERROR, _DIED
            last, ended = pass_on(message, report, last, job.stop_event.is_set())
            if ended is not None:
                return ended


def _run_in_child(*args: Any) -> None:
    """A training process's entry point: nnexplore.runs.child.run_in_child, named from this module.

    The server pickles the target by name, and naming the child module there would import it,
    and with it torch (about 1 s of a one-core box and 150 MB the server does not need). The
    forkserver has that module loaded already, so this import costs a child nothing.
    """
    from nnexplore.runs import child

    child.run_in_child(*args)
