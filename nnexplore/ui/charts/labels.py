"""Run names for legends and status lines: the recipe, plus what differs from the other runs.

"ReLU · softmax · CE" names a run by its recipe; shown next to other runs it
gets the settings that tell it apart ("ReLU · softmax · CE · lr 0.1"), and
identical runs get "(2)", "(3)" so each keeps its own colour.

Plain Python: no streamlit, no pandas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from nnexplore import activations, own_points

LOSS_SHORT_NAMES = {"cross_entropy": "CE", "binary_cross_entropy": "BCE", "mse": "MSE"}
"""How each loss reads in a run label; the activations' short names are in nnexplore.activations."""
LOSS_NAMES = {
    "cross_entropy": "cross-entropy",
    "binary_cross_entropy": "binary cross-entropy",
    "mse": "squared error",
}
"""How each loss reads in a chart: the Loss view's panel and axis titles."""

# How each setting reads in a label when it is what tells two runs apart.
_LABEL_FORMATS: dict[str, str] = {
    "dataset": "{}",
    "n_samples": "{} points",
    "noise": "noise {}",
    "train_size": "{} train",
    "hidden": "layers {}",
    "optimizer": "{}",
    "lr": "lr {}",
    "batch_size": "batch {}",
    "epochs": "{} epochs",
    "init": "{} init",
    "init_std": "init std {}",
    "weight_decay": "decay {}",
    "seed": "seed {}",
}
_BASE_FIELDS = ("hidden_activation", "output_activation", "loss")
# Settings that never change what is learned: never used to tell runs apart.
_IGNORED_FIELDS = ("device", "records_per_epoch")


def _config_dict(cfg: Any) -> dict[str, Any]:
    """Settings of a config, duck-typed: a dataclass, a mapping or any object with attributes."""
    if dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return dataclasses.asdict(cfg)
    if isinstance(cfg, Mapping):
        return dict(cfg)
    names = list(_BASE_FIELDS) + list(_LABEL_FORMATS)
    return {n: getattr(cfg, n) for n in names if hasattr(cfg, n)}


def _format_setting(name: str, value: Any) -> str:
    if name == "points":  # a code of up to 600 characters: its count of points instead
        return own_points.label(str(value))
    if isinstance(value, (list, tuple)):
        text = "×".join(str(v) for v in value) if value else "none"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    return _LABEL_FORMATS.get(name, name.replace("_", " ") + " {}").format(text)


def _short_name(name: str, value: Any) -> str:
    """A recipe setting as a label spells it: the activation's or the loss's short name."""
    text = str(value)
    if name == "loss":
        return LOSS_SHORT_NAMES.get(text, text)
    row = activations.BY_NAME.get(text)
    return row.short_name if row else text


def run_label(cfg: Any, others: Sequence[Any] | None = None) -> str:
    """Name a run by its recipe, e.g. "ReLU · softmax · CE".

    With ``others`` (the configs it is compared with), the settings that
    differ from at least one of them are appended in the config's field
    order, e.g. "ReLU · softmax · CE · lr 0.1", so side-by-side runs get
    names that say what is different about them.
    """
    mine = _config_dict(cfg)
    parts = [_short_name(f, mine[f]) for f in _BASE_FIELDS if f in mine]
    if others:
        theirs = [_config_dict(o) for o in others]
        for name, value in mine.items():
            if name in _BASE_FIELDS or name in _IGNORED_FIELDS:
                continue
            if any(name in t and t[name] != value for t in theirs):
                parts.append(_format_setting(name, value))
    return " · ".join(parts)


def run_labels(cfgs: Sequence[Any]) -> list[str]:
    """Labels for runs shown together: each says what differs; identical ones get "(2)", "(3)"."""
    return unique_labels(
        [run_label(c, [o for j, o in enumerate(cfgs) if j != i]) for i, c in enumerate(cfgs)]
    )


def unique_labels(labels: Sequence[str]) -> list[str]:
    """The same labels, with "(2)", "(3)" added to repeats so each run keeps its own colour."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out
