"""The two Theory panels that the Experiments page shows too: the loss landscape and the gradient check.

* :func:`render_loss_landscape` — logistic regression on a small 1-D problem:
  the loss against the weight (and over weight and bias) for
  cross-entropy∘sigmoid and squared error∘sigmoid. The experiment card on
  "why the log in the loss" embeds it too.
* :func:`render_gradient_check` — each recipe's output gradient (o − t for
  softmax + cross-entropy and sigmoid + binary cross-entropy, 2(o − t) for raw
  outputs + squared error, 2(o − t)·o·(1 − o) for sigmoid + squared error)
  checked by autograd on a batch, and the push each gives against the output
  value. The MNIST experiment card embeds it with a real batch of model outputs.

Every number in the text is read from the computation just made (see
:mod:`nnexplore.theory_facts`). The tables are cached with ``st.cache_data``:
they do not depend on the user, so one computation serves every session.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st
import torch

from nnexplore import output_gradients, theory
from nnexplore.theory_facts import default_batch, fmt, landscape_facts, landscape_sentences
from nnexplore.ui.charts import theory as theory_charts
from nnexplore.ui.safe_text import plain_text

# The server's own torch work is these small calculations (the Theory page's too): one thread, so
# that it never competes with the training processes for the box's cores.
torch.set_num_threads(1)

# Grids: fine enough to look smooth, small enough to compute and draw fast on
# a one-core server (the surface is 61 x 41 points per loss, per the design).
W_RANGE = (-8.0, 8.0)
B_RANGE = (-4.0, 4.0)
CURVE_POINTS = 241
SURFACE_W_POINTS = 61
SURFACE_B_POINTS = 41

GRADIENT_TOL = 1e-6  # the text calls it "one millionth": change both together
HESSIAN_CE = (
    r"\nabla^2_{(w,\,b)}\,L_{\mathrm{CE}} = \frac{1}{n}\sum_k p_k\,(1-p_k)"
    r"\begin{pmatrix} x_k^2 & x_k \\ x_k & 1 \end{pmatrix} \;\succeq\; 0"
)
#: The two losses of the logistic-regression landscape, each drawn in its own column.
SIGMOID_LOSSES = (
    (theory.LOSS_CE, "cross-entropy ∘ sigmoid"),
    (theory.LOSS_MSE, "squared error ∘ sigmoid"),
)


@st.cache_data(show_spinner=False, max_entries=32)
def _loss_curve(b: float) -> pd.DataFrame:
    return theory.loss_curve(np.linspace(*W_RANGE, CURVE_POINTS), b=b)


@st.cache_data(show_spinner=False)
def _loss_surface() -> pd.DataFrame:
    return theory.loss_surface(
        np.linspace(*W_RANGE, SURFACE_W_POINTS), np.linspace(*B_RANGE, SURFACE_B_POINTS)
    )


@st.cache_data(show_spinner=False)
def _gradient_vs_output() -> pd.DataFrame:
    return output_gradients.gradient_vs_output()


@st.cache_data(show_spinner=False)
def _default_check() -> dict[str, Any]:
    logits, labels = default_batch()
    return output_gradients.gradient_check(logits, labels, tol=GRADIENT_TOL)


def show_chart(chart: Any) -> None:
    """An Altair chart across the whole column."""
    st.altair_chart(chart, width="stretch")


def render_loss_landscape(key: str = "landscape") -> None:
    """Logistic regression on a 1-D toy problem: is the loss convex in the weight?

    ``key`` prefixes the panel's widget keys, so the panel can appear on two
    pages (or twice on one) without clashing.
    """
    st.subheader("The loss landscape of logistic regression")
    x, _ = theory.toy_1d()
    st.markdown(
        f"The simplest classifier: p = sigmoid(w·x + b) on {len(x)} points on a line, half of each class, "
        "overlapping. We draw the mean loss for every weight w. A **convex** loss (shaped like a bowl, "
        "never bending downward) has one valley, and gradient descent finds it from anywhere."
    )
    st.latex(
        r"p_k=\sigma(w x_k+b) \quad "
        r"L_{\mathrm{CE}}=-\frac{1}{n}\sum_k\bigl[y_k\log p_k+(1-y_k)\log(1-p_k)\bigr] \quad "
        r"L_{\mathrm{SE}}=\frac{1}{n}\sum_k (p_k-y_k)^2"
    )
    st.markdown(
        "Curving upwards along w alone would not make a loss convex: it must curve upwards (or stay "
        "flat) in every direction of (w, b) at once. Cross-entropy of a sigmoid does. Its matrix of "
        "second derivatives, the **Hessian** H, is a sum of pieces that each bend upward:"
    )
    st.latex(HESSIAN_CE)
    st.caption(
        "⪰ 0 means that for every direction v = (v₁, v₂), vᵀHv = (1/n)·Σ_k p_k(1 − p_k)(v₁x_k + v₂)² ≥ 0. "
        "The same holds with many classes: softmax followed by cross-entropy is convex in the "
        "weights of a network with no hidden layer."
    )
    b = st.slider(
        "Bias b for the curves",
        min_value=-3.0,
        max_value=3.0,
        value=0.0,
        step=0.5,
        key=f"{key}_bias",
        help="The curves show the loss against w with the bias held at this value. The heatmaps below show every bias at once.",
    )
    curve = _loss_curve(float(b))
    surface = _loss_surface()
    for column, (label, name) in zip(st.columns(2), SIGMOID_LOSSES):
        with column:
            show_chart(
                theory_charts.loss_curve_chart(curve[curve["loss"] == label], title=f"{name}, bias b = {b:g}")
            )
    for sentence in landscape_sentences(landscape_facts(curve, surface), W_RANGE):
        st.markdown(sentence)
    for column, (label, name) in zip(st.columns(2), SIGMOID_LOSSES):
        with column:
            show_chart(
                theory_charts.loss_surface_chart(
                    surface[surface["loss"] == label], title=f"{name} over w and b"
                )
            )
    st.caption(
        "Colour: the loss (dark is low). ×: the surface bends downward in some direction there "
        "(the smallest eigenvalue of its matrix of second derivatives, the Hessian, is negative). "
        "◆: the lowest point of the grid."
    )


def render_gradient_check(
    logits: Any = None,
    targets: Any = None,
    source: str | None = None,
    own_batches: dict[str, tuple[Any, Any, str]] | None = None,
) -> None:
    """Check each recipe's output gradient with autograd on a batch, and plot each recipe's push.

    ``logits`` is (batch, classes) of output-layer pre-activations (a torch
    tensor straight from a model is fine); ``targets`` the class labels or
    one-hot rows. When either is missing, a fixed random batch of 64 x 10 is
    used. ``source`` names the batch in the text (e.g. "the MNIST run you just
    trained"); it is the caller's text, not the learner's.

    ``own_batches``: recipe name -> (logits, targets, run name) for the recipes a card trained.
    Each such recipe is checked on its own run's batch, so that its push per example is its run's
    push (a raw-outputs row computed on a sigmoid run's scores read as 121, its run's as 1.7).
    """
    st.subheader("Gradient check: is it really o − t?")
    st.markdown(
        'Softmax + cross-entropy and sigmoid + squared error are both often summed up as "the gradient '
        'is t − o". Here autograd (the machinery that trains the networks) computes, for each recipe, '
        "the gradient of one example's loss ℓ at the output layer's weighted sums z, and compares it "
        "with the recipe's formula (o: the outputs after the recipe's activation; t: the target, 1 for "
        "the right class and 0 for the others):"
    )
    for left, right in (output_gradients.RECIPES[:2], output_gradients.RECIPES[2:]):
        c1, c2 = st.columns(2)
        for column, recipe in ((c1, left), (c2, right)):
            with column:
                st.latex(rf"\text{{{recipe.name}: }}\ \frac{{\partial \ell}}{{\partial z}}={recipe.latex}")
    st.caption(
        "These are gradients, o − t: they point the way the loss grows. A training step goes the other "
        "way: each weight moves by −(learning rate) × its gradient, and that moves z in the "
        'direction of t − o. That is where "t − o" comes from.'
    )
    result: dict[str, Any] | None = None
    where = source or "the batch given"
    if logits is not None and targets is not None:
        try:
            result = output_gradients.gradient_check(logits, targets, tol=GRADIENT_TOL)
        except ValueError as exc:
            st.warning(plain_text(f"Could not check that batch: {exc} Using a random batch instead."))
    elif logits is not None or targets is not None:
        st.warning(
            "A gradient check needs both the outputs and the right answers; using a random batch instead."
        )
    if result is None:
        result = _default_check()
        where = "a fixed batch of random outputs"
    caption = f"Batch: {where}, {result['batch_size']} examples × {result['num_classes']} classes."
    if own_batches:
        result = _own_runs_check(result, own_batches)
        caption = (
            "Batch: each recipe on a test batch of its own run (so its push per example is its run's), "
            f"{result['batch_size']} examples × {result['num_classes']} classes."
        )
    st.caption(caption)
    _show_check_table(result)
    if result["ok"]:
        st.markdown(
            "Every difference is below one millionth: only rounding error. The formulas hold exactly, "
            "and they come in pairs. Softmax + cross-entropy and sigmoid + binary cross-entropy are "
            "both exactly o − t, each with its own o; raw outputs + squared error is 2(o − t), with o "
            "any number. In these three no activation's slope multiplies the error: the log cancels "
            "it, or there is no activation. Sigmoid + squared error keeps the sigmoid's slope "
            "o·(1 − o) as an extra factor."
        )
    else:
        st.warning(
            "A difference is above one millionth: the check did not pass on this batch "
            "(very large outputs can lose precision)."
        )
    table = _gradient_vs_output()
    left, right = st.columns([3, 2])
    with left:
        show_chart(theory_charts.gradient_output_chart(table))
    with right:
        o_low = float(table["o"].min())
        at = table[table["o"] == o_low].set_index("recipe")["gradient"]
        peak = table[table["recipe"] == output_gradients.RECIPE_MSE].nlargest(1, "gradient").iloc[0]
        st.markdown(
            f"For one output whose target is 1: when it is confidently wrong (o = {fmt(o_low)}), "
            f"softmax + cross-entropy and sigmoid + binary cross-entropy both push with "
            f"{fmt(at[output_gradients.RECIPE_CE])} (one line), raw outputs + squared error with "
            f"{fmt(at[output_gradients.RECIPE_RAW])}, sigmoid + squared error with only {fmt(at[output_gradients.RECIPE_MSE])}. "
            f"Sigmoid + squared error pushes hardest at o ≈ {fmt(peak['o'], 2)} ({fmt(peak['gradient'])}): "
            "below that, the more wrong the sigmoid unit is, the less it learns."
        )


def _show_check_table(result: dict[str, Any]) -> None:
    """The gradient check's table, each column with its help."""
    st.dataframe(
        check_table(result),
        hide_index=True,
        column_config={
            "recipe": st.column_config.TextColumn("recipe", help="An output activation and a loss."),
            "formula": st.column_config.TextColumn("∂ℓ/∂z", help="The recipe's gradient in closed form."),
            "largest difference": st.column_config.NumberColumn(
                "largest difference",
                format="%.1e",
                help="The largest gap, over every example and class, between autograd's gradient "
                "and the formula.",
            ),
            "push per example": st.column_config.NumberColumn(
                "push per example",
                format="%.3f",
                help="How hard this batch pushes the outputs: the mean over the examples of "
                "Σ_k |∂ℓ/∂z_k|, the size of one example's gradient summed over the classes. The "
                "runs' output push is the same measure, on their training batches (on a card, each "
                "recipe's row is computed on its own run's test batch).",
            ),
        },
    )


def _own_runs_check(result: dict[str, Any], own_batches: dict[str, tuple[Any, Any, str]]) -> dict[str, Any]:
    """``result`` with each recipe in ``own_batches`` checked on its own run's batch instead."""
    recipes = dict(result["recipes"])
    ok = result["ok"]
    for name, (logits, targets, _run) in own_batches.items():
        try:
            own = output_gradients.gradient_check(logits, targets, tol=GRADIENT_TOL)
        except ValueError:
            continue  # that run's batch does not fit: the recipe keeps the shared batch's row
        recipes[name] = own["recipes"][name]
        ok = ok and own["recipes"][name]["max_diff"] < GRADIENT_TOL
    return {**result, "recipes": recipes, "ok": ok}


def check_table(result: dict[str, Any]) -> pd.DataFrame:
    """The gradient check as a table: one row per recipe, its formula, its largest difference, its push."""
    formulas = {
        output_gradients.RECIPE_CE: "o − t",
        output_gradients.RECIPE_BCE: "o − t",
        output_gradients.RECIPE_RAW: "2(o − t)",
        output_gradients.RECIPE_MSE: "2(o − t)·o·(1 − o)",
    }
    return pd.DataFrame(
        [
            {
                "recipe": name,
                "formula": formulas[name],
                "largest difference": r["max_diff"],
                "push per example": r["push"],
            }
            for name, r in result["recipes"].items()
        ]
    )
