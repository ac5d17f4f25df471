"""Every workaround for CPython's multiprocessing that the training processes need, in one place.

Tested on CPython 3.11 (3.11.7), on Linux. It leans on internals of
``multiprocessing.forkserver`` that are not public API:

- ``forkserver._forkserver._forkserver_pid``: whether the forkserver runs
  (``forkserver_pid``), for the idle stop and for tests;
- ``forkserver._forkserver._stop()``: stops it and gives its memory back, the
  hook CPython's own tests use (``stop_process_context``); where a Python
  lacks it, the forkserver simply stays;
- ``multiprocessing.spawn._fixup_main_from_path`` / ``_from_name``: replaced
  in the forkserver so no child imports the server's ``__main__`` (see
  nnexplore.runs.forkserver_preload);
- ``forkserver.main`` ignores the ``sys_path`` it is handed (3.11) and skips a
  preload module it cannot import without a word: the package's root goes on
  ``PYTHONPATH`` for it (``_let_the_forkserver_import_the_package``).

It also holds the two things a forkserver forces on its users: one lock for
starting a child or stopping the forkserver (a child started while the
forkserver exits gets a dead socket), and a stop flag and a pause flag without a
lock (a child killed at the wrong moment would leave a ``multiprocessing.Event``'s
lock held). ``IdleStop`` stops the forkserver when no run has needed it for a while.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from nnexplore.runs.environment import env_number

logger = logging.getLogger(__name__)

#: Seconds without any run after which the forkserver is stopped (setting:
#: ``NNEXPLORE_WORKER_IDLE_S``). It holds a preloaded torch, about 300 MB: an
#: idle server gives that back, and the next run pays a few seconds to start it again.
WORKER_IDLE_S = 60.0
#: What the forkserver imports before it forks anything.
PRELOAD = "nnexplore.runs.forkserver_preload"

#: The folder that holds the nnexplore package (it is run from a checkout, not installed).
PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])

_CONTEXT: Any = None
_START_LOCK = threading.Lock()


def default_worker_idle_s() -> float:
    """``NNEXPLORE_WORKER_IDLE_S`` if set to a number ≥ 0, else ``WORKER_IDLE_S``."""
    return env_number("NNEXPLORE_WORKER_IDLE_S", WORKER_IDLE_S)


def process_context() -> Any:
    """A forkserver context whose server has imported the training code: children start in milliseconds.

    Starts the forkserver if it is not running (first use, or after
    ``stop_process_context``). Call it holding ``starting_children``.
    """
    global _CONTEXT
    from multiprocessing import forkserver

    if _CONTEXT is None:
        import multiprocessing

        _let_the_forkserver_import_the_package()
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([PRELOAD])
        _CONTEXT = ctx
    forkserver.ensure_running()
    return _CONTEXT


def _let_the_forkserver_import_the_package() -> None:
    """Put the package's root on ``PYTHONPATH``, which the forkserver and its children inherit.

    The forkserver is a fresh ``python -c`` whose ``sys.path`` holds the working
    directory only (none at all under ``python -P``), not the folder Streamlit
    added for the dashboard. Started from another folder, its preload import
    failed silently: no torch, no training code loaded, and every child then
    imported torch itself and ran the whole dashboard script outside Streamlit
    before training (seen as "missing ScriptRunContext" warnings in the log, and
    a class's runs timing out).
    """
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if PACKAGE_ROOT not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT, *paths])


def forkserver_pid() -> int | None:
    """The forkserver's process id while it runs, else None (for tests and measurements)."""
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)


def stop_process_context() -> None:
    """Stop the forkserver and give its memory back; the next run starts a new one.

    Call it holding ``starting_children``.
    """
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None and forkserver_pid() is not None:
        stop()
        logger.info("No runs for a while: stopped the training forkserver.")


@contextlib.contextmanager
def starting_children(wait: bool = True) -> Iterator[bool]:
    """Hold the lock for starting a child or stopping the forkserver; yields False if it is not free."""
    if not _START_LOCK.acquire(blocking=wait):
        yield False
        return
    try:
        yield True
    finally:
        _START_LOCK.release()


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


class PauseFlag:
    """Pause shared with a training process, without a lock, for the reason StopFlag has none.

    Two shared numbers, written by the server only (``copy``, from the computation's
    nnexplore.runs.pause.PauseState) and read by the child (nnexplore.runs.pause.Hold):
    whether the run is paused, and how many Steps it has been given. A Step is a count, not a
    third state that the child would set back to "paused" once used: a child that wrote the
    flag could overwrite a Resume the server wrote meanwhile.
    """

    def __init__(self, ctx: Any) -> None:
        self._paused = ctx.RawValue("b", 0)
        self._steps = ctx.RawValue("i", 0)

    def copy(self, state: Any) -> None:
        """Show the child ``state``'s ``paused`` and ``steps``."""
        self._steps.value = state.steps
        self._paused.value = int(state.paused)

    @property
    def paused(self) -> bool:
        return bool(self._paused.value)

    @property
    def steps(self) -> int:
        return int(self._steps.value)


class IdleStop:
    """Stops the forkserver once no run has needed it for ``idle_s`` seconds.

    ``busy`` and ``free`` count the runs that hold a slot. When the count falls
    to zero (or ``prepare`` started the forkserver for a run that may not
    come), one timer thread waits; a run that starts meanwhile cancels it.
    No reaper thread: the timer exists only during an idle spell.

    ``stopped`` is set each time an idle spell has really stopped the
    forkserver, and cleared whenever a new idle timer is armed.
    """

    def __init__(self, idle_s: float | None = None) -> None:
        self.idle_s = default_worker_idle_s() if idle_s is None else float(idle_s)
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._busy = 0
        self._closed = False
        self._timer: threading.Timer | None = None
        self._generation = 0

    def prepare(self) -> None:
        """Start the forkserver ahead of a run unless runs keep it up anyway; it stops again if none comes."""
        with self._lock:
            if self._closed or self._busy:  # while runs train, it is up anyway
                return
        with starting_children(wait=False) as free:
            if not free:  # a run is starting, or the forkserver is stopping: not the page's job
                return
            process_context()
        with self._lock:
            if not self._closed and not self._busy:
                self._arm_locked()

    def busy(self) -> None:
        """A run took a slot: the forkserver is needed."""
        with self._lock:
            self._busy += 1
            self._cancel_locked()

    def free(self) -> None:
        """A run gave its slot back; the last one arms the idle timer (after ``close`` too)."""
        with self._lock:
            self._busy = max(0, self._busy - 1)
            if not self._busy:
                self._arm_locked()

    def close(self) -> None:
        """No more prepared starts; a pending idle timer is cancelled."""
        with self._lock:
            self._closed = True
            self._cancel_locked()

    def _arm_locked(self) -> None:
        self._cancel_locked()
        self.stopped.clear()
        timer = threading.Timer(self.idle_s, self._stop_if_idle, args=(self._generation,))
        timer.name = "nnexplore-forkserver-idle"
        timer.daemon = True
        self._timer = timer
        timer.start()

    def _cancel_locked(self) -> None:
        self._generation += 1  # a timer already firing sees it is out of date
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _stop_if_idle(self, generation: int) -> None:
        """The idle timer fired: stop the forkserver unless a run came meanwhile.

        Holds the child-start lock, not this object's lock, while the
        forkserver exits: a run that takes a slot meanwhile waits to start its
        child, then finds the forkserver gone and starts a new one.
        """
        with starting_children():
            with self._lock:
                if self._busy or generation != self._generation:
                    return
                self._timer = None
            stop_process_context()
            self.stopped.set()
