"""What a Ray worker runs for one training run: the child process's work, streamed back as a generator.

The task runs exactly what a training process runs (nnexplore.runs.child.run_in_child),
so the same seed gives the same records, on a thread of the worker, and yields what that
code would have sent over its pipe: ("progress", …), ("running", None), ("view", …),
("record", …), and last ("end", None) or ("error", message). Messages that arrive together
are yielded together, as one list: a toy run sends a few hundred of them, and each item of a
streaming generator is an object of the cluster's.

Stop, Pause and Step come from the cluster's registry of runs (nnexplore.runs.ray_registry):
a thread of the task asks it every CONTROL_EVERY_S, and the training code reads the answer
through the same two small objects the child process reads its shared flags through.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from typing import Any

#: Seconds between the task's questions to the registry (Stop, Pause, Step): a Stop is seen
#: within this, then the run ends at its next batch, well within the second Stop is allowed.
CONTROL_EVERY_S = 0.2
#: A registry that has not answered for this long is taken for gone: the run stops.
CONTROL_TIMEOUT_S = 10.0


class Control:
    """Stop, Pause and Step of one run, as the registry last said, refreshed by a thread.

    ``is_set()`` is Stop (a nnexplore.runs.forkserver.StopFlag's reading); ``paused`` and
    ``steps`` are a PauseFlag's (nnexplore.runs.pause.Hold reads them).
    """

    def __init__(self, registry: Any, run_id: str) -> None:
        self._registry = registry
        self._run_id = run_id
        self._stop = threading.Event()
        self.paused = False
        self.steps = 0
        self._thread = threading.Thread(target=self._follow, name=f"nnexplore-control-{run_id}", daemon=True)
        self._thread.start()

    def is_set(self) -> bool:
        return self._stop.is_set()

    def set(self) -> None:
        self._stop.set()

    def _follow(self) -> None:
        import ray

        while not self._stop.is_set():
            try:
                stop, paused, steps = ray.get(
                    self._registry.control.remote(self._run_id), timeout=CONTROL_TIMEOUT_S
                )
            except Exception:  # the registry is gone or stuck: nobody can watch this run any more
                self._stop.set()
                return
            self.steps, self.paused = steps, paused
            if stop:
                self._stop.set()
                return
            self._stop.wait(CONTROL_EVERY_S)


class _QueuePipe:
    """The end of a pipe that run_in_child writes to, backed by a queue the task reads."""

    def __init__(self) -> None:
        self.messages: queue.SimpleQueue = queue.SimpleQueue()

    def send(self, message: tuple[str, Any]) -> None:
        self.messages.put(message)

    def close(self) -> None:
        self.messages.put(None)


def train_stream(
    cfg: Any, view_fn: Any, registry: Any, run_id: str, settings: dict[str, str]
) -> Iterator[list[tuple[str, Any]]]:
    """Train ``cfg`` on this worker and yield its messages in order, in lists (see the module docstring).

    ``settings``: the asking server's ``NNEXPLORE_*`` settings (where data comes from and is
    kept, nnexplore.data), set here first: a worker has the environment of the machine it runs
    on, not the server's.

    Whatever ends the generator (the run's end, or Ray cancelling the task), Stop is set and
    the training thread is given a moment to end: a worker is reused for the next task.
    """
    from nnexplore.runs.child import run_in_child

    os.environ.update(settings)
    control = Control(registry, run_id)
    pipe = _QueuePipe()
    worker = threading.Thread(
        target=run_in_child,
        args=(cfg, pipe, control, view_fn, control),
        name=f"nnexplore-train-{run_id}",
        daemon=True,
    )
    worker.start()
    try:
        while True:
            batch = [pipe.messages.get()]
            while True:
                try:
                    batch.append(pipe.messages.get_nowait())
                except queue.Empty:
                    break
            ended = None in batch
            batch = [m for m in batch if m is not None]
            if batch:
                yield batch
            if ended:
                return
    finally:
        control.set()
        worker.join(5)
