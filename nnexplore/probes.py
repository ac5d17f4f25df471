"""What is measured while training (docs/metrics.md).

Each probe is a small function over tensors, so that it can be tested on a tensor built by
hand, and it returns its parts by name: a dict of device tensors (0-dim or 1-dim), or, for
the per-step gradient sizes that are averaged over steps, ``Packed`` (named parts in one
tensor). The trainer keeps them on the device and reads every part of a record in one go
(``training._read``), because a ``.item()`` per step forces a GPU sync and costs more than the
step itself on a small MLP; it then assembles the record from the names. The parts are counts
and sums, few tensor operations each (on a 16-16 network every operation costs about as much
as the arithmetic); the trainer divides them by the sizes once they are read.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from nnexplore import activations


def unit_counts(
    activation: str, pre: list[torch.Tensor], post: list[torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Every hidden layer at once, per unit (layers side by side, input side first), by name.

    ``weak_units``: how many of the unit's entries have a slope under activations.WEAK_SHARE of the
    activation's largest and are not off; for softmax, whose unit i depends on the whole layer,
    the slope's size is that of the unit's Jacobian row,
    ‖J_i‖₁ = Σ_j |S_i(δ_ij − S_j)| = S_i(1 − S_i) + S_i·Σ_{j≠i} S_j = 2·S_i(1 − S_i), largest (½)
    at S_i = ½: the most of an output gradient of size ≤ 1 per unit that reaches z_i (J is
    symmetric). Over its largest it is 4·S_i(1 − S_i), the table's diagonal S_i(1 − S_i) over
    its largest (¼): the same number, so the table's slope serves. Only where the row ``can_be_weak``.
    ``off_units``: how many entries sit where the slope is exactly 0 (ReLU's z ≤ 0); only for an
    activation that ``switches_off``. ``dead_units``: 1 where the unit outputs exactly 0 for
    every row. One pass over all the units costs a few tensor operations instead of a few per
    layer; the per-layer numbers are sums of slices.
    """
    row = activations.get(activation)
    if row.elementwise:
        slopes = row.slope(torch.cat(pre, dim=1))
    else:  # softmax: the slope of a unit depends on its whole layer
        slopes = torch.cat([row.slope(z) for z in pre], dim=1)
    off = slopes == 0 if row.switches_off else None
    counts = {}
    if row.can_be_weak:
        weak = slopes.abs() < activations.WEAK_SHARE * row.max_slope
        counts["weak_units"] = (weak if off is None else weak & ~off).sum(dim=0)
    if off is not None:
        counts["off_units"] = off.sum(dim=0)
    counts["dead_units"] = (torch.cat(post, dim=1) == 0).all(dim=0)
    return counts


def out_of_range_counts(outputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """Output entries below 0 (``out_below``) and above 1 (``out_above``), and rows with any such
    entry (``out_rows``), as 0-dim device tensors."""
    below = outputs < 0
    above = outputs > 1
    return {"out_below": below.sum(), "out_above": above.sum(), "out_rows": (below | above).any(dim=1).sum()}


@dataclass(frozen=True)
class Packed:
    """Named parts in one flat device tensor, so that averaging or reading them costs one tensor
    operation, not one per part; ``unpack`` gives them back by name once read.

    ``layout``: (name, length) in order, length 0 for a single number.
    """

    flat: torch.Tensor
    layout: tuple[tuple[str, int], ...]

    def unpack(self, values: Sequence[float]) -> dict[str, Any]:
        """The read values of ``flat`` by name: a list of floats, or a float for length 0."""
        return {name: list(values[at : at + n]) if n else values[at] for name, at, n in self._spans()}

    def __getitem__(self, name: str) -> torch.Tensor:
        """One part, still on the device: a 1-dim view, or a 0-dim one for length 0."""
        for part, at, n in self._spans():
            if part == name:
                return self.flat[at : at + n] if n else self.flat[at]
        raise KeyError(name)

    def _spans(self) -> Iterator[tuple[str, int, int]]:
        """(name, first position in ``flat``, length) of each part."""
        at = 0
        for name, length in self.layout:
            yield name, at, length
            at += max(length, 1)


def grad_sums(weights: list[torch.Tensor], out_grad: torch.Tensor) -> Packed:
    """One sampled step's gradient sizes, by name, from three fused norms over the gradients.

    Per layer (input side first), of the weight gradient: ``grad_norm`` its L2 norm,
    ``grad_l1`` Σ |g| (the trainer divides by the weight count for the mean |g|) and
    ``grad_max_abs`` its largest |g|. And ``out_push``, Σ |out_grad| over the batch, in the Σ
    block's norm call so that it costs no extra operation: the loss is a batch mean
    L = (1/B)·Σ_i ℓ_i, so out_grad = ∂L/∂z = (1/B)·∂ℓ_i/∂z and Σ_{i,k} |∂L/∂z_ik| =
    (1/B)·Σ_i Σ_k |∂ℓ_i/∂z_ik|: the mean over the batch of each example's push, as it is.
    Packed, because the trainer averages the samples of a record as one tensor.
    """
    grads = [w.grad for w in weights]
    l1 = torch._foreach_norm([*grads, out_grad], 1)
    n = len(grads)
    flat = torch.stack([*torch._foreach_norm(grads, 2), *l1, *torch._foreach_norm(grads, math.inf)])
    return Packed(flat, (("grad_norm", n), ("grad_l1", n), ("out_push", 0), ("grad_max_abs", n)))


def accuracy_count(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Number of rows whose largest output is the label (argmax of logits = argmax of outputs)."""
    return (logits.argmax(dim=1) == labels).sum()


def fit_sums(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, torch.Tensor]:
    """A regression's fit on held-out examples, per output column (1-dim, one entry per output).

    ``sse``: Σ (o − t)², the squared errors' sum; ``sst``: Σ (t − t̄)², the targets' spread around
    their own mean t̄. The trainer makes the record's ``test_mse`` (SSE ÷ values) and ``test_r2``
    (1 − SSE ÷ SST, averaged over the outputs, as scikit-learn's r2_score) from them once read:
    answering t̄ everywhere, the best a network that ignores its input can do, scores R² = 0;
    a perfect fit scores 1; a fit worse than the constant scores below 0.
    """
    outputs, targets = outputs.double(), targets.double()
    return {
        "sse": ((outputs - targets) ** 2).sum(dim=0),
        "sst": ((targets - targets.mean(dim=0)) ** 2).sum(dim=0),
    }


def r2_score(sse: Sequence[float], sst: Sequence[float]) -> float:
    """1 − SSE/SST per output, averaged over the outputs (``fit_sums``' parts, read); NaN where
    the targets do not vary (SST = 0: no spread to explain) or the fit is not finite."""
    scores = [1 - e / t if t > 0 else math.nan for e, t in zip(sse, sst, strict=True)]
    return sum(scores) / len(scores) if scores else math.nan
