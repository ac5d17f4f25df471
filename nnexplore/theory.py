"""Small exact computations for the lesson panels.

Each function here answers one piece of the learners' three questions (the
cards in nnexplore/experiments.py) with a calculation small enough to be exact and instant: no
training, no randomness beyond a fixed seed, everything in float64.

Derivatives are taken with torch autograd, the same machinery that trains the
real networks, so a panel shows what the optimiser actually sees. The tests
check every autograd result against its textbook closed form.

Conventions: tables for charts are long-form pandas DataFrames (one row per
point and series, ready for Altair's ``color=`` encoding); matrices and vectors
are numpy float64 arrays. Nothing here imports streamlit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from nnexplore import activations

__all__ = [
    "ACTIVATIONS",
    "DTYPE",
    "as_tensor",
    "LOSS_CE",
    "LOSS_MSE",
    "activation_curve",
    "activation_table",
    "softmax",
    "softmax_jacobian",
    "jacobian_table",
    "parse_vector",
    "loss_vs_probability",
    "push_factors",
    "PUSH_FACTORS",
    "toy_1d",
    "loss_curve",
    "loss_surface",
]

DTYPE = torch.float64

# Series labels, shared by the tables and the charts that colour by them.
LOSS_CE = "cross-entropy"
LOSS_MSE = "squared error"

# Element-wise activations that can be drawn as a curve z -> f(z), in the table's
# order. Softmax is not here on purpose: each output depends on *all* inputs, so
# it has a Jacobian (see softmax_jacobian) rather than a single derivative curve.
ACTIVATIONS: tuple[str, ...] = tuple(a.name for a in activations.CURVES)


def as_tensor(values: object) -> torch.Tensor:
    """Any array-like (list, numpy, tensor on any device) as a CPU float64 tensor."""
    if isinstance(values, torch.Tensor):
        return values.detach().to(device="cpu", dtype=DTYPE)
    return torch.as_tensor(np.asarray(values, dtype=np.float64), dtype=DTYPE)


# ---------------------------------------------------------------------------
# 1. Activation functions and their derivatives (question 1)
# ---------------------------------------------------------------------------


def activation_curve(name: str, z: object) -> tuple[np.ndarray, np.ndarray]:
    """Values f(z) and local derivatives f'(z) of an activation, by autograd.

    The derivative is the factor by which a hidden layer scales the gradient
    flowing back through it. Sigmoid's never exceeds 0.25 and tanh's falls to
    ~0 once |z| is a few units: stacked, these shrink the gradient layer after
    layer (vanishing gradients). ReLU passes the gradient through unchanged
    (derivative 1) for z > 0, but blocks it entirely for z < 0: a unit that
    is negative for every input never learns again (a dead unit).

    Returns two float64 arrays shaped like ``z``. At the kinks of relu and
    leaky_relu (z = 0) the derivative is the one torch uses: the left slope.
    """
    if name not in ACTIVATIONS:
        choices = ", ".join(ACTIVATIONS)
        raise ValueError(f"Unknown activation {name!r}. Choose one of: {choices}.")
    zt = as_tensor(z).clone().requires_grad_(True)
    values = activations.get(name).f(zt)
    # Element-wise function: d(sum f)/dz_i = f'(z_i).
    (deriv,) = torch.autograd.grad(values.sum(), zt)
    return values.detach().numpy(), deriv.numpy()


def activation_table(z_min: float = -6.0, z_max: float = 6.0, n: int = 241) -> pd.DataFrame:
    """Every element-wise activation on one grid, for a side-by-side chart.

    Long form, columns ``activation, z, value, derivative``; ``n`` rows per
    activation, in the order of ``ACTIVATIONS``. With the default grid the
    points fall on multiples of 0.05, z = 0 included.
    """
    z = np.linspace(z_min, z_max, n)
    frames = []
    for name in ACTIVATIONS:
        values, deriv = activation_curve(name, z)
        frames.append(pd.DataFrame({"activation": name, "z": z, "value": values, "derivative": deriv}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------
# 2. Softmax and its Jacobian
# ---------------------------------------------------------------------------


def softmax(v: object) -> np.ndarray:
    """Softmax of a vector, computed stably (large inputs do not overflow)."""
    return torch.softmax(as_tensor(v), dim=-1).numpy()


def softmax_jacobian(v: object) -> np.ndarray:
    """The n x n matrix J[i, j] = dS_i / dv_j of softmax at ``v``, by autograd.

    In closed form J[i, j] = S_i (delta_ij - S_j). Every output moves when any
    input moves, which is why softmax is not an element-wise activation. When
    one S_i is close to 1 (a confident, saturated softmax) every entry is close
    to 0: as a hidden layer it then passes almost no gradient back.
    Each row and each column sums to 0, because the outputs always sum to 1.
    """
    vt = as_tensor(v)
    if vt.ndim != 1 or vt.numel() == 0:
        raise ValueError("softmax_jacobian needs a non-empty 1-D vector.")
    jac = torch.autograd.functional.jacobian(lambda x: torch.softmax(x, dim=0), vt)
    return jac.numpy()


def jacobian_table(v: object) -> pd.DataFrame:
    """The softmax Jacobian in long form for a heatmap: columns ``i, j, value``.

    ``i`` is the output index (row), ``j`` the input index (column).
    """
    jac = softmax_jacobian(v)
    n = jac.shape[0]
    i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return pd.DataFrame({"i": i.ravel(), "j": j.ravel(), "value": jac.ravel()})


_EXAMPLE = "for example: 1, 2, 3"


def parse_vector(text: object, min_len: int = 2, max_len: int = 10) -> tuple[list[float] | None, str]:
    """Read the numbers a learner typed ("1, 2, 3", "1 2 3", "[1; 2; 3]").

    Never raises. Returns ``(numbers, "")`` when the input is usable, otherwise
    ``(None, problem)`` where ``problem`` says in plain words what to fix.
    Accepts commas, semicolons and spaces as separators, optional brackets,
    and the typographic minus sign that copy-pasting often brings in.
    """
    try:
        if not isinstance(text, str):
            return None, f"Type {min_len} to {max_len} numbers separated by commas or spaces, {_EXAMPLE}."
        if len(text) > 2000:
            return None, f"That is too long. Type {min_len} to {max_len} numbers, {_EXAMPLE}."
        cleaned = text.strip().strip("[]()").replace("\u2212", "-")
        parts = [p for p in re.split(r"[,;\s]+", cleaned) if p]
        if not parts:
            return None, f"Type {min_len} to {max_len} numbers separated by commas or spaces, {_EXAMPLE}."
        numbers: list[float] = []
        for part in parts:
            shown = part if len(part) <= 20 else part[:20] + "..."
            try:
                value = float(part)
            except ValueError:
                return None, f'"{shown}" is not a number. Use digits, a minus sign and a dot, {_EXAMPLE}.'
            if not math.isfinite(value):
                return None, f'"{shown}" is not a usable number: type ordinary finite numbers, {_EXAMPLE}.'
            numbers.append(value)
        if len(numbers) < min_len:
            return None, (
                f"Type at least {min_len} numbers: the softmax of a single number is always 1, so there is nothing to see."
            )
        if len(numbers) > max_len:
            return None, f"Type at most {max_len} numbers (you typed {len(numbers)})."
        return numbers, ""
    except Exception:  # the contract is "never raises": a learner's typo must not crash the page
        return None, f"Could not read that. Type {min_len} to {max_len} numbers, {_EXAMPLE}."


# ---------------------------------------------------------------------------
# 3. Loss as a function of the predicted probability (question 2)
# ---------------------------------------------------------------------------


# The loss of one prediction p for a target of 1, as a function of p.
_LOSSES_OF_P: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    LOSS_CE: lambda p: -torch.log(p),
    LOSS_MSE: lambda p: (1.0 - p) ** 2,
}


def loss_vs_probability(n: int = 200, p_min: float = 0.01) -> pd.DataFrame:
    """Loss and its slope in p against the probability p given to the right class.

    For a target of 1, cross-entropy is -log p (slope -1/p) and squared error
    is (1 - p)^2 (slope -2(1 - p)). When the prediction is badly wrong (p near
    0) cross-entropy shoots up while squared error never exceeds 1: the log
    makes a confident mistake expensive. The slope in p is *not* how hard
    training pushes: training moves the score z, and the push on z is this
    slope times dp/dz (see push_factors).

    Long form, columns ``p, loss, value, gradient``: ``n`` points with p from
    ``p_min`` to 1 for each loss (``LOSS_CE``, ``LOSS_MSE``). Gradients are
    dL/dp by autograd.
    """
    p_grid = np.linspace(p_min, 1.0, n)
    frames = []
    for label, fn in _LOSSES_OF_P.items():
        p = torch.tensor(p_grid, dtype=DTYPE, requires_grad=True)
        value = fn(p)
        (grad,) = torch.autograd.grad(value.sum(), p)
        frames.append(
            pd.DataFrame(
                {"p": p_grid, "loss": label, "value": value.detach().numpy(), "gradient": grad.numpy()}
            )
        )
    return pd.concat(frames, ignore_index=True)


#: The three factors of the chain rule dL/dz = dL/dp · dp/dz, in the order the page shows them.
PUSH_FACTORS: tuple[str, ...] = ("dL/dp", "dp/dz", "dL/dz")


def push_factors(p: object = None) -> pd.DataFrame:
    """The chain rule for one output p = sigmoid(z), target 1: dL/dp, dp/dz and dL/dz, by autograd.

    Training changes the weights, and they move the score z, not p itself; the push on z is
    dL/dz = dL/dp · dp/dz, with dp/dz = p(1 - p) for a sigmoid (and for a softmax's right class,
    in its own score). Cross-entropy's dL/dp = -1/p cancels the p of p(1 - p), leaving
    dL/dz = -(1 - p): the push grows as p falls. Squared error's dL/dp = -2(1 - p) cancels
    nothing, leaving dL/dz = -2p(1 - p)^2: it falls to 0 with p, although its dL/dp does not.

    ``p``: the probabilities (default 0.01, 0.02, ..., 0.99). Long form, columns ``p, loss,
    factor, value``: for each loss (``LOSS_CE``, ``LOSS_MSE``) and each factor of
    ``PUSH_FACTORS``, the signed value (negative: raising z lowers the loss). ``dp/dz`` is the
    same for both losses. Each factor is its own autograd computation in float64: dL/dp with p
    as the variable, dp/dz and dL/dz with z = logit(p) as the variable, so the tests can check
    the chain rule instead of assuming it.
    """
    grid = np.round(np.linspace(0.01, 0.99, 99), 10) if p is None else np.asarray(p, dtype=np.float64)
    if grid.ndim != 1 or grid.size == 0 or not ((grid > 0) & (grid < 1)).all():
        raise ValueError("push_factors needs probabilities strictly between 0 and 1.")
    z_grid = np.log(grid) - np.log1p(-grid)  # logit: the z that gives each p
    z = torch.tensor(z_grid, dtype=DTYPE, requires_grad=True)
    (dp_dz,) = torch.autograd.grad(torch.sigmoid(z).sum(), z)
    frames = []
    for label, fn in _LOSSES_OF_P.items():
        p_var = torch.tensor(grid, dtype=DTYPE, requires_grad=True)
        (dl_dp,) = torch.autograd.grad(fn(p_var).sum(), p_var)
        z = torch.tensor(z_grid, dtype=DTYPE, requires_grad=True)
        (dl_dz,) = torch.autograd.grad(fn(torch.sigmoid(z)).sum(), z)
        for factor, values in zip(PUSH_FACTORS, (dl_dp, dp_dz, dl_dz), strict=True):
            frames.append(pd.DataFrame({"p": grid, "loss": label, "factor": factor, "value": values.numpy()}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------
# 4. Logistic-regression loss landscapes (question 2)
# ---------------------------------------------------------------------------


def toy_1d(seed: int = 0, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A fixed 1-D, two-class dataset for logistic regression p = sigmoid(w x + b).

    ``n`` points, half per class: class 0 around x = -1, class 1 around x = +1,
    both with standard deviation 1, so the classes overlap and no w separates
    them perfectly (the best w is finite). Returns ``(x, y)``: float64 arrays,
    y in {0, 1}, sorted by x. The same seed always gives the same points.
    """
    gen = torch.Generator().manual_seed(seed)
    half = n // 2
    y = torch.cat([torch.zeros(n - half, dtype=DTYPE), torch.ones(half, dtype=DTYPE)])
    x = torch.randn(n, generator=gen, dtype=DTYPE) + (2.0 * y - 1.0)
    order = torch.argsort(x)
    return x[order].numpy(), y[order].numpy()


def _mean_losses(z: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Mean CE∘sigmoid and MSE∘sigmoid over the last axis of the logits ``z``.

    Cross-entropy is written as log(1 + e^z) - y z (via logaddexp), the exact
    and stable form of -[y log s + (1 - y) log(1 - s)]: it never takes the log
    of 0. (torch's softplus is not used: it switches to a straight line for
    z > 20, which would zero the curvature there.)
    """
    ce = (torch.logaddexp(torch.zeros_like(z), z) - y * z).mean(dim=-1)
    mse = ((torch.sigmoid(z) - y) ** 2).mean(dim=-1)
    return {LOSS_CE: ce, LOSS_MSE: mse}


def _data(data: tuple[object, object] | None) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = toy_1d() if data is None else data
    return as_tensor(x).reshape(-1), as_tensor(y).reshape(-1)


def loss_curve(w_grid: object, b: float = 0.0, data: tuple[object, object] | None = None) -> pd.DataFrame:
    """Mean loss of logistic regression against the weight w, bias held at ``b``.

    The teaching point: cross-entropy on a sigmoid is convex in w (its second
    derivative is mean(x^2 s (1 - s)) >= 0, one valley, gradient descent
    cannot get stuck), while squared error on a sigmoid is not: its curvature
    turns negative and the curve flattens into plateaus where the gradient is
    ~0 even though the loss is high.

    Long form, columns ``w, loss, value, slope, curvature``: for each loss
    (``LOSS_CE``, ``LOSS_MSE``) and each w, the mean loss over ``data``
    (default ``toy_1d()``), and its first and second derivatives in w, by
    autograd in float64.
    """
    x, y = _data(data)
    w_np = np.asarray(w_grid, dtype=np.float64).reshape(-1)
    frames = []
    for label in (LOSS_CE, LOSS_MSE):
        w = torch.tensor(w_np, dtype=DTYPE, requires_grad=True)
        z = w[:, None] * x[None, :] + b
        value = _mean_losses(z, y)[label]
        # Each value depends on its own w only, so the gradient of the sum is
        # the per-point derivative; differentiating again gives curvature.
        (slope,) = torch.autograd.grad(value.sum(), w, create_graph=True)
        (curv,) = torch.autograd.grad(slope.sum(), w)
        frames.append(
            pd.DataFrame(
                {
                    "w": w_np,
                    "loss": label,
                    "value": value.detach().numpy(),
                    "slope": slope.detach().numpy(),
                    "curvature": curv.numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def loss_surface(
    w_grid: object,
    b_grid: object,
    data: tuple[object, object] | None = None,
    tol: float = 1e-10,
) -> pd.DataFrame:
    """Mean loss of logistic regression over a (w, b) grid, for a heatmap.

    A loss is convex exactly where its Hessian (the 2 x 2 matrix of second
    derivatives in w and b) is positive semi-definite everywhere. We compute
    the Hessian at each grid point by autograd and flag the points where its
    smallest eigenvalue is below ``-tol``: cross-entropy has none, squared
    error has whole regions.

    Long form, columns ``w, b, loss, value, grad_norm, min_curvature,
    non_convex``: one row per grid point and loss. ``grad_norm`` is the
    length of the gradient in (w, b) (near 0 on a plateau), ``min_curvature``
    the Hessian's smallest eigenvalue, ``non_convex`` a bool.
    """
    x, y = _data(data)
    w_np = np.asarray(w_grid, dtype=np.float64).reshape(-1)
    b_np = np.asarray(b_grid, dtype=np.float64).reshape(-1)
    w_mesh, b_mesh = np.meshgrid(w_np, b_np, indexing="ij")
    frames = []
    for label in (LOSS_CE, LOSS_MSE):
        w = torch.tensor(w_mesh, dtype=DTYPE, requires_grad=True)
        b = torch.tensor(b_mesh, dtype=DTYPE, requires_grad=True)
        z = w[..., None] * x + b[..., None]
        value = _mean_losses(z, y)[label]
        gw, gb = torch.autograd.grad(value.sum(), (w, b), create_graph=True)
        h_ww, h_wb = torch.autograd.grad(gw.sum(), (w, b), retain_graph=True)
        (h_bb,) = torch.autograd.grad(gb.sum(), b)
        # Smallest eigenvalue of the symmetric matrix [[a, c], [c, d]].
        half_trace = (h_ww + h_bb) / 2
        radius = torch.sqrt(((h_ww - h_bb) / 2) ** 2 + h_wb**2)
        min_eig = (half_trace - radius).numpy()
        frames.append(
            pd.DataFrame(
                {
                    "w": w_mesh.ravel(),
                    "b": b_mesh.ravel(),
                    "loss": label,
                    "value": value.detach().numpy().ravel(),
                    "grad_norm": torch.sqrt(gw**2 + gb**2).detach().numpy().ravel(),
                    "min_curvature": min_eig.ravel(),
                    "non_convex": (min_eig < -tol).ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
