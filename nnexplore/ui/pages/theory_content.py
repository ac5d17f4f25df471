"""The Theory page's content: small exact calculations behind the experiments.

* activation functions and their slopes;
* the softmax Jacobian for a vector the learner types;
* cross-entropy against squared error as functions of the predicted
  probability, and the chain rule that turns each loss's slope in p into the
  push on the score z;

by default followed by the two panels of :mod:`nnexplore.ui.pages.panels`
(loss landscape, gradient check), which the Experiments page shows too.

Every number in the text is read from the computation just made (the tables
of :mod:`nnexplore.theory`), never typed into the prose, so text and charts
cannot disagree. The heavy tables are cached with ``st.cache_data``: they do
not depend on the user, so one computation serves every session.

Safety: the vector a learner types is shown only as numbers, and a typo in it
is reported through :mod:`nnexplore.ui.safe_text`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from nnexplore import activations, theory
from nnexplore.theory_facts import activation_facts, fmt, push_sentence, push_table
from nnexplore.ui.charts import theory as theory_charts
from nnexplore.ui.pages.panels import render_gradient_check, render_loss_landscape, show_chart
from nnexplore.ui.safe_text import plain_text, split_quoted

DEFAULT_VECTOR = "2, 1, 0.1"
DEFAULT_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"]
# Every hidden activation: the curves, and softmax, which gets a note that points to its Jacobian.
ACTIVATION_OPTIONS = [a.name for a in activations.HIDDEN]


# --------------------------------------------------------------------------- cached computations


@st.cache_data(show_spinner=False)
def _activation_table() -> pd.DataFrame:
    return theory.activation_table()


@st.cache_data(show_spinner=False, max_entries=256)  # one entry per vector typed: keep it bounded
def _jacobian(values: tuple[float, ...]) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    return (
        theory.softmax(list(values)),
        theory.jacobian_table(list(values)),
        theory.softmax_jacobian(list(values)),
    )


@st.cache_data(show_spinner=False)
def _loss_vs_probability() -> pd.DataFrame:
    return theory.loss_vs_probability()


@st.cache_data(show_spinner=False)
def _push_factors() -> pd.DataFrame:
    return theory.push_factors()


# --------------------------------------------------------------------------- the page


def _activations_section() -> None:
    st.subheader("1. Activation functions and their slopes")
    st.markdown(
        "A unit adds up its inputs into one number *z* (its weighted sum) and passes it through an "
        "**activation function** *f*. When the network learns, the gradient (the signal that says how "
        "to change each weight) flowing back through the unit is **multiplied by the slope f′(z)**. "
        "Where the slope is near 0 the unit is *saturated*: almost no gradient gets through, and the "
        "layers before it learn slowly. (The live chart *Weak, off and dead units* calls a value "
        "*weak* when its slope is under a quarter of the activation's largest, and ReLU's flat side, "
        "slope exactly 0, *off*.)"
    )
    picks = st.multiselect(
        "Activation functions to plot",
        ACTIVATION_OPTIONS,
        default=DEFAULT_ACTIVATIONS,
        format_func=lambda a: activations.get(a).screen_name,
        key="theory_activations",
        help="Pick the functions to compare. Hover a chart to read every curve's value at that z.",
    )
    curves = [a for a in picks if a in theory.ACTIVATIONS]
    if "softmax" in picks:
        st.info(
            "**Softmax** is not drawn here: it takes a whole vector of numbers and turns it into "
            "probabilities that add up to 1, so each output depends on *every* input. It has no single "
            "curve and no single slope; its slopes form a matrix, the Jacobian (section 2). "
            "With two inputs (z, 0), its first output is exactly sigmoid(z)."
        )
    if not curves:
        st.caption("Pick at least one element-wise function (all but softmax) to see the curves.")
        return
    table = _activation_table()
    data = table[table["activation"].isin(curves)]
    left, right = st.columns(2)
    with left:
        show_chart(theory_charts.activation_chart(data, "value"))
    with right:
        show_chart(theory_charts.activation_chart(data, "derivative"))
    facts = activation_facts(table, curves)
    c1, c2 = st.columns([3, 2])
    with c1:
        st.dataframe(
            facts,
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(c, format="%.4f")
                for c in ("largest slope", "slope at z = −4", "slope at z = 4")
            },
        )
        st.caption(
            "A slope near 0 at z = ±4 means a unit pushed that far passes back almost no gradient. "
            "Stack ten layers and these factors multiply."
        )
    with c2:
        for name in curves:  # one formula per line: side by side they overflow the column
            row = activations.get(name)
            st.latex(row.latex_f)
            st.latex(row.latex_slope)
        if "gelu" in curves:
            st.caption(
                "Φ(z) is the chance that a standard normal random number is below z; φ is its bell curve."
            )


def _jacobian_section() -> None:
    st.subheader("2. Softmax and its Jacobian")
    st.markdown(
        "Softmax turns a vector v into probabilities S that add up to 1. Because each S_i depends on all "
        'inputs, its "slope" is a table: the **Jacobian** J, where J_ij says how much output i moves '
        "when input j moves a little."
    )
    st.latex(
        r"S_i=\frac{e^{v_i}}{\sum_k e^{v_k}} \qquad J_{ij}=\frac{\partial S_i}{\partial v_j}=S_i\,(\delta_{ij}-S_j)"
    )
    st.caption("δ_ij is 1 when i = j and 0 otherwise. Each row and each column of J adds up to 0.")
    text = st.text_input(
        "Your vector v",
        value=DEFAULT_VECTOR,
        max_chars=200,
        key="theory_vector",
        help="2 to 10 numbers separated by commas or spaces, e.g. 2, 1, 0.1. Try 10, 0, 0 to see a saturated softmax.",
    )
    values, problem = theory.parse_vector(text)
    if values is None:
        message, quoted = split_quoted(problem)
        st.warning(plain_text(message))
        if quoted is not None:
            st.code(quoted, language=None)  # what they typed, shown verbatim, never as markup
        return
    probs, table, jac = _jacobian(tuple(values))
    left, right = st.columns([3, 2])
    with left:
        show_chart(theory_charts.jacobian_heatmap(table))
    with right:
        st.dataframe(
            pd.DataFrame(
                {"input v": values, "softmax S": probs}, index=[f"{k + 1}" for k in range(len(values))]
            ),
            column_config={"softmax S": st.column_config.NumberColumn(format="%.4f")},
        )
        biggest = float(np.abs(jac).max())
        st.metric(
            "Largest entry of J (size)",
            f"{biggest:.3g}",
            help="The most any output moves per unit change of any input. At most 0.25, reached when an output is exactly ½.",
        )
        if float(probs.max()) > 0.99:
            st.caption(
                f"One output is {probs.max():.4f}: the softmax is saturated, every entry of J is tiny, and "
                "as a hidden layer it would pass almost no gradient back."
            )
    with st.expander("The Jacobian as numbers"):
        n = len(values)
        st.dataframe(
            pd.DataFrame(jac, index=[f"S{i + 1}" for i in range(n)], columns=[f"v{j + 1}" for j in range(n)]),
            column_config={f"v{j + 1}": st.column_config.NumberColumn(format="%.5f") for j in range(n)},
        )


def _loss_probability_section() -> None:
    st.subheader("3. Cross-entropy or squared error: the loss for one prediction")
    st.markdown(
        "Say the right answer is class 1 (target t = 1) and the network gives it probability p. "
        "The **loss** is the penalty for that answer:"
    )
    c1, c2 = st.columns(2)
    with c1:
        st.latex(r"\text{cross-entropy: } L=-\log p")
    with c2:
        st.latex(r"\text{squared error: } L=(1-p)^2")
    table = _loss_vs_probability()
    left, right = st.columns(2)
    with left:
        show_chart(theory_charts.loss_probability_chart(table, "value"))
    with right:
        p_low = float(table["p"].min())
        at = table[table["p"] == p_low].set_index("loss")
        ce, se = at.loc[theory.LOSS_CE], at.loc[theory.LOSS_MSE]
        st.markdown(
            f"At p = {fmt(p_low)} (confidently wrong) cross-entropy is {fmt(ce['value'])}, squared error "
            f"only {fmt(se['value'])}: the log makes a confident mistake expensive."
        )
        st.markdown(
            "But the size of a loss is not how hard training pushes. Training changes the weights, "
            "and they move the output unit's score **z** (its weighted sum); p only follows, through "
            "the sigmoid p = σ(z). (With a softmax output, p is the right class's probability, and "
            "its slope in its own score is the same p(1 − p).) So the push is the loss's slope in "
            "z, and the chain rule splits it in two:"
        )
        st.latex(
            r"\frac{\partial L}{\partial z}=\frac{\partial L}{\partial p}\cdot\frac{\partial p}{\partial z},"
            r"\qquad \frac{\partial p}{\partial z}=p\,(1-p)"
        )
    # Full width: in half a 1400 px page the squared-error line ran past its column.
    st.latex(r"\text{cross-entropy: } \frac{\partial L}{\partial z}=-\frac{1}{p}\cdot p\,(1-p)=-(1-p)")
    st.latex(r"\text{squared error: } \frac{\partial L}{\partial z}=-2\,(1-p)\cdot p\,(1-p)=-2\,p\,(1-p)^2")
    factors = _push_factors()
    for column, factor in zip(st.columns(3), theory.PUSH_FACTORS, strict=True):
        with column:
            show_chart(theory_charts.push_factor_chart(factors, factor))
    st.caption(
        "The three charts share one log axis: each step down is ten times smaller. On a log axis a "
        "product is a sum: the push on z lies as far below the slope in p as p(1 − p) lies below 1."
    )
    numbers = push_table(factors)
    left, right = st.columns([3, 2])
    with left:
        st.dataframe(
            numbers,
            hide_index=True,
            column_config={
                c: st.column_config.NumberColumn(c, format="%.4f") for c in numbers.columns if c != "p"
            },
        )
        st.caption(
            "Negative: raising z lowers the loss. A training step goes against the gradient, so it "
            "raises z, and with it p."
        )
    with right:
        st.markdown(push_sentence(numbers))
    st.markdown(
        'This answers "softmax + cross-entropy and sigmoid + squared error both give t − o, so what '
        'is the benefit?": they do not both give it. With the log, the gradient in z is exactly '
        "p − 1, the error o − t; squared error's is 2(o − t) times p(1 − p), the factor the log "
        "would have cancelled. The gradient check below computes both on a batch."
    )


def render_theory_page(include_panels: bool = True) -> None:
    """The Theory page: activations, softmax Jacobian, loss vs probability, then the two panels.

    ``include_panels=False`` leaves out :func:`render_loss_landscape` and
    :func:`render_gradient_check`, for a page that shows them elsewhere.
    """
    st.header("Theory: why the standard recipe is standard")
    st.markdown(
        "Small exact calculations behind the experiments: no training, everything computed the moment "
        "you open the page. Hover any chart for the numbers."
    )
    _activations_section()
    st.divider()
    _jacobian_section()
    st.divider()
    _loss_probability_section()
    if include_panels:
        st.divider()
        render_loss_landscape()
        st.divider()
        render_gradient_check()
