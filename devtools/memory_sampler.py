"""The load test's memory sampler: a server's memory over time, and the runs it trained (devtools.procmem).

A thread samples the server's RSS and the PSS of its whole tree; a second one
counts the training processes the forkserver forks, which can live shorter
than a sample. Both only read /proc.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time

from devtools import procmem


class MemorySampler:
    """Samples the server's memory every ``interval`` s: its own RSS, and PSS summed with its children.

    The children are the forkserver and the training processes it forks: on
    the Cloud box they share the app's memory limit, so they count. PSS, not
    RSS, for the sum: those processes share torch's pages (see procmem). Every
    descendant ever seen is remembered, so that anything left over can be
    stopped at the end (``stop_leftovers``).

    A toy run can train for less than one interval, so the runs trained are
    also counted every WATCH_S from the forkserver's list of its children
    (one small read of /proc, where a memory sample walks all of it).
    """

    #: How often the forkserver's children are read: a training process lives 50 ms at the least.
    WATCH_S = 0.01

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_server_kb = 0
        self.peak_total_kb = 0
        self.last_server_kb = 0
        self.last_total_kb = 0
        self.training_processes = 0
        self.most_training = 0  # training processes alive at once, at most: runs spread over slots
        self.trained: set[int] = set()  # every training process seen: one per run trained
        self.seen: dict[int, int] = {}
        self.forkserver: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="loadtest-memory", daemon=True)
        self._watch = threading.Thread(target=self._watch_training, name="loadtest-runs", daemon=True)

    def start(self) -> MemorySampler:
        self._thread.start()
        self._watch.start()
        return self

    def sample(self) -> None:
        children = procmem.descendants(self.pid)
        self.seen.update(children)
        reading = procmem.tree_memory(self.pid)
        self.last_server_kb = reading.root_rss_kb
        self.last_total_kb = reading.total_pss_kb
        self.forkserver = procmem.forkserver(self.pid, children)
        training = procmem.training_processes(self.pid, children)
        self.training_processes = len(training)
        self.most_training = max(self.most_training, self.training_processes)
        self.trained.update(training)
        self.peak_server_kb = max(self.peak_server_kb, self.last_server_kb)
        self.peak_total_kb = max(self.peak_total_kb, self.last_total_kb)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def _watch_training(self) -> None:
        """The forkserver's children every WATCH_S (Linux's /proc/<pid>/task/<pid>/children)."""
        while not self._stop.wait(self.WATCH_S):
            forkserver = self.forkserver
            if forkserver is None:
                continue
            try:
                with open(f"/proc/{forkserver}/task/{forkserver}/children") as f:
                    self.trained.update(int(pid) for pid in f.read().split())
            except OSError:  # the forkserver has just stopped, or this kernel has no such file
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        if self._watch.is_alive():
            self._watch.join(5)

    def note_children(self) -> None:
        """Remember the server's descendants now (call it just before the server is stopped)."""
        with contextlib.suppress(Exception):
            self.seen.update(procmem.descendants(self.pid))

    def stop_leftovers(self) -> None:
        """Kill the server's descendants that outlived it (only if still the very same processes:
        a pid may have been reused since)."""
        time.sleep(0.5)
        for pid, started in self.seen.items():
            ident = procmem.process_identity(pid)
            if ident is not None and ident[1] == started:
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
