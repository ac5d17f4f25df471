"""Fakes for the job manager's tests: a train function whose timing a test controls, a data
set loader that reports progress, and a poll helper."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator


def wait_until(pred: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll ``pred`` until true or ``timeout`` s passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    return pred()


class FakeTrain:
    """Generator-based stand-in for ``train``: ``cfg`` is a dict of knobs.

    Knobs: n (records), sleep (s between records), gate (Event to wait for
    before the first record), name (logged in ``started``), fail (raise after
    this many records).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.concurrent = 0
        self.max_concurrent = 0
        self.started: list[str] = []

    def __call__(self, cfg: dict, dataset=None, stop=None, on_record=None) -> Iterator[dict]:
        with self.lock:
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self.started.append(cfg.get("name", ""))
        try:
            gate = cfg.get("gate")
            if gate is not None:
                while not gate.wait(0.01):
                    if stop.is_set():
                        break
            n = cfg.get("n", 5)
            started = time.monotonic()
            for step in range(n):
                if step == cfg.get("fail"):
                    raise ValueError("boom\nTraceback (most recent call last): secret")
                status = "stopped" if stop.is_set() else ("done" if step == n - 1 else "running")
                record = {
                    "step": step,
                    "total_steps": n - 1,
                    "elapsed_s": time.monotonic() - started,
                    "status": status,
                    "dataset": dataset,
                }
                if on_record is not None:
                    on_record("model", record)
                yield record
                if status != "running":
                    return
                stop.wait(cfg.get("sleep", 0.0))
        finally:
            with self.lock:
                self.concurrent -= 1


def fake_dataset(cfg: dict, progress=None) -> str:
    if progress is not None:
        progress(0.5, "Downloading MNIST")
        progress(1.0, "Ready")
    if "dataset_error" in cfg:
        raise RuntimeError(cfg["dataset_error"])
    return "DATA"
