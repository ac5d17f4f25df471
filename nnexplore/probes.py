"""What is measured while training (DESIGN.md, "Metrics").

Each probe is a small function over tensors so it can be tested on a tensor
built by hand. The per-step probes return device tensors: the trainer keeps
them on the device and reads them once per record, because a `.item()` per step
forces a GPU sync and costs more than the step itself on a small MLP.
"""

from __future__ import annotations

import torch
from torch import nn

from nnexplore import activations

SATURATION_THRESHOLD = 0.01  # "below 1% of the activation's maximum derivative"


def out_of_range(outputs: torch.Tensor) -> dict[str, int]:
    """Counts of output entries below 0 and above 1, entries looked at, rows with any such entry."""
    below = outputs < 0
    above = outputs > 1
    return {
        "out_below": int(below.sum()),
        "out_above": int(above.sum()),
        "out_total": outputs.numel(),
        "out_rows": int((below | above).any(dim=1).sum()),
    }


def saturated_fraction(activation: str, pre: torch.Tensor) -> float:
    """Share of unit activations whose local derivative is below 1% of its maximum.

    The size of the slope counts, not its sign (GELU's is negative just below 0); softmax's
    is the Jacobian's diagonal S_i(1 − S_i), the share of a change that stays in unit i.
    """
    if pre.numel() == 0:
        return 0.0
    row = activations.get(activation)
    limit = SATURATION_THRESHOLD * row.max_slope
    return float((row.slope(pre).abs() < limit).float().mean())


def dead_fraction(act: nn.Module, pre: torch.Tensor) -> float:
    """Share of a layer's units that output exactly 0 for every example of the batch."""
    if pre.numel() == 0:
        return 0.0
    return float((act(pre) == 0).all(dim=0).float().mean())


def weight_grad_stats(weights: list[torch.Tensor]) -> torch.Tensor:
    """(3, layers) device tensor: L2 norm, mean |g| and max |g| of each weight gradient."""
    grads = [w.grad for w in weights]
    norms = torch.stack(torch._foreach_norm(grads))
    means = torch.stack([g.abs().mean() for g in grads])
    maxes = torch.stack([g.abs().amax() for g in grads])
    return torch.stack([norms, means, maxes])


def accuracy_count(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Number of rows whose largest output is the label (argmax of logits = argmax of outputs)."""
    return (logits.argmax(dim=1) == labels).sum()
