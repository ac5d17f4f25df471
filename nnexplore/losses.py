"""The loss table, exactly as docs/metrics.md ("The losses") defines it.

All losses sum over the classes (one output unit per class, one-hot targets)
and average over the batch. Where the output activation allows it, the loss is
computed from the logits so that it is numerically stable and its gradient is
the textbook one (softmax + cross-entropy: o − t). On raw outputs the logs are
taken as they are: a log of a value ≤ 0 gives NaN, and the trainer reports it
instead of hiding it behind a clamp.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from nnexplore.model import apply_output


def one_hot(target: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Targets as one-hot rows; class indices (int64) are expanded, float rows pass through."""
    if target.dtype.is_floating_point:
        return target
    return F.one_hot(target, logits.shape[1]).to(logits.dtype)


def mse(logits: torch.Tensor, target: torch.Tensor, output: str) -> torch.Tensor:
    """Σ_k (o_k − t_k)², averaged over the batch. `target`: class indices or one-hot rows."""
    o = apply_output(output, logits)
    target = one_hot(target, logits)
    return ((o - target) ** 2).sum(dim=1).mean()


def cross_entropy(logits: torch.Tensor, target: torch.Tensor, output: str) -> torch.Tensor:
    """−Σ_k t_k·log(o_k), averaged over the batch."""
    if output == "softmax":
        # PyTorch's fused log-softmax + NLL: the same value, and the gradient is exactly (o − t)/batch
        return F.cross_entropy(logits, target)
    target = one_hot(target, logits)
    if output == "sigmoid":
        log_o = F.logsigmoid(logits)
    else:
        log_o = torch.log(logits)  # NaN for outputs < 0, −inf at 0: reported, not hidden
    return -(target * log_o).sum(dim=1).mean()


def binary_cross_entropy(logits: torch.Tensor, target: torch.Tensor, output: str) -> torch.Tensor:
    """−Σ_k [t_k·log(o_k) + (1 − t_k)·log(1 − o_k)], averaged over the batch."""
    target = one_hot(target, logits)
    if output == "sigmoid":
        per_unit = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        return per_unit.sum(dim=1).mean()
    o = apply_output(output, logits)
    return -(target * torch.log(o) + (1 - target) * torch.log(1 - o)).sum(dim=1).mean()


LOSSES = {"mse": mse, "cross_entropy": cross_entropy, "binary_cross_entropy": binary_cross_entropy}


def loss_fn(name: str):
    """The loss function of a config: f(logits, one_hot_targets, output_activation) -> scalar."""
    return LOSSES[name]
