"""A run's timeline: the moments of training it keeps pictures of, and what a moment holds.

The training process takes a snapshot (nnexplore.snapshots.model_view) at up to
FRAMES of a run's records, chosen by ``timeline_records``, and cuts each to a
frame (``frame_of``): the parts of the pictures that change as the network
learns, small. The server keeps them with the run (nnexplore.runs.job), the
finished-run store counts their bytes (``frame_bytes``), and the page plays
them (nnexplore.ui.timeline).

Numpy only: the dashboard server reads this module and never imports torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: A run's timeline keeps its pictures at up to this many moments: 30 in Play's 5 s is 6
#: pictures a second, a pace a person can follow.
FRAMES = 30


def timeline_records(n_records: int, frames: int = FRAMES) -> frozenset[int]:
    """Which records (0 = a run's first) get a timeline frame: ``frames`` at most, denser early.

    Quadratic spacing: a network changes most in its first epochs (the boundary forms,
    units die), so the first tenth of the records gets about a third of the frames.
    The first and the last record always get one; a run with fewer records than
    ``frames`` gets one per record.
    """
    if n_records <= frames:
        return frozenset(range(n_records))
    picked, last = [], -1
    for k in range(frames):
        index = max(round((k / (frames - 1)) ** 2 * (n_records - 1)), last + 1)
        picked.append(index)
        last = index
    return frozenset(i for i in picked if i < n_records) | {n_records - 1}


def frame_of(view: dict[str, Any]) -> dict[str, Any]:
    """The parts of a snapshot that change as the run learns, small: one moment of its timeline.

    What stays the same through a run (the grid's points, the data points, the digits'
    pixels and labels) is left out: the latest snapshot has it. Class numbers as
    uint8 and outputs as float16 (a colour or a bar shows no more than 3 digits): a
    toy run's frame is about 12 kB. The hidden units' pictures are not kept: 1.3 kB a
    unit, they were four fifths of a frame (devtools.bench_timeline) for a view that
    shows the newest picture only.
    """
    frame: dict[str, Any] = {"step": view["step"], "epoch": view["epoch"]}
    if "grid" in view:
        frame["grid"] = _guesses(view["grid"], "cls")
    if "pushes" in view:
        frame["pushes"] = {name: np.asarray(v, dtype=np.float16) for name, v in view["pushes"].items()}
    if "digits" in view:
        frame["digits"] = _guesses(view["digits"], "pred")
    if "confusion" in view:
        frame["confusion"] = view["confusion"]["count"].astype(np.int32)
    return frame


def _guesses(columns: dict[str, Any], which: str) -> dict[str, np.ndarray]:
    """A table of predictions cut to what a moment needs: the class (``which``) and how sure."""
    return {which: columns[which].astype(np.uint8), "confidence": columns["confidence"].astype(np.float16)}


def frame_bytes(frame: dict[str, Any]) -> int:
    """The bytes a frame's arrays hold (what a finished-run store counts against its limit)."""
    total = 0
    for value in frame.values():
        parts = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
        total += sum(getattr(part, "nbytes", 8) for part in parts)
    return total
