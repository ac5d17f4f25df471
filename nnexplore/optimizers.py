"""The three optimizers a run can use, written out: SGD, SGD with momentum, and Adam.

They compute exactly what ``torch.optim.SGD`` and ``torch.optim.Adam`` compute on
the CPU (the same operations in the same order, so the same seed gives the same
records, bit for bit; tests/unit/test_optimizers.py checks it). They exist because
``torch.optim`` imports ``torch._dynamo`` when first touched: 1.4 s and about
70 MB in every training process (measured on torch 2.13), for a compiler these
tiny networks never use. Without it a fresh server's first run starts sooner
and each training process is smaller.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


class Optimizer:
    """Parameters, and ``step()`` after each backward pass; ``zero_grad()`` before the next."""

    def __init__(self, params: Iterable[torch.nn.Parameter], lr: float, weight_decay: float = 0.0) -> None:
        self.params = [p for p in params if p.requires_grad]
        self.lr = lr
        self.weight_decay = weight_decay

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the last gradients (dropped, as torch does by default, or set to zero)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def _gradient(self, p: torch.Tensor) -> torch.Tensor:
        """The loss gradient plus L2 weight decay: g + λ·w."""
        return p.grad if self.weight_decay == 0 else p.grad.add(p, alpha=self.weight_decay)


class SGD(Optimizer):
    """w ← w − lr·v, v ← μ·v + g (v = g at the first step; μ = 0 is plain gradient descent)."""

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, weight_decay)
        self.momentum = momentum
        self.velocity: list[torch.Tensor | None] = [None] * len(self.params)

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = self._gradient(p)
            if self.momentum != 0:
                v = self.velocity[i]
                if v is None:
                    v = self.velocity[i] = torch.clone(g).detach()
                else:
                    v.mul_(self.momentum).add_(g)
                g = v
            p.add_(g, alpha=-self.lr)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): running means of g and g², bias-corrected, set each step's size.

    m ← β₁·m + (1 − β₁)·g,  v ← β₂·v + (1 − β₂)·g²,
    w ← w − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)   (torch's defaults: β = 0.9, 0.999; ε = 1e-8)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr, weight_decay)
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.t = 0
        self.m = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]
        self.v = [torch.zeros_like(p, memory_format=torch.preserve_format) for p in self.params]

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        step_size = self.lr / (1 - self.beta1**self.t)
        root_bias = (1 - self.beta2**self.t) ** 0.5
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            g = self._gradient(p)
            m.lerp_(g, 1 - self.beta1)
            v.mul_(self.beta2).addcmul_(g, g, value=1 - self.beta2)
            p.addcdiv_(m, (v.sqrt() / root_bias).add_(self.eps), value=-step_size)
