"""The gradient at the output layer, recipe by recipe: question 3 ("t − o either way: so what?").

Four recipes (an output activation and a loss trained together) and each one's
∂ℓ/∂z at the output layer's scores z, by autograd through the engine's own
losses and in closed form: softmax + cross-entropy and sigmoid + binary
cross-entropy give exactly o − t, raw outputs + squared error 2(o − t), and
sigmoid + squared error keeps the sigmoid's slope, 2(o − t)·o(1 − o). The
Theory page's gradient check and the mnist-gradient card show them; the tests
check every autograd result against its closed form. Nothing here imports
streamlit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from nnexplore import activations
from nnexplore.theory import DTYPE, as_tensor

# Series labels, shared by the tables and the charts that colour by them.
RECIPE_CE = "softmax + cross-entropy"
RECIPE_BCE = "sigmoid + binary cross-entropy"
RECIPE_RAW = "raw outputs + squared error"
RECIPE_MSE = "sigmoid + squared error"


def _targets_onehot(targets: object, logits: torch.Tensor) -> torch.Tensor:
    """Targets as float64 one-hot rows; accepts class indices or one-hot."""
    t = targets.detach().cpu() if isinstance(targets, torch.Tensor) else torch.as_tensor(np.asarray(targets))
    if t.ndim == 1 and t.shape[0] == logits.shape[0] and not t.is_floating_point():
        num_classes = logits.shape[1]
        if t.numel() and (t.min() < 0 or t.max() >= num_classes):
            raise ValueError(f"Class labels must lie between 0 and {num_classes - 1}.")
        return F.one_hot(t.long(), num_classes).to(DTYPE)
    t = t.to(DTYPE)
    if t.shape != logits.shape:
        raise ValueError(
            f"Targets shaped {tuple(t.shape)} do not match logits shaped {tuple(logits.shape)}: "
            "give one one-hot row per example, or one class label per example."
        )
    return t


@dataclass(frozen=True)
class Recipe:
    """An output activation and a loss trained together, and its gradient at the output, closed form.

    ``closed(o, t)`` is ∂ℓ/∂z for one example (ℓ its loss, z its output layer's scores, o the
    outputs after the activation, t the one-hot target); ``latex`` the same formula for the page.
    """

    name: str
    output: str
    loss: str
    closed: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    latex: str


#: The four recipes of the "same t − o gradient?" question, in the order the page shows them. Two
#: pairs: softmax + cross-entropy and sigmoid + binary cross-entropy both give exactly o − t (the
#: log cancels the activation's slope); raw outputs + squared error give 2(o − t) (there is no
#: slope to cancel); sigmoid + squared error keep the slope o(1 − o).
RECIPES: tuple[Recipe, ...] = (
    Recipe(RECIPE_CE, "softmax", "cross_entropy", lambda o, t: o - t, r"o-t"),
    Recipe(RECIPE_BCE, "sigmoid", "binary_cross_entropy", lambda o, t: o - t, r"o-t"),
    Recipe(RECIPE_RAW, "none", "mse", lambda o, t: 2.0 * (o - t), r"2\,(o-t)"),
    Recipe(RECIPE_MSE, "sigmoid", "mse", lambda o, t: 2.0 * (o - t) * o * (1.0 - o), r"2\,(o-t)\,o\,(1-o)"),
)


def output_gradients(logits: object, targets_onehot: object) -> dict[str, dict[str, np.ndarray | float]]:
    """Each recipe's gradient with respect to the output pre-activation z, by autograd and in closed form.

    Both "softmax + cross-entropy" and "sigmoid + squared error" are often summarised as "the
    gradient is t - o"; the four RECIPES show what is true. The autograd gradient goes through
    the engine's own loss (nnexplore.losses, the function training calls: summed over the
    classes, averaged over the batch), in float64, and is scaled back by the batch size B, so
    each row is one example's ∂ℓ_i/∂z: exactly what the closed form gives.

    ``logits`` is (B, C); ``targets_onehot`` is (B, C) one-hot, or (B,) class labels. Returns,
    per recipe name: float64 arrays ``outputs`` (o), ``autograd`` and ``closed`` (each (B, C)),
    and floats ``max_diff`` (the largest |autograd - closed|) and ``push``: the mean over the
    examples of Σ_k |∂ℓ_i/∂z_k|, the size of one example's gradient at z. The training record's
    output push is this same number, for the training batches.
    """
    from nnexplore.losses import loss_fn  # the engine's losses: what training differentiates

    z0 = as_tensor(logits)
    if z0.ndim != 2 or z0.shape[0] == 0 or z0.shape[1] == 0:
        raise ValueError("Logits must be a non-empty table: one row per example, one column per class.")
    t = _targets_onehot(targets_onehot, z0)
    batch = z0.shape[0]
    out: dict[str, dict[str, np.ndarray | float]] = {}
    for recipe in RECIPES:
        z = z0.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(loss_fn(recipe.loss)(z, t, recipe.output), z)
        per_example = grad * batch
        o = activations.get(recipe.output).f(z0)
        closed = recipe.closed(o, t)
        out[recipe.name] = {
            "outputs": o.numpy(),
            "autograd": per_example.numpy(),
            "closed": closed.numpy(),
            "max_diff": float((per_example - closed).abs().max()),
            "push": float(per_example.abs().sum(dim=1).mean()),
        }
    return out


def gradient_check(model_logits: object, targets: object, tol: float = 1e-6) -> dict[str, object]:
    """Check each recipe's closed-form output gradient numerically on a real batch of model outputs.

    ``model_logits`` are the output layer's pre-activations for a batch (a tensor straight from
    the model is fine: it is detached and moved to the CPU in float64); ``targets`` are class
    labels (B,) or one-hot (B, C).

    Returns plain numbers for a small table: ``batch_size``, ``num_classes``, ``ok`` (every
    recipe's difference below ``tol``) and ``recipes``: per recipe name, ``max_diff`` (autograd
    against the closed form, per example) and ``push`` (the mean over the examples of
    Σ_k |∂ℓ_i/∂z_k|), all on the very same outputs.
    """
    g = output_gradients(model_logits, targets)
    first = next(iter(g.values()))
    batch, classes = first["autograd"].shape
    recipes = {name: {"max_diff": float(r["max_diff"]), "push": float(r["push"])} for name, r in g.items()}
    return {
        "batch_size": int(batch),
        "num_classes": int(classes),
        "ok": all(r["max_diff"] < tol for r in recipes.values()),
        "recipes": recipes,
    }


def gradient_vs_output(n: int = 200, o_min: float = 0.001, o_max: float = 0.999) -> pd.DataFrame:
    """How hard each recipe pushes, |∂ℓ/∂z|, against the output o, for one output whose target is 1.

    One output unit, target 1, its output o from ``o_min`` to ``o_max``:

    * softmax + cross-entropy (two classes, the other score 0, so softmax(z, 0)[0] = sigmoid(z))
      and sigmoid + binary cross-entropy: ∂ℓ/∂z = o - 1, the same line. The more wrong the
      output, the harder the push; at o ~ 0 it is ~1.
    * raw outputs + squared error: ∂ℓ/∂z = 2(o - 1), twice that (and o may be any number).
    * sigmoid + squared error: ∂ℓ/∂z = 2(o - 1) o (1 - o). Largest at o = 1/3, and it falls to
      0 as o -> 0: the network that is confidently wrong barely learns from its mistake.

    Long form, columns ``o, recipe, gradient`` (``gradient`` is |∂ℓ/∂z|, by autograd through
    each recipe's loss), ``n`` points per recipe, in the order of RECIPES. o = 0.001 is on the
    default grid.
    """
    o_grid = np.linspace(o_min, o_max, n)
    logit = np.log(o_grid) - np.log1p(-o_grid)  # the z that gives each o through a sigmoid
    losses: dict[str, tuple[np.ndarray, Callable[[torch.Tensor], torch.Tensor]]] = {
        RECIPE_CE: (
            logit,
            lambda z: -torch.log_softmax(torch.stack([z, torch.zeros_like(z)], dim=1), dim=1)[:, 0],
        ),
        RECIPE_BCE: (logit, lambda z: -F.logsigmoid(z)),
        RECIPE_RAW: (o_grid, lambda z: (z - 1.0) ** 2),
        RECIPE_MSE: (logit, lambda z: (torch.sigmoid(z) - 1.0) ** 2),
    }
    frames = []
    for recipe in RECIPES:
        z_grid, fn = losses[recipe.name]
        z = torch.tensor(z_grid, dtype=DTYPE, requires_grad=True)
        (grad,) = torch.autograd.grad(fn(z).sum(), z)
        frames.append(pd.DataFrame({"o": o_grid, "recipe": recipe.name, "gradient": grad.abs().numpy()}))
    return pd.concat(frames, ignore_index=True)
