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

import zlib
from typing import Any

import numpy as np

#: A run's timeline keeps its pictures at up to this many moments: 30 in Play's 5 s is 6
#: pictures a second, a pace a person can follow.
FRAMES = 30
#: The hidden units a frame keeps pictures of, layer by layer from the input side: 64 units of
#: 625 points as one byte each is 40 kB a frame, 1.2 MB over 30 moments before zlib packs it,
#: so a run's timeline stays under about 2 MB; the default network's 2 × 16 units are all kept.
FRAME_UNITS = 64
#: A unit's output in a frame: 255 levels between its layer's lowest and highest output at that
#: moment (a colour ramp shows no more); the 256th byte marks a non-finite output.
LEVELS = 254
NOT_FINITE = 255


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

    What stays the same through a run (the grid's points, the curve's x, the data points, the
    digits' pixels and labels) is left out: the latest snapshot has it. Class numbers as
    uint8 and outputs and predictions as float16 (a colour, a bar or a line's height shows
    no more than 3 digits): a toy run's frame is about 12 kB (a regression's fitted surface
    7 kB, its curve 0.4 kB), plus its hidden units' pictures (``unit_codes``).
    """
    frame: dict[str, Any] = {"step": view["step"], "epoch": view["epoch"]}
    if "grid" in view:
        frame["grid"] = _guesses(view["grid"], "cls")
    for fit in ("curve", "surface"):  # a regression's prediction at the same x (and y) every time
        if fit in view:
            frame[fit] = {"prediction": np.asarray(view[fit]["prediction"], dtype=np.float16)}
    if "pushes" in view:
        frame["pushes"] = {name: np.asarray(v, dtype=np.float16) for name, v in view["pushes"].items()}
    if "digits" in view:
        frame["digits"] = _guesses(view["digits"], "pred")
    if "confusion" in view:
        frame["confusion"] = view["confusion"]["count"].astype(np.int32)
    if view.get("units", {}).get("values"):
        frame["units"] = unit_codes(view["units"]["values"])
    return frame


def unit_codes(layers: list[np.ndarray], budget: int = FRAME_UNITS) -> list[dict[str, Any]]:
    """Hidden units' outputs (per layer: units × points) as one byte each, packed, for up to ``budget`` units.

    Layers are kept whole from the input side while they fit the budget (a later
    layer's view then shows its newest picture only). Each layer is coded between its
    own lowest and highest finite output at this moment (``low``, ``high``): an exact
    0 stays exactly 0 when it is the lowest, so a dead ReLU unit reads as dead.
    ``unit_values`` is the inverse.
    """
    kept, used = [], 0
    for values in layers:
        values = np.asarray(values, dtype=np.float32)
        if used + len(values) > budget:
            break
        used += len(values)
        finite = np.isfinite(values)
        low = float(values[finite].min()) if finite.any() else 0.0
        high = float(values[finite].max()) if finite.any() else 0.0
        scaled = (np.where(finite, values, low) - low) / (high - low or 1.0) * LEVELS
        codes = np.where(finite, np.round(scaled), NOT_FINITE).astype(np.uint8)
        # zlib: a unit's picture is smooth, so its bytes pack 1.6 to 2.5 times (tanh to ReLU) in
        # about 0.3 ms a layer, and the finished-run store keeps that many more runs
        packed = np.frombuffer(zlib.compress(codes.tobytes(), 6), dtype=np.uint8)
        kept.append(
            {"low": np.float32(low), "high": np.float32(high), "shape": codes.shape, "packed": packed}
        )
    return kept


def unit_values(layer: dict[str, Any]) -> np.ndarray:
    """One layer of ``unit_codes`` as outputs again (units × points, float; NaN where not finite)."""
    codes = np.frombuffer(zlib.decompress(layer["packed"].tobytes()), dtype=np.uint8).reshape(layer["shape"])
    low, high = float(layer["low"]), float(layer["high"])
    values = low + codes.astype(float) / LEVELS * (high - low)
    return np.where(codes == NOT_FINITE, np.nan, values)


def _guesses(columns: dict[str, Any], which: str) -> dict[str, np.ndarray]:
    """A table of predictions cut to what a moment needs: the class (``which``) and how sure."""
    return {which: columns[which].astype(np.uint8), "confidence": columns["confidence"].astype(np.float16)}


def frame_bytes(frame: Any) -> int:
    """The bytes a frame's arrays hold (what a finished-run store counts against its limit)."""
    if isinstance(frame, dict):
        return sum(frame_bytes(value) for value in frame.values())
    if isinstance(frame, list | tuple):
        return sum(frame_bytes(value) for value in frame)
    return getattr(frame, "nbytes", 8)
