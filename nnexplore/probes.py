"""What is measured while training (DESIGN.md, "Metrics").

Each probe is a small function over tensors so it can be tested on a tensor
built by hand. The per-step probes return device tensors: the trainer keeps
them on the device and reads them once per record, because a `.item()` per step
forces a GPU sync and costs more than the step itself on a small MLP.

The ``*_count`` and ``grad_sums`` forms are what the trainer uses: 0-dim device
tensors, few operations each (on a 16-16 network every tensor operation costs
about as much as the arithmetic), read in one go per record and divided by the
sizes there. The float forms are the same numbers for one tensor.
"""

from __future__ import annotations

import math

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


def out_of_range_counts(outputs: torch.Tensor) -> list[torch.Tensor]:
    """out_below, out_above and out_rows of `out_of_range`, as 0-dim device tensors."""
    below = outputs < 0
    above = outputs > 1
    return [below.sum(), above.sum(), (below | above).any(dim=1).sum()]


def saturated_count(activation: str, pre: torch.Tensor) -> torch.Tensor:
    """How many entries of `pre` have a local derivative below 1% of the maximum (0-dim tensor)."""
    row = activations.get(activation)
    return (row.slope(pre).abs() < SATURATION_THRESHOLD * row.max_slope).sum()


def saturated_fraction(activation: str, pre: torch.Tensor) -> float:
    """Share of unit activations whose local derivative is below 1% of its maximum.

    The size of the slope counts, not its sign (GELU's is negative just below 0); softmax's
    is the Jacobian's diagonal S_i(1 − S_i), the share of a change that stays in unit i.
    """
    if pre.numel() == 0:
        return 0.0
    return int(saturated_count(activation, pre)) / pre.numel()


def dead_count(post: torch.Tensor) -> torch.Tensor:
    """How many units (columns of a layer's output `post`) are exactly 0 for every row (0-dim tensor)."""
    return (post == 0).all(dim=0).sum()


def dead_fraction(act: nn.Module, pre: torch.Tensor) -> float:
    """Share of a layer's units that output exactly 0 for every example of the batch."""
    if pre.numel() == 0:
        return 0.0
    return int(dead_count(act(pre))) / pre.shape[1]


def unit_counts(activation: str, pre: list[torch.Tensor], post: list[torch.Tensor]) -> list[torch.Tensor]:
    """Every hidden layer at once, per unit (layers side by side, input side first).

    Two 1-dim tensors: how many of the unit's entries are saturated (as `saturated_count`)
    and whether it outputs 0 for every row (as `dead_count`). One pass over all the units
    costs a few tensor operations instead of a few per layer; the per-layer numbers are sums
    of slices.
    """
    row = activations.get(activation)
    if row.elementwise:
        slopes = row.slope(torch.cat(pre, dim=1))
    else:  # softmax: the slope of a unit depends on its whole layer
        slopes = torch.cat([row.slope(z) for z in pre], dim=1)
    saturated = (slopes.abs() < SATURATION_THRESHOLD * row.max_slope).sum(dim=0)
    dead = (torch.cat(post, dim=1) == 0).all(dim=0)
    return [saturated, dead]


def grad_sums(weights: list[torch.Tensor], out_grad: torch.Tensor | None = None) -> torch.Tensor:
    """(3 · layers [+ 1]) device tensor from three fused norms over the weight gradients.

    Per layer, in blocks: L2 norm, Σ |g| (divide by the weight count for the mean |g|) and
    max |g|; then, when `out_grad` is given, Σ |out_grad| at the end (inside the Σ block's
    norm call, so it costs no extra operation).
    """
    grads = [w.grad for w in weights]
    l1 = torch._foreach_norm(grads if out_grad is None else [*grads, out_grad], 1)
    return torch.stack(
        [
            *torch._foreach_norm(grads, 2),
            *l1[: len(grads)],
            *torch._foreach_norm(grads, math.inf),
            *l1[len(grads) :],
        ]
    )


def weight_grad_stats(weights: list[torch.Tensor]) -> torch.Tensor:
    """(3, layers) device tensor: L2 norm, mean |g| and max |g| of each weight gradient."""
    stats = grad_sums(weights).reshape(3, len(weights))
    sizes = torch.tensor([w.numel() for w in weights], dtype=stats.dtype, device=stats.device)
    return torch.stack([stats[0], stats[1] / sizes, stats[2]])


def accuracy_count(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Number of rows whose largest output is the label (argmax of logits = argmax of outputs)."""
    return (logits.argmax(dim=1) == labels).sum()
