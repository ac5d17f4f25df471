"""Finished runs kept for whoever asks for the same one again, and the fingerprint that names a run.

A run is fully determined by its resolved settings (seed and device
included: training is deterministic, so the same settings give the same
records). Two learners asking for the same one therefore need a single
computation, and one who asks after it ended can be given the whole run at
once from ``RunStore``, with no training at all.

The store lives in memory only and its keys are hashes, so nothing a learner
supplies ever becomes a file name. It is bounded twice, by a number of runs
and by an estimated size in MB, and drops the least recently used run first:
on a small server a class can ask for many runs, and what nobody has asked
about for the longest is what nobody is about to ask for.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnexplore.lru import LRU
from nnexplore.problems import OWN
from nnexplore.runs.environment import env_number

logger = logging.getLogger(__name__)

#: Finished runs kept (setting: ``NNEXPLORE_STORE_RUNS``). A class of 30 going
#: through the guided experiments asks for a few hundred distinct runs.
STORE_RUNS = 500
#: Their records, final views and timelines, in MB, estimated (setting: ``NNEXPLORE_STORE_MB``).
#: A toy run at the Playground's defaults measured 0.17 MB of records and view, and 0.53 MB
#: with its timeline's 30 frames (devtools.bench_timeline): 128 MB holds about 250 of them, a
#: class's distinct runs many times over, and less than half of what one forkserver holds.
STORE_MB = 128.0


#: Libraries that only a GPU build of torch ships (CUDA, or ROCm, which torch also calls "cuda").
GPU_LIBRARIES = ("libtorch_cuda*", "libtorch_hip*")


@functools.cache
def auto_device() -> str:
    """What device ``auto`` trains on here (as nnexplore.training.resolve_device picks it), asked once.

    A CPU-only build of torch is told by its files, without importing it: the dashboard server
    never needs torch otherwise, and importing it costs about 1 s of a one-core box and 150 MB.
    """
    spec = importlib.util.find_spec("torch")
    if spec is None or spec.origin is None:  # no torch, no GPU
        return "cpu"
    lib = Path(spec.origin).parent / "lib"
    if not any(next(lib.glob(pattern), None) for pattern in GPU_LIBRARIES):
        return "cpu"
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_key(cfg: Any) -> str | None:
    """The fingerprint of the run ``cfg`` asks for: a hash of its resolved settings, or None.

    ``auto`` is resolved to the device it trains on, so a run on the GPU is never mistaken
    for one on the CPU; your own points count only for a run on them. Settings without a
    ``to_dict`` (the tests' knobs, say) give None: such a run is never shared.
    """
    to_dict = getattr(cfg, "to_dict", None)
    if to_dict is None:
        return None
    settings = dict(to_dict())
    if settings.get("dataset") != OWN:  # the points train nothing else: moons is moons for everyone
        settings.pop("points", None)
    if settings.get("device") == "auto":
        settings["device"] = auto_device()
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


def estimate_bytes(records: list[dict], view: dict | None, timeline: Sequence[dict] = ()) -> int | None:
    """Roughly how much memory a run's records, view and timeline take: their pickled length
    (None: not picklable). The frames' numpy arrays pickle at about their own size."""
    try:
        return len(pickle.dumps((records, view, timeline), protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:  # a view of something unpicklable: such a run is simply not kept
        logger.debug("A finished run could not be measured; it is not stored.", exc_info=True)
        return None


@dataclass(frozen=True)
class StoredRun:
    """A finished run as the store keeps it: never changed once stored."""

    status: str
    records: tuple[dict, ...]
    view: dict | None
    size_bytes: int
    timeline: tuple[dict, ...] = ()


class RunStore(LRU[StoredRun]):
    """Finished runs by fingerprint, least recently used out first, within a run count and a size.

    Not thread-safe: the job manager calls it under its own lock. Measuring
    a run (``estimate_bytes``) is slow for that lock, so callers do it before.
    """

    def __init__(self, max_runs: int | None = None, max_mb: float | None = None) -> None:
        if max_runs is None:
            max_runs = int(env_number("NNEXPLORE_STORE_RUNS", STORE_RUNS, whole=True))
        if max_mb is None:
            max_mb = env_number("NNEXPLORE_STORE_MB", STORE_MB)
        super().__init__(int(max_runs), int(max_mb * 1024 * 1024))

    def put(  # type: ignore[override]
        self,
        key: str,
        status: str,
        records: list[dict],
        view: dict | None,
        size_bytes: int,
        timeline: Sequence[dict] = (),
    ) -> bool:
        """Keep a finished run, dropping the least recently used beyond the limits. False: too big to keep.

        ``size_bytes`` counts its timeline too (``estimate_bytes``): frames are most of a toy run's size.
        """
        run = StoredRun(status, tuple(records), view, size_bytes, tuple(timeline))
        return super().put(key, run, size_bytes)
