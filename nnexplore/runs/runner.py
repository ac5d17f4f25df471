"""What the job manager asks of an execution back end, and what it offers one in return.

The manager owns the queue, the slots and one thread per run that holds a
slot; a back end (``Runner``) does the training itself, inside that thread:
the dashboard's in child processes (nnexplore.runs.process), the tests' also
in the thread (tests/thread_runner.py). Splitting it so keeps every rule about
slots, heartbeats and stale runs in one place whatever trains the run.

A back end never takes the manager's lock: it tells the manager what happened
through a ``RunReport``, whose every call takes the lock briefly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

from nnexplore.runs.job import ERROR, Job, end_status, parse_progress, short_message


class RunReport(Protocol):
    """The manager's side of one run, handed to ``Runner.run``; each call is short and thread-safe."""

    def progress(self, fraction: float, message: str) -> None:
        """The data set is loading: ``fraction`` in [0, 1] and a line for the page."""

    def running(self) -> bool:
        """The data is loaded and training starts. False when Stop came meanwhile: end the run then."""

    def view(self, view: dict | None) -> None:
        """A new snapshot of the model for the live charts (None: no snapshot any more).

        A snapshot with a ``"frame"`` key (nnexplore.moments.frame_of) also holds a moment of
        the run's timeline: the frame is taken off the snapshot and appended to ``Job.timeline``.
        """

    def record(self, record: dict) -> None:
        """A training record, in order."""

    def tick(self) -> None:
        """Nothing new for a while: lets the manager look for stale runs meanwhile."""

    def shared(self, how: str) -> None:
        """The back end found this run already asked for elsewhere (nnexplore.runs.job.JOINED) or
        trained before (STORED): the learners who follow it are told so, as for a run shared
        within this server. Only a back end shared by several servers calls it (a Ray cluster)."""


class Runner(ABC):
    """An execution back end for ``JobManager``.

    ``run`` is the only method a back end must have. The others are hooks
    around it for back ends that keep something warm between runs (the
    forkserver); the manager calls ``slot_taken`` and ``slot_freed`` while
    holding its lock, so they must be quick and must not call the manager.
    """

    @abstractmethod
    def run(self, job: Job, report: RunReport) -> tuple[str, str]:
        """Load the data and train ``job.cfg`` to the end, reporting as it goes; blocks until then.

        Stop is ``job.stop_event``: honour it within about a second. Returns
        the final status and, for ``error``, a plain-words message for the
        page. May raise: the manager then ends the run as an error.
        """

    def prepare(self) -> None:  # noqa: B027  (a hook: nothing to do unless a back end keeps something warm)
        """A run is likely soon and none is training: get ready now if that takes long."""

    def slot_taken(self) -> None:  # noqa: B027
        """A run got a slot and is about to call ``run`` (under the manager's lock)."""

    def slot_freed(self) -> None:  # noqa: B027
        """A run's ``run`` has returned and its slot is free (under the manager's lock)."""

    def shutdown(self) -> None:  # noqa: B027
        """The manager is shutting down: no run will come any more."""


def pass_on(
    message: tuple[str, Any], report: RunReport, last: dict | None, stop_asked: bool
) -> tuple[dict | None, tuple[str, str] | None]:
    """One message of a training process (nnexplore.runs.child sends them) into ``report``.

    Returns the run's last record so far (``last``, or this message's record), and (status,
    error) when this message ends the run, else None. ``stop_asked``: whether Stop came, which
    decides how a run whose loop returned without a last word ended. A message of a kind not
    listed here (a placeholder, nnexplore.runs.ray_registry.SKIPPED) is passed over.
    """
    kind, payload = message
    if kind == "progress":
        report.progress(*parse_progress(tuple(payload), {}))
    elif kind == "running":
        report.running()  # a Stop during loading is already on its way to the training side
    elif kind == "view":
        report.view(payload)
    elif kind == "record":
        report.record(payload)
        return payload, None
    elif kind == "error":
        return last, (ERROR, short_message(str(payload)))
    elif kind == "end":
        return last, (end_status(last, stop_asked), "")
    return last, None
