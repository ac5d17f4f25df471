"""Plain-words warnings about a configuration, shown next to the controls before training.

Nothing here forbids a run: trying a combination that fails *is* the lesson.
Each note says what will probably happen and why. (A combination that cannot train at all, such
as cross-entropy on a regression, is refused by RunConfig itself: nnexplore.problems.recipe_problem.)
"""

from __future__ import annotations

from nnexplore import activations
from nnexplore.config import RunConfig
from nnexplore.problems import PROBLEMS

# From this many hidden layers on, the notes about a gradient shrinking layer by layer appear.
DEEP = 4


def config_notes(cfg: RunConfig) -> list[tuple[str, str]]:
    """(level, text) pairs; level is "warning" (expected to fail or struggle) or "info"."""
    notes: list[tuple[str, str]] = []
    if PROBLEMS[cfg.dataset].is_regression:
        notes.append(_regression_note(cfg))
    elif cfg.output_activation == "none" and cfg.loss == "cross_entropy":
        notes.append(
            (
                "warning",
                "Expected to fail: cross-entropy takes the log of each output, and with no output "
                "activation the outputs are raw numbers that can be 0 or negative, where the log is "
                "undefined. Press Train to see it happen, then try softmax or the mse loss.",
            )
        )
    elif cfg.output_activation == "none" and cfg.loss == "binary_cross_entropy":
        notes.append(
            (
                "warning",
                "Expected to fail: binary cross-entropy takes the log of each output and of 1 minus "
                "it, and with no output activation the outputs are raw numbers that can be 0 or less, "
                "or 1 or more, where one of the logs is undefined. Press Train to see it happen, then "
                "try sigmoid or the mse loss.",
            )
        )
    elif cfg.output_activation == "none":
        notes.append(
            (
                "info",
                "With no output activation the outputs are raw numbers, not probabilities: watch the "
                "'Outside [0, 1]' chart (under More views). Squared error trains them directly (its "
                "gradient is twice output minus target).",
            )
        )
    if cfg.loss == "binary_cross_entropy" and cfg.output_activation == "softmax":
        notes.append(
            (
                "info",
                "Binary cross-entropy treats each output as its own yes/no probability; softmax outputs "
                "share one total of 1. It can train, but an output that reaches exactly 0 or 1 makes "
                "its log infinite; sigmoid is the usual partner.",
            )
        )
    if cfg.hidden_activation == "softmax" and cfg.hidden:
        notes.append(
            (
                "info",
                "Softmax in a hidden layer makes the units compete so their outputs sum to 1; with many "
                "units each sits near 1 ÷ the layer's width, where its slopes are small, so expect the "
                "gradient to shrink on its way to the first layer.",
            )
        )
    hidden = activations.get(cfg.hidden_activation)
    if hidden.squashes and len(cfg.hidden) >= DEEP:
        notes.append(
            (
                "info",
                f"{len(cfg.hidden)} {hidden.screen_name} layers: each multiplies the gradient by its "
                f"slope, at most {hidden.max_slope:g} and near 0 where a unit saturates, and by its "
                "weights, so the first layers may barely learn (watch 'Gradient flow').",
            )
        )
    if cfg.hidden_activation in ("relu", "leaky_relu") and cfg.init == "default" and len(cfg.hidden) >= DEEP:
        notes.append(
            (
                "info",
                f"{len(cfg.hidden)} {hidden.screen_name} layers from PyTorch's default start: its "
                "weights are small enough that each layer shrinks the gradient's squared size about "
                "6-fold at first, so the first layers start with little of it (watch 'How much "
                "reaches the first layer'). The he initialisation keeps its size.",
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


def _regression_note(cfg: RunConfig) -> tuple[str, str]:
    """What a regression's output does: raw outputs can take any value a target has; a sigmoid's
    lie in (0, 1), and the targets (sin, between −1 and 1) go below 0, where it cannot follow."""
    if cfg.output_activation == "sigmoid":
        return (
            "warning",
            f"A sigmoid output lies between 0 and 1, but {cfg.dataset}'s targets run from −1 to 1: "
            "the network cannot reach the half below 0, however long it trains. Press Train to see "
            "it in 'Fit to the data', then try no output activation.",
        )
    return (
        "info",
        f"{cfg.dataset} is a regression: the answer is a number, not a class. Raw outputs are right "
        "here, since nothing squeezes them into a range the targets might leave, and squared error "
        "measures how far each one is from its target. Watch 'R² (1 is a perfect fit)' and 'Fit to "
        "the data'.",
    )
