"""Plain-words warnings about a configuration, shown next to the controls before training.

Nothing here forbids a run: trying a combination that fails *is* the lesson.
Each note says what will probably happen and why.
"""

from __future__ import annotations

from nnexplore import activations
from nnexplore.config import RunConfig


def config_notes(cfg: RunConfig) -> list[tuple[str, str]]:
    """(level, text) pairs; level is "warning" (expected to fail or struggle) or "info"."""
    notes: list[tuple[str, str]] = []
    if cfg.output_activation == "none" and cfg.loss in ("cross_entropy", "binary_cross_entropy"):
        notes.append(
            (
                "warning",
                "Expected to fail: cross-entropy takes the log of each output, and with no output "
                "activation the outputs are raw numbers that can be 0 or negative, where the log is "
                "undefined. Press Train to see it happen, then try softmax or the mse loss.",
            )
        )
    elif cfg.output_activation == "none":
        notes.append(
            (
                "info",
                "With no output activation the outputs are raw numbers, not probabilities: watch the "
                "'Outside [0, 1]' chart.",
            )
        )
    if cfg.loss == "binary_cross_entropy" and cfg.output_activation == "softmax":
        notes.append(
            (
                "info",
                "Binary cross-entropy treats each output as its own yes/no probability; softmax outputs "
                "share one total of 1. It trains, but sigmoid is the usual partner.",
            )
        )
    if cfg.hidden_activation == "softmax" and cfg.hidden:
        notes.append(
            (
                "info",
                "Softmax in a hidden layer makes the units compete so their outputs sum to 1; its "
                "slopes are small, so expect the gradient to shrink on its way to the first layer.",
            )
        )
    hidden = activations.get(cfg.hidden_activation)
    # From 4 layers on: with sigmoid's largest slope, 0.25, at most 0.25⁴ ≈ 0.004 of the gradient gets through.
    if hidden.squashes and len(cfg.hidden) >= 4:
        notes.append(
            (
                "info",
                f"{len(cfg.hidden)} {hidden.screen_name} layers: each multiplies the gradient by a "
                "small slope, so the first layers may barely learn (watch 'Gradient flow').",
            )
        )
    if cfg.hidden_activation == "linear" and cfg.hidden:
        notes.append(
            (
                "info",
                "Linear hidden layers add no bend: the whole network is still one straight-line "
                "(linear) classifier.",
            )
        )
    if cfg.lr >= 1.0 or (cfg.optimizer == "adam" and cfg.lr >= 0.1):
        notes.append(
            (
                "warning",
                f"A learning rate of {cfg.lr:g} is very large for {cfg.optimizer}: the run may jump "
                "around or blow up (it will stop and say so).",
            )
        )
    if cfg.dataset == "mnist" and cfg.epochs * cfg.train_size > 200_000:
        notes.append(
            (
                "info",
                f"{cfg.epochs} epochs over {cfg.train_size:,} images is a long run on a shared server; "
                "fewer epochs or images answer most questions too.",
            )
        )
    return notes
