"""The network: a plain MLP built from a RunConfig, and the activation tables.

The model returns *logits* (the output layer's pre-activation); the output
activation is applied separately by `MLP.activate`, because the losses need the
logits to be computed stably (softmax + cross-entropy from the logits has the
exact gradient o − t).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from nnexplore.config import RunConfig


class Softmax1(nn.Softmax):
    """Softmax over the units of a layer, usable as a hidden activation."""

    def __init__(self) -> None:
        super().__init__(dim=1)


HIDDEN_ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,  # slope 0.01 on the negative side
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "softmax": Softmax1,
    "linear": nn.Identity,
}


def apply_output(name: str, logits: torch.Tensor) -> torch.Tensor:
    """Apply an output activation ('none', 'sigmoid', 'softmax') to logits."""
    if name == "softmax":
        return torch.softmax(logits, dim=1)
    if name == "sigmoid":
        return torch.sigmoid(logits)
    return logits


class MLP(nn.Module):
    """Linear layers with one hidden activation between them; `forward` gives logits."""

    def __init__(self, n_in: int, hidden: tuple[int, ...], n_out: int, activation: str, output: str):
        super().__init__()
        widths = [n_in, *hidden, n_out]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.acts = nn.ModuleList(HIDDEN_ACTIVATIONS[activation]() for _ in hidden)
        self.activation = activation
        self.output = output
        self.layer_names = [f"hidden {i + 1}" for i in range(len(hidden))] + ["output"]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for linear, act in zip(self.linears, self.acts):
            x = act(linear(x))
        return self.linears[-1](x)

    def forward_hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits plus each hidden layer's pre-activation (for the saturation/dead probes)."""
        pre: list[torch.Tensor] = []
        for linear, act in zip(self.linears, self.acts):
            z = linear(x)
            pre.append(z)
            x = act(z)
        return self.linears[-1](x), pre

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


def max_derivative(activation: str) -> float:
    """Largest value of the activation's local derivative (for the saturation probe)."""
    return {
        "sigmoid": 0.25,
        "softmax": 0.25,  # diagonal of the Jacobian, S(1 − S)
        "tanh": 1.0,
        "relu": 1.0,
        "leaky_relu": 1.0,
        "elu": 1.0,
        "gelu": 1.0 + 0.5 * math.sqrt(2) * math.exp(-1) / math.sqrt(math.pi),  # at z = √2
        "linear": 1.0,
    }[activation]


def local_derivative(activation: str, z: torch.Tensor) -> torch.Tensor:
    """|f'(z)| elementwise, for a hidden layer's pre-activation z (softmax: diagonal S_i(1 − S_i))."""
    if activation == "sigmoid":
        s = torch.sigmoid(z)
        return s * (1 - s)
    if activation == "softmax":
        s = torch.softmax(z, dim=1)
        return s * (1 - s)
    if activation == "tanh":
        return 1 - torch.tanh(z) ** 2
    if activation == "relu":
        return (z > 0).to(z.dtype)
    if activation == "leaky_relu":
        return torch.where(z > 0, 1.0, 0.01).to(z.dtype)
    if activation == "elu":
        return torch.where(z > 0, torch.ones_like(z), torch.exp(z))
    if activation == "gelu":
        cdf = 0.5 * (1 + torch.erf(z / math.sqrt(2)))
        pdf = torch.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return (cdf + z * pdf).abs()
    return torch.ones_like(z)
