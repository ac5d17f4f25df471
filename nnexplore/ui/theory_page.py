"""The Theory page and its two reusable panels (loss landscape, gradient check).

Public views:

* :func:`render_theory_page` — activation functions and their slopes, the
  softmax Jacobian for a vector the learner types, cross-entropy against
  squared error as functions of the predicted probability; by default
  followed by the two panels below.
* :func:`render_loss_landscape` — logistic regression on a small 1-D problem:
  the loss against the weight (and over weight and bias) for
  cross-entropy∘sigmoid and squared error∘sigmoid. The experiment card on
  "why the log in the loss" embeds it too.
* :func:`render_gradient_check` — the o − t identity checked by autograd on a
  batch, and the push each recipe gives against the output value. The MNIST
  experiment card embeds it with a real batch of model outputs.

Every number in the text is read from the computation just made (the tables
of :mod:`nnexplore.theory`), never typed into the prose, so text and charts
cannot disagree. The heavy tables are cached with ``st.cache_data``: they do
not depend on the user, so one computation serves every session.

Safety: nothing a learner types is rendered as HTML or markdown. The vector
they type is shown only as numbers (in tables); when a typo is reported, the
piece they typed goes into ``st.code`` (verbatim) and the warning itself is
our own words, escaped before ``st.warning`` renders it as markdown.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from nnexplore import theory
from nnexplore.ui import lesson_charts as lc

# Grids: fine enough to look smooth, small enough to compute and draw fast on
# a one-core server (the surface is 61 x 41 points per loss, per the design).
W_RANGE = (-8.0, 8.0)
B_RANGE = (-4.0, 4.0)
CURVE_POINTS = 241
SURFACE_W_POINTS = 61
SURFACE_B_POINTS = 41

DEFAULT_VECTOR = "2, 1, 0.1"
DEFAULT_ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "gelu"]
ACTIVATION_OPTIONS = [*theory.ACTIVATIONS, "softmax"]

GRADIENT_TOL = 1e-6  # the text calls it "one millionth": change both together

_ACTIVATION_LATEX: dict[str, str] = {
    "sigmoid": r"\sigma(z)=\frac{1}{1+e^{-z}} \qquad \sigma'(z)=\sigma(z)\,\bigl(1-\sigma(z)\bigr)\le 0.25",
    "tanh": r"\tanh(z)=\frac{e^{z}-e^{-z}}{e^{z}+e^{-z}} \qquad \tanh'(z)=1-\tanh^2(z)",
    "relu": r"\mathrm{ReLU}(z)=\max(0,\,z) \qquad \mathrm{ReLU}'(z)=\begin{cases}1 & z>0\\ 0 & z<0\end{cases}",
    "leaky_relu": (
        r"f(z)=\begin{cases}z & z>0\\ 0.01\,z & z\le 0\end{cases} \qquad "
        r"f'(z)=\begin{cases}1 & z>0\\ 0.01 & z<0\end{cases}"
    ),
    "elu": (
        r"\mathrm{ELU}(z)=\begin{cases}z & z>0\\ e^{z}-1 & z\le 0\end{cases} \qquad "
        r"\mathrm{ELU}'(z)=\begin{cases}1 & z>0\\ e^{z} & z<0\end{cases}"
    ),
    "gelu": r"\mathrm{GELU}(z)=z\,\Phi(z) \qquad \mathrm{GELU}'(z)=\Phi(z)+z\,\varphi(z)",
    "linear": r"f(z)=z \qquad f'(z)=1",
}

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$&\"'^=,;/%@?])")


def plain_text(text: str) -> str:
    """``text`` with every markdown-active character backslash-escaped.

    Streamlit renders ``st.warning``/``st.info`` bodies as markdown (links,
    images, colour directives, LaTeX between dollars). Escaping each ASCII
    punctuation mark makes the message display exactly as written, whatever
    a learner typed into it.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def split_quoted(problem: str) -> tuple[str, str | None]:
    """Take the learner's own text out of a parse_vector message.

    ``'"banana" is not a number. ...'`` becomes ``('The part shown below is
    not a number. ...', 'banana')``. Markdown escaping is not enough for
    typed text (GitHub-style markdown still turns a bare web address into a
    link), so the quoted part is shown apart, in ``st.code``. The quoted
    piece never holds whitespace (parse_vector splits on it), so the first
    '" ' ends it.
    """
    if problem.startswith('"') and '" ' in problem:
        quoted, rest = problem[1:].split('" ', 1)
        return f"The part shown below {rest}", quoted
    return problem, None


def _fmt(x: float, digits: int = 3) -> str:
    """A number for a sentence: 3 significant digits, a true minus sign."""
    return f"{x:.{digits}g}".replace("-", "−")


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
    return theory.gradient_vs_output()


def default_batch(batch: int = 64, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed stand-in batch: logits ~ N(0, 3²) and random class labels.

    The spread of 3 gives a mix of confident right, confident wrong and unsure
    outputs, as a half-trained network would. Same seed, same batch.
    """
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 3.0, size=(batch, classes)), rng.integers(0, classes, size=batch)


@st.cache_data(show_spinner=False)
def _default_check() -> dict[str, Any]:
    logits, labels = default_batch()
    return theory.gradient_check(logits, labels, tol=GRADIENT_TOL)


# --------------------------------------------------------------------------- facts for the prose


def activation_facts(table: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """For each activation in ``names``: its largest slope and its slopes at z = −4 and z = 4.

    Read from :func:`nnexplore.theory.activation_table`; a slope near 0 at
    z = ±4 is the saturation that stops gradients in deep sigmoid/tanh nets.
    """
    rows = []
    for name in names:
        part = table[table["activation"] == name]
        if part.empty:
            continue
        z = part["z"].to_numpy(dtype=float)
        d = part["derivative"].to_numpy(dtype=float)
        rows.append(
            {
                "activation": lc.ACTIVATION_LABELS.get(name, name),
                "largest slope": float(d.max()),
                "slope at z = −4": float(d[np.argmin(np.abs(z + 4))]),
                "slope at z = 4": float(d[np.argmin(np.abs(z - 4))]),
            }
        )
    return pd.DataFrame(rows, columns=["activation", "largest slope", "slope at z = −4", "slope at z = 4"])


def _longest_run(mask: np.ndarray) -> slice | None:
    """The longest stretch of consecutive True values in ``mask``, or None if there is none."""
    best: tuple[int, int] | None = None
    start = None
    for k, flag in enumerate([*mask.tolist(), False]):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            if best is None or k - start > best[1] - best[0]:
                best = (start, k)
            start = None
    return None if best is None else slice(*best)


def landscape_facts(curve: pd.DataFrame, surface: pd.DataFrame) -> dict[str, Any]:
    """The numbers the loss-landscape sentence quotes, read from the tables.

    Per loss: ``min_curvature`` (smallest second derivative along w),
    ``regions`` (list of (from w, to w) that bend downward), ``non_convex_share``
    (share of (w, b) grid points where the surface bends downward in some
    direction), and ``plateau``: the w range (or None) where the loss is in
    the upper half of its range yet its slope is under a tenth of its
    steepest slope — high and flat, the trap for gradient descent — with
    the loss and slope there (the longest such stretch).
    """
    regions = lc.negative_curvature_regions(curve)
    facts: dict[str, Any] = {}
    for label in (theory.LOSS_CE, theory.LOSS_MSE):
        part = curve[curve["loss"] == label].sort_values("w")
        surf = surface[surface["loss"] == label]
        value = part["value"].to_numpy(dtype=float)
        slope = np.abs(part["slope"].to_numpy(dtype=float))
        high = value > value.min() + 0.5 * (value.max() - value.min())
        flat = slope < 0.1 * slope.max()
        where = high & flat
        plateau = None
        run = _longest_run(where)
        if run is not None:
            w = part["w"].to_numpy(dtype=float)[run]
            plateau = {
                "w_from": float(w.min()),
                "w_to": float(w.max()),
                "loss": float(value[run].mean()),
                "max_slope": float(slope[run].max()),
            }
        mine = regions[regions["loss"] == label]
        facts[label] = {
            "min_curvature": float(part["curvature"].min()),
            "regions": [(float(a), float(b)) for a, b in zip(mine["w_start"], mine["w_end"], strict=True)],
            "non_convex_share": float(surf["non_convex"].mean()) if len(surf) else 0.0,
            "plateau": plateau,
        }
    return facts


def _range_words(a: float, b: float, lo: float, hi: float) -> str:
    """'w below −3.1', 'w above 2.6', or 'w from a to b', for a stretch inside [lo, hi]."""
    step = (hi - lo) / 100
    if a <= lo + step and b >= hi - step:
        return "every w on the chart"
    if a <= lo + step:
        return f"w below {_fmt(b, 2)}"
    if b >= hi - step:
        return f"w above {_fmt(a, 2)}"
    return f"w from {_fmt(a, 2)} to {_fmt(b, 2)}"


def landscape_sentences(facts: dict[str, Any], w_range: tuple[float, float] = W_RANGE) -> list[str]:
    """One markdown sentence per loss saying whether it is convex and where it is flat."""
    out = []
    names = {theory.LOSS_CE: "Cross-entropy ∘ sigmoid", theory.LOSS_MSE: "Squared error ∘ sigmoid"}
    for label, name in names.items():
        f = facts[label]
        if not f["regions"]:
            text = (
                f"**{name} is convex**: its curvature never drops below 0 on this grid "
                f"(smallest: {_fmt(f['min_curvature'])}), so it has one valley and every downhill path leads there."
            )
            if f["non_convex_share"] == 0:
                text += " Over weight *and* bias, none of the grid points bends downward either."
        else:
            where = " and ".join(_range_words(a, b, *w_range) for a, b in f["regions"])
            text = (
                f"**{name} is not convex**: it bends downward for {where} (shaded), and over weight *and* "
                f"bias {f['non_convex_share']:.0%} of the grid points bend downward in some direction (×)."
            )
        plateau = f["plateau"]
        if plateau is None:
            text += " It has no flat plateau: wherever the loss is high, the slope is steep."
        else:
            text += (
                f" Flat plateau: for {_range_words(plateau['w_from'], plateau['w_to'], *w_range)} the loss "
                f"stays high (about {_fmt(plateau['loss'], 2)}) but the slope is below {_fmt(plateau['max_slope'], 2)}, "
                "so gradient descent started there barely moves."
            )
        out.append(text)
    return out


# --------------------------------------------------------------------------- the page


def _chart(chart: Any) -> None:
    st.altair_chart(chart, width="stretch")


def _activations_section() -> None:
    st.subheader("1. Activation functions and their slopes")
    st.markdown(
        "A unit adds up its inputs into one number *z* (its weighted sum) and passes it through an "
        "**activation function** *f*. When the network learns, the gradient (the signal that says how "
        "to change each weight) flowing back through the unit is **multiplied by the slope f′(z)**. "
        "Where the slope is near 0 the unit is *saturated*: almost no gradient gets through, and the "
        "layers before it learn slowly."
    )
    picks = st.multiselect(
        "Activation functions to plot",
        ACTIVATION_OPTIONS,
        default=DEFAULT_ACTIVATIONS,
        format_func=lambda a: lc.ACTIVATION_LABELS.get(a, a),
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
        _chart(lc.activation_chart(data, "value"))
    with right:
        _chart(lc.activation_chart(data, "derivative"))
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
        for name in curves:
            st.latex(_ACTIVATION_LATEX[name])
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
        _chart(lc.jacobian_heatmap(table))
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
            help="The most any output moves per unit change of any input. At most 0.25, reached when two outputs share the probability evenly.",
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
        "The **loss** is the penalty; its **slope** dL/dp is how hard training pushes p up."
    )
    c1, c2 = st.columns(2)
    with c1:
        st.latex(r"\text{cross-entropy: } L=-\log p \qquad \frac{dL}{dp}=-\frac{1}{p}")
    with c2:
        st.latex(r"\text{squared error: } L=(1-p)^2 \qquad \frac{dL}{dp}=-2\,(1-p)")
    table = _loss_vs_probability()
    left, right = st.columns(2)
    with left:
        _chart(lc.loss_probability_chart(table, "value"))
    with right:
        _chart(lc.loss_probability_chart(table, "gradient"))
    p_low = float(table["p"].min())
    at = table[table["p"] == p_low].set_index("loss")
    ce, se = at.loc[theory.LOSS_CE], at.loc[theory.LOSS_MSE]
    st.markdown(
        f"At p = {_fmt(p_low)} (confidently wrong), cross-entropy is {_fmt(ce['value'])} and pushes with "
        f"{_fmt(abs(ce['gradient']))}; squared error is only {_fmt(se['value'])} and pushes with "
        f"{_fmt(abs(se['gradient']))}. The log makes a confident mistake expensive, so it gets fixed first."
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
    left, right = st.columns(2)
    for column, label, name in (
        (left, theory.LOSS_CE, "cross-entropy ∘ sigmoid"),
        (right, theory.LOSS_MSE, "squared error ∘ sigmoid"),
    ):
        with column:
            _chart(lc.loss_curve_chart(curve[curve["loss"] == label], title=f"{name}, bias b = {b:g}"))
    for sentence in landscape_sentences(landscape_facts(curve, surface)):
        st.markdown(sentence)
    left, right = st.columns(2)
    for column, label, name in (
        (left, theory.LOSS_CE, "cross-entropy ∘ sigmoid"),
        (right, theory.LOSS_MSE, "squared error ∘ sigmoid"),
    ):
        with column:
            _chart(lc.loss_surface_chart(surface[surface["loss"] == label], title=f"{name} over w and b"))
    st.caption(
        "Colour: the loss (dark is low). ×: the surface bends downward in some direction there "
        "(the smallest eigenvalue of its matrix of second derivatives, the Hessian, is negative). "
        "◆: the lowest point of the grid."
    )


def render_gradient_check(logits: Any = None, targets: Any = None, source: str | None = None) -> None:
    """Check "∂L/∂z = o − t" with autograd on a batch, and plot each recipe's push.

    ``logits`` is (batch, classes) of output-layer pre-activations (a torch
    tensor straight from a model is fine); ``targets`` the class labels or
    one-hot rows. When either is missing, a fixed random batch of 64 x 10 is
    used. ``source`` names the batch in the text (e.g. "the MNIST run you just
    trained"); it is the caller's text, not the learner's.
    """
    st.subheader("Gradient check: is it really o − t?")
    st.markdown(
        'Both recipes are often summed up as "the gradient is t − o". Here autograd (the machinery '
        "that trains the networks) computes the gradient at the output layer's weighted sum z, and we "
        "compare it with each formula:"
    )
    c1, c2 = st.columns(2)
    with c1:
        st.latex(r"\text{softmax + cross-entropy: }\ \frac{\partial L}{\partial z}=o-t")
    with c2:
        st.latex(r"\text{sigmoid + squared error: }\ \frac{\partial L}{\partial z}=2\,(o-t)\,o\,(1-o)")
    result: dict[str, Any] | None = None
    where = source or "the batch given"
    if logits is not None and targets is not None:
        try:
            result = theory.gradient_check(logits, targets, tol=GRADIENT_TOL)
        except ValueError as exc:
            st.warning(plain_text(f"Could not check that batch: {exc} Using a random batch instead."))
    elif logits is not None or targets is not None:
        st.warning(
            "A gradient check needs both the outputs and the right answers; using a random batch instead."
        )
    if result is None:
        result = _default_check()
        where = "a fixed batch of random outputs"
    st.caption(f"Batch: {where}, {result['batch_size']} examples × {result['num_classes']} classes.")
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        "Largest difference, softmax + CE",
        f"{result['ce_max_diff']:.1e}",
        help="The largest gap, over every example and class, between autograd's gradient and (o − t)/batch size.",
    )
    m2.metric(
        "Largest difference, sigmoid + SE",
        f"{result['mse_max_diff']:.1e}",
        help="The largest gap between autograd's gradient and 2(o − t)·o·(1 − o)/batch size.",
    )
    m3.metric(
        "Push per example, softmax + CE",
        f"{result['ce_mean_abs']:.3f}",
        help="Mean over the examples of the summed size |∂L/∂z| over the classes: how hard this batch pushes the outputs.",
    )
    m4.metric(
        "Push per example, sigmoid + SE",
        f"{result['mse_mean_abs']:.3f}",
        help="The same for sigmoid + squared error, on the very same outputs.",
    )
    if result["ok"]:
        st.markdown(
            "Both differences are below one millionth: only rounding error. The formulas hold exactly, "
            "but they are not the same formula: sigmoid + squared error has the extra factor o·(1 − o)."
        )
    else:
        st.warning(
            "A difference is above one millionth: the check did not pass on this batch "
            "(very large outputs can lose precision)."
        )
    table = _gradient_vs_output()
    left, right = st.columns([3, 2])
    with left:
        _chart(lc.gradient_output_chart(table))
    with right:
        o_low = float(table["o"].min())
        at = table[table["o"] == o_low].set_index("recipe")["gradient"]
        peak = table[table["recipe"] == theory.RECIPE_MSE].nlargest(1, "gradient").iloc[0]
        st.markdown(
            f"For one output whose target is 1: when it is confidently wrong (o = {_fmt(o_low)}), "
            f"softmax + cross-entropy pushes with {_fmt(at[theory.RECIPE_CE])}, sigmoid + squared error "
            f"with only {_fmt(at[theory.RECIPE_MSE])}. Squared error pushes hardest at o ≈ {_fmt(peak['o'], 2)} "
            f"({_fmt(peak['gradient'])}): the more wrong the sigmoid unit is, the less it learns."
        )
