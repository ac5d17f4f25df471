"""Activation functions: one row each, with everything the package says about them.

An activation *is* one ``Activation`` row, as in TensorFlow Playground's
``nn.ts`` (where an activation is an object with its output and its
derivative): its torch module, its function and slope, its largest slope (what
a weak slope is a small share of), its names on screen, its formula and its
colour on the Theory charts. The settings table (``nnexplore.config``), the
model, the probes, the Theory lessons and the charts all read these rows, so a
new activation is added here in one row and appears everywhere.

Importing this module does not import torch (``import nnexplore.config`` must
not need it, tests/unit/test_imports.py): every torch call is made inside a
function, when a tensor is already at hand. Each row also has the same function
in numpy (``np_f``), so the dashboard server can run a finished network on a
learner's own drawing without torch (nnexplore.drawing).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # type hints only: never imported at run time here
    import torch
    from torch import nn

LEAKY_SLOPE = 0.01  # leaky ReLU's slope for z < 0: torch's default, the usual textbook value

# A unit value is *weak* when its slope is under a quarter of the activation's largest slope
# (docs/metrics.md, weak_frac). Chosen from the experiment cards' own runs: a softmax layer of 32
# units that spreads its total evenly sits at 4·(1/32)·(31/32) ≈ 0.12 of its largest slope, and
# the softmax-hidden card's softmax run has 93–100% of its values under ¼ at every record, while
# its sigmoid run has 0–2% (first layer) and 0–32% (second layer, as it saturates) and the
# vanishing-depth card's sigmoid layers have none (their slopes sit at 50–100% of their ¼).
WEAK_SHARE = 0.25


# --------------------------------------------------------------------------- the functions
# Tensors in, tensors out. Softmax works over the last axis: the units of a layer for a
# (batch, units) tensor, the entries of a single vector.


def _identity(z: torch.Tensor) -> torch.Tensor:
    return z


def _ones(z: torch.Tensor) -> torch.Tensor:
    return z.new_ones(z.shape)


def _sigmoid_slope(z: torch.Tensor) -> torch.Tensor:
    s = z.sigmoid()
    return s * (1 - s)


def _relu_slope(z: torch.Tensor) -> torch.Tensor:
    return (z > 0).to(z.dtype)  # 0 at the kink, as torch's autograd takes it


def _leaky_relu(z: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    return F.leaky_relu(z, negative_slope=LEAKY_SLOPE)


def _leaky_relu_slope(z: torch.Tensor) -> torch.Tensor:
    import torch

    # LEAKY_SLOPE at z = 0 too: the left slope, as torch's autograd takes it.
    return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, LEAKY_SLOPE))


def _elu(z: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    return F.elu(z, alpha=1.0)


def _elu_slope(z: torch.Tensor) -> torch.Tensor:
    import torch

    return torch.where(z > 0, torch.ones_like(z), torch.exp(z))


def _gelu(z: torch.Tensor) -> torch.Tensor:
    import torch.nn.functional as F

    return F.gelu(z, approximate="none")  # the exact erf form, z·Φ(z)


def _gelu_slope(z: torch.Tensor) -> torch.Tensor:
    cdf = 0.5 * (1 + (z / math.sqrt(2)).erf())
    pdf = (-0.5 * z * z).exp() / math.sqrt(2 * math.pi)
    return cdf + z * pdf


def _softmax(z: torch.Tensor) -> torch.Tensor:
    return z.softmax(dim=-1)


def _softmax_slope(z: torch.Tensor) -> torch.Tensor:
    s = z.softmax(dim=-1)
    return s * (1 - s)  # the Jacobian's diagonal ∂S_i/∂z_i


# --------------------------------------------------------------------------- the numpy functions
# The same functions on numpy arrays, for the server, which never imports torch
# (nnexplore.drawing runs a finished network there). Each keeps its input's dtype (float32 in,
# float32 out) and gives no overflow warnings for large |z|; tests/unit/test_drawing.py checks
# each against its torch twin. Softmax again works over the last axis.


def _np_identity(z: np.ndarray) -> np.ndarray:
    return z


def _np_relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0)


def _np_leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, LEAKY_SLOPE * z)


def _np_elu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))  # min: no overflow in the branch not taken


def _np_erf(x: np.ndarray) -> np.ndarray:
    """erf(x) by Abramowitz & Stegun 7.1.26: absolute error under 1.5e-7, about float32's own
    rounding of values near 1 (6e-8), so GELU matches torch's to float32 tolerance."""
    x = np.clip(x, -6, 6)  # erf(±6) is ±1 in float64 already (1 − erf 6 ≈ 2e-17); x² cannot overflow
    t = 1 / (1 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return np.sign(x) * (1 - poly * np.exp(-x * x))


def _np_gelu(z: np.ndarray) -> np.ndarray:
    return 0.5 * z * (1 + _np_erf(z / math.sqrt(2)))  # z·Φ(z), the exact erf form as torch's


def _np_tanh(z: np.ndarray) -> np.ndarray:
    return np.tanh(z)


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    # From e^(−|z|) ≤ 1 on both sides, so no exp overflows: 1/(1 + e^(−z)) for z ≥ 0, e^z/(1 + e^z) below.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def _np_softmax(z: np.ndarray) -> np.ndarray:
    # Shifted by the largest entry, so every exp is at most 1 (softmax is unchanged by a shift).
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------- the modules


def _module(name: str, **kwargs: float) -> Callable[[], nn.Module]:
    """A factory for ``torch.nn.<name>(**kwargs)`` that imports torch only when called."""

    def make() -> nn.Module:
        from torch import nn

        return getattr(nn, name)(**kwargs)

    make.__qualname__ = f"nn.{name}"
    return make


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Activation:
    """One activation function and everything said about it.

    ``slope`` is the true derivative f′(z) (softmax: the Jacobian's diagonal
    S_i(1 − S_i), since each output depends on every input); it can be
    negative (GELU just below 0), so the probes take its size.
    ``max_slope`` is the largest value of the slope, what a *weak* entry's slope
    is a small share of (docs/metrics.md, weak_frac); a test checks it against a
    dense numeric maximum. ``least_slope`` is the smallest size of the slope
    outside the switched-off side, so the probes know which activations can
    have weak entries at all. ``switches_off``: the slope is exactly 0 on a whole
    side (ReLU for z ≤ 0), where the unit is *off* (docs/metrics.md, off_frac).
    ``np_f`` is ``f`` on numpy arrays, for the server, which has no torch (nnexplore.drawing).
    """

    name: str  # the code name: RunConfig value, URL, CLI
    screen_name: str  # in sentences, pickers and tables
    short_name: str  # in run labels and legends ("ReLU · softmax · CE")
    latex_f: str
    latex_slope: str
    color: str  # its line on the Theory charts, the same on every chart
    max_slope: float
    least_slope: float  # the smallest |slope| where the unit is not off (0: it fades to nothing)
    module: Callable[[], nn.Module]  # a new torch module (torch imported when called)
    f: Callable[[torch.Tensor], torch.Tensor]
    slope: Callable[[torch.Tensor], torch.Tensor]
    np_f: Callable[[np.ndarray], np.ndarray]  # f in numpy (the server runs finished nets without torch)
    hidden: bool = True  # may follow a hidden layer
    output: bool = False  # may turn the last layer's numbers into the outputs
    elementwise: bool = True  # each output depends on its own input only (softmax: no)
    squashes: bool = False  # bounded on both sides: the slope vanishes at both ends
    probabilities: bool = False  # every output lies in (0, 1)
    switches_off: bool = False  # slope exactly 0 (and output 0) on a whole side: ReLU for z ≤ 0
    # The least and the greatest output, where the pictures of hidden units should span them in
    # colour (so "flat at 0" looks the same in every ReLU layer); None: the layer's own extreme.
    bounds: tuple[float | None, float | None] = (None, None)

    @property
    def can_be_weak(self) -> bool:
        """Whether a value can be weak: the slope falls under WEAK_SHARE of its largest somewhere
        outside the switched-off side (not ReLU, not linear: their slope is 1 wherever they are on)."""
        return self.least_slope < WEAK_SHARE * self.max_slope


def _cases(positive: str, negative: str, at_zero: str = "z\\le 0") -> str:
    return rf"\begin{{cases}}{positive} & z>0\\ {negative} & {at_zero}\end{{cases}}"


# Colours: the Tableau-10 order the Theory charts have always used, one per curve.
ROWS: tuple[Activation, ...] = (
    Activation(
        name="none",
        screen_name="none",
        short_name="no act.",
        latex_f=r"f(z)=z",
        latex_slope=r"f'(z)=1",
        color="#9d755d",  # the same function as linear, so the same colour
        max_slope=1.0,
        least_slope=1.0,
        module=_module("Identity"),
        f=_identity,
        slope=_ones,
        np_f=_np_identity,
        hidden=False,  # the hidden-layer spelling of "no activation" is linear
        output=True,
    ),
    Activation(
        name="relu",
        screen_name="ReLU",
        short_name="ReLU",
        latex_f=r"\mathrm{ReLU}(z)=\max(0,\,z)",
        latex_slope=r"\mathrm{ReLU}'(z)=" + _cases("1", "0", "z<0"),
        color="#e45756",
        max_slope=1.0,
        least_slope=1.0,  # 1 where it is on (z > 0); 0 is the off side
        module=_module("ReLU"),
        f=lambda z: z.relu(),
        slope=_relu_slope,
        np_f=_np_relu,
        switches_off=True,
        bounds=(0.0, None),
    ),
    Activation(
        name="leaky_relu",
        screen_name="leaky ReLU",
        short_name="leaky ReLU",
        latex_f=r"f(z)=" + _cases("z", rf"{LEAKY_SLOPE}\,z"),
        latex_slope=r"f'(z)=" + _cases("1", f"{LEAKY_SLOPE}", "z<0"),
        color="#72b7b2",
        max_slope=1.0,
        least_slope=LEAKY_SLOPE,
        module=_module("LeakyReLU", negative_slope=LEAKY_SLOPE),
        f=_leaky_relu,
        slope=_leaky_relu_slope,
        np_f=_np_leaky_relu,
    ),
    Activation(
        name="elu",
        screen_name="ELU",
        short_name="ELU",
        latex_f=r"\mathrm{ELU}(z)=" + _cases("z", "e^{z}-1"),
        latex_slope=r"\mathrm{ELU}'(z)=" + _cases("1", "e^{z}", "z<0"),
        color="#54a24b",
        max_slope=1.0,  # 1 for z > 0; e^z < 1 below
        least_slope=0.0,  # e^z → 0 as z → −∞
        module=_module("ELU", alpha=1.0),
        f=_elu,
        slope=_elu_slope,
        np_f=_np_elu,
        bounds=(-1.0, None),
    ),
    Activation(
        name="gelu",
        screen_name="GELU",
        short_name="GELU",
        latex_f=r"\mathrm{GELU}(z)=z\,\Phi(z)",
        latex_slope=r"\mathrm{GELU}'(z)=\Phi(z)+z\,\varphi(z)",
        color="#b279a2",
        # GELU''(z) = φ(z)(2 − z²) is 0 at z = √2, where GELU' = Φ(√2) + √2·φ(√2)
        # = (1 + erf 1)/2 + e^(−1)/√π ≈ 1.1289.
        max_slope=0.5 * (1 + math.erf(1.0)) + math.exp(-1.0) / math.sqrt(math.pi),
        least_slope=0.0,  # 0 at z ≈ −0.75, and → 0 as z → −∞
        module=_module("GELU"),
        f=_gelu,
        slope=_gelu_slope,
        np_f=_np_gelu,
    ),
    Activation(
        name="tanh",
        screen_name="tanh",
        short_name="tanh",
        latex_f=r"\tanh(z)=\frac{e^{z}-e^{-z}}{e^{z}+e^{-z}}",
        latex_slope=r"\tanh'(z)=1-\tanh^2(z)",
        color="#f58518",
        max_slope=1.0,  # at z = 0
        least_slope=0.0,
        module=_module("Tanh"),
        f=lambda z: z.tanh(),
        slope=lambda z: 1 - z.tanh() ** 2,
        np_f=_np_tanh,
        squashes=True,
        bounds=(-1.0, 1.0),
    ),
    Activation(
        name="sigmoid",
        screen_name="sigmoid",
        short_name="sigmoid",
        latex_f=r"\sigma(z)=\frac{1}{1+e^{-z}}",
        latex_slope=r"\sigma'(z)=\sigma(z)\,\bigl(1-\sigma(z)\bigr)\le 0.25",
        color="#4c78a8",
        max_slope=0.25,  # σ(0)(1 − σ(0)) = ½·½
        least_slope=0.0,
        module=_module("Sigmoid"),
        f=lambda z: z.sigmoid(),
        slope=_sigmoid_slope,
        np_f=_np_sigmoid,
        output=True,
        squashes=True,
        probabilities=True,
        bounds=(0.0, 1.0),
    ),
    Activation(
        name="softmax",
        screen_name="softmax",
        short_name="softmax",
        latex_f=r"S_i(z)=\frac{e^{z_i}}{\sum_k e^{z_k}}",
        latex_slope=r"\frac{\partial S_i}{\partial z_i}=S_i\,(1-S_i)\le 0.25",
        color="#eeca3b",
        max_slope=0.25,  # S_i(1 − S_i) is largest at S_i = ½
        least_slope=0.0,  # S_i(1 − S_i) → 0 as S_i → 0 or 1
        module=_module("Softmax", dim=-1),
        f=_softmax,
        slope=_softmax_slope,
        np_f=_np_softmax,
        output=True,
        elementwise=False,
        squashes=True,
        probabilities=True,
        bounds=(0.0, 1.0),
    ),
    Activation(
        name="linear",
        screen_name="linear (no activation)",
        short_name="linear",
        latex_f=r"f(z)=z",
        latex_slope=r"f'(z)=1",
        color="#9d755d",
        max_slope=1.0,
        least_slope=1.0,
        module=_module("Identity"),
        f=_identity,
        slope=_ones,
        np_f=_np_identity,
    ),
)
"""Every activation, in the order the pickers list them (the usual choice first)."""

BY_NAME: dict[str, Activation] = {a.name: a for a in ROWS}
HIDDEN: tuple[Activation, ...] = tuple(a for a in ROWS if a.hidden)
"""What may follow a hidden layer: RunConfig.hidden_activation's choices."""
OUTPUT: tuple[Activation, ...] = tuple(a for a in ROWS if a.output)
"""What may produce the outputs: RunConfig.output_activation's choices."""
CURVES: tuple[Activation, ...] = tuple(a for a in HIDDEN if a.elementwise)
"""What the Theory page draws as a curve z → f(z): the element-wise hidden activations.
Softmax has a Jacobian instead of one curve; "none" is linear under its output name."""


def get(name: str) -> Activation:
    """The row called ``name``; ValueError naming the choices for any other name."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"Unknown activation {name!r}. Choose one of: {', '.join(BY_NAME)}.") from None


def screen_names(rows: tuple[Activation, ...] = ROWS) -> dict[str, str]:
    """Code name → screen name, for a picker's ``format_func`` or a table's column."""
    return {a.name: a.screen_name for a in rows}
