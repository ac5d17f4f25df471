"""The network: a plain MLP built from a RunConfig, its activations read from nnexplore.activations.

The model returns *logits* (the output layer's pre-activation); the output
activation is applied separately by `MLP.activate`, because the losses need the
logits to be computed stably (softmax + cross-entropy from the logits has the
exact gradient o − t).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nnexplore import activations
from nnexplore.config import RunConfig


def apply_output(name: str, logits: torch.Tensor) -> torch.Tensor:
    """Apply an output activation ('none', 'sigmoid', 'softmax': the OUTPUT rows) to logits."""
    return activations.get(name).f(logits)


class MLP(nn.Module):
    """Linear layers with one hidden activation between them; `forward` gives logits."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, activation: str, output: str):
        super().__init__()
        widths = [n_in, *hidden, n_out]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.acts = nn.ModuleList(activations.get(activation).module() for _ in hidden)
        self.output = output
        self.layer_names = [f"hidden {i + 1}" for i in range(len(hidden))] + ["output"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear, act in zip(self.linears, self.acts):
            x = act(linear(x))
        return self.linears[-1](x)

    def forward_hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits plus each hidden layer's pre-activation (for the weak, off and dead probes)."""
        logits, pre, _ = self.forward_layers(x)
        return logits, pre

    def forward_layers(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor]]:
        """Logits plus each hidden layer's pre-activation and output (after its activation)."""
        pre: list[torch.Tensor] = []
        post: list[torch.Tensor] = []
        for linear, act in zip(self.linears, self.acts):
            z = F.linear(x, linear.weight, linear.bias)  # not linear(x): no module call per layer
            x = act(z)
            pre.append(z)
            post.append(x)
        last = self.linears[-1]
        return F.linear(x, last.weight, last.bias), pre, post

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        """The outputs as the network produces them, after the output activation."""
        return apply_output(self.output, logits)

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """Outputs after the output activation, for inference (views, notebooks)."""
        return self.activate(self(x))


def build_model(cfg: RunConfig, n_in: int, n_out: int) -> MLP:
    """The MLP of a config, with the chosen initialisation (seeded by the caller)."""
    model = MLP(n_in, cfg.hidden, n_out, cfg.hidden_activation, cfg.output_activation)
    for linear in model.linears:
        if cfg.init == "xavier":
            nn.init.xavier_uniform_(linear.weight)
            nn.init.zeros_(linear.bias)
        elif cfg.init == "he":
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
        elif cfg.init == "normal":
            nn.init.normal_(linear.weight, std=cfg.init_std)
            nn.init.zeros_(linear.bias)
    return model
