"""The charts of finished page parts, kept for every session of the server.

A class following one worksheet opens the same few links: thirty pages end up
drawing the same few finished runs, and building one page part's charts costs
0.4 to 0.7 s of the server's one core (devtools/bench_draw, one toy run). A
finished run never changes, so its charts are built once and every other page
showing the same runs, under the same names and with the same choices in the
section widgets, is sent the same specs.

A page part is named by ``part_key``: the runs' fingerprints
(nnexplore.runs.store.run_key) and how far each got, their labels, and the
values of the part's widgets (their keys start with the part's key). Job ids
are per learner, so they are replaced by the run's place on the page first.
Runs without a fingerprint are never shared.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from nnexplore.lru import LRU
from nnexplore.runs import Job
from nnexplore.runs.store import run_key

#: Page parts kept. Thirty learners on six links of the Playground and five guided experiments
#: make a few dozen distinct finished pages.
SHARED_PARTS = 64
#: Their specs, in MB: one toy run's page part measured 0.1-0.3 MB (most of it the decision grid).
SHARED_MB = 32.0
#: Counted for a spec's JSON besides its tables.
SPEC_OVERHEAD_BYTES = 4096


#: Seconds a page waits for another page that is building the same part. One toy run's part
#: takes about 0.9 s to build alone and several seconds on a loaded core; a builder that has not
#: put its specs by then (its script run was cut short) is not waited for again.
BUILD_WAIT_S = 15.0


class SharedCharts:
    """Process-wide, thread-safe: finished page parts' specs by ``part_key``.

    A class on one worksheet sees its runs end together, and thirty pages then
    ask for the same few page parts at once: each would build them itself
    before any had put them here, thirty builds of six parts (measured once with
    30 learners on 6 links: the finished pages drawn 20 s after their status said
    done). So the first page to ask for a part ``claim``s it and builds it; the
    others wait for its specs.
    """

    def __init__(self, max_parts: int = SHARED_PARTS, max_mb: float = SHARED_MB) -> None:
        self._parts: LRU[dict[str, dict]] = LRU(max_parts, int(max_mb * 1024 * 1024))
        self._lock = threading.Lock()
        self._building: dict[str, tuple[threading.Event, float]] = {}

    def get(self, key: str | None) -> dict[str, dict]:
        """The specs kept for this page part, by normalised slot name (empty: none kept)."""
        with self._lock:
            return dict(self._parts.get(key) or {})

    def claim(self, key: str, wait_s: float = BUILD_WAIT_S) -> tuple[dict[str, dict], bool]:
        """The specs of this part and whether the caller is to build it for everyone.

        Kept: (specs, False). Being built by another page: waits for it (at most
        ``wait_s``), then (what it put, False). Else (empty, True): the caller builds it
        and ``put``s it, or ``release``s the claim if it cannot.
        """
        with self._lock:
            specs = self._parts.get(key)
            if specs:
                return dict(specs), False
            building = self._building.get(key)
            now = time.monotonic()
            if building is None or now - building[1] > wait_s:
                self._building[key] = (threading.Event(), now)
                return {}, True
        building[0].wait(wait_s)
        return self.get(key), False

    def release(self, key: str) -> None:
        """The claim on ``key`` is over (built or not): pages waiting for it go on."""
        with self._lock:
            building = self._building.pop(key, None)
        if building is not None:
            building[0].set()

    def put(self, key: str, specs: dict[str, dict]) -> None:
        """Keep a finished page part's specs (never changed afterwards: sessions share them)."""
        size = sum(spec_bytes(spec) for spec in specs.values())
        with self._lock:
            self._parts.put(key, dict(specs), size)
        self.release(key)


def spec_bytes(spec: dict) -> int:
    """About how much memory a spec takes: its Arrow tables and an allowance for the rest."""
    tables = spec.get("datasets") or {}
    return SPEC_OVERHEAD_BYTES + sum(len(t) for t in tables.values() if isinstance(t, bytes | str))


def job_names(jobs: Sequence[Job]) -> dict[str, str]:
    """Each job's id and the name it has in a shared page part: its place on the page."""
    return {job.id: f"#{i}" for i, job in enumerate(jobs)}


def normalise(text: str, names: Mapping[str, str]) -> str:
    """``text`` with every job id replaced by the job's place on the page."""
    for job_id, name in names.items():
        text = text.replace(job_id, name)
    return text


def part_key(jobs: Sequence[Job], labels: Sequence[str], key: str, widgets: Mapping[str, Any]) -> str | None:
    """The name of a finished page part's charts, or None if they are not to be shared.

    ``widgets``: the session's state; the entries whose key starts with ``key_`` are the part's
    widgets. A stopped run is named by how many records it kept, so two learners who stopped
    the same run at different points see their own charts.
    """
    names = job_names(jobs)
    runs = []
    for job, label in zip(jobs, labels):
        fingerprint = run_key(job.cfg)
        if fingerprint is None or job.is_active:
            return None
        last = job.last_record or {}
        progress = (job.status, len(job.records), (job.view or {}).get("step"), last.get("elapsed_s"))
        runs.append((fingerprint, progress, label))
    choices = sorted(
        (normalise(name, names), normalise(repr(value), names))
        for name, value in widgets.items()
        if isinstance(name, str) and name.startswith(f"{key}_")
    )
    return hashlib.sha256(repr((key, runs, choices)).encode()).hexdigest()
