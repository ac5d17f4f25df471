"""Altair chart builders for the Theory page: pure functions DataFrame -> chart.

Inputs are the long-form tables of :mod:`nnexplore.theory` (activation_table,
jacobian_table, loss_vs_probability, push_factors, loss_curve, loss_surface,
gradient_vs_output). The builders hold no state and never import streamlit,
so they are unit-tested through ``chart.to_dict()``.

Conventions, the same as :mod:`nnexplore.ui.charts.style`: titles and axes in
plain words, a tooltip on every mark, heights set and widths left to the
container (``st.altair_chart(chart, width="stretch")``), non-finite values
dropped before plotting (and values <= 0 on a log scale).

Colours mean the same thing on every lesson chart: one fixed colour per
activation function, and one per loss (cross-entropy blue, squared error
orange), so a learner who met a colour in one chart can read the next.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore import activations
from nnexplore.output_gradients import RECIPE_BCE, RECIPE_CE, RECIPE_MSE, RECIPE_RAW
from nnexplore.theory import LOSS_CE, LOSS_MSE, PUSH_FACTORS
from nnexplore.theory_facts import negative_curvature_regions

HEIGHT = 320

LOSS_COLORS: dict[str, str] = {LOSS_CE: "#4c78a8", LOSS_MSE: "#f58518"}
# The recipes with cross-entropy in the loss's blues and greens, the squared-error ones in orange and
# purple; the two o − t recipes draw one line, so the binary one is dashed to show both.
RECIPE_COLORS: dict[str, str] = {
    RECIPE_CE: "#4c78a8",
    RECIPE_BCE: "#54a24b",
    RECIPE_RAW: "#b279a2",
    RECIPE_MSE: "#f58518",
}
RECIPE_DASHES: dict[str, list[int]] = {
    RECIPE_CE: [1, 0],
    RECIPE_BCE: [6, 4],
    RECIPE_RAW: [1, 0],
    RECIPE_MSE: [1, 0],
}
# The chain-rule charts share one log axis, so a factor's size reads the same in all three.
PUSH_AXIS = (1e-4, 200.0)
PUSH_TITLES = {
    "dL/dp": ("|dL/dp|: the loss's slope in p", "1. The loss's slope in p"),
    "dp/dz": ("dp/dz = p(1 − p): p's slope in z", "2. How much p moves when z moves"),
    "dL/dz": ("|dL/dz| = |dL/dp| · dp/dz: the push on z", "3. Their product: the push on z"),
}
NEGATIVE_CURVATURE = "curves downward (not convex)"


# --------------------------------------------------------------------------- helpers


def _finite(df: pd.DataFrame, columns: Sequence[str], *, positive: Sequence[str] = ()) -> pd.DataFrame:
    """Rows whose ``columns`` are finite numbers (and ``positive`` ones > 0), as floats."""
    out = df.copy()
    for col in columns:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    keep = np.isfinite(out[list(columns)].to_numpy(dtype=float)).all(axis=1)
    for col in positive:
        keep &= out[col].to_numpy(dtype=float) > 0
    return out[keep].reset_index(drop=True)


def _named_color(field: str, mapping: dict[str, str], title: str, domain: Sequence[str]) -> alt.Color:
    """A nominal colour encoding with fixed colours, legend below the chart."""
    domain = [d for d in domain if d in mapping] or list(mapping)
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(domain=domain, range=[mapping[d] for d in domain]),
        legend=alt.Legend(orient="top", title=None, labelLimit=300),
    )


def _present(df: pd.DataFrame, field: str, order: Sequence[str]) -> list[str]:
    """The labels of ``order`` that occur in ``df[field]``, in that order."""
    seen = set(df[field].astype(str)) if field in df.columns else set()
    return [name for name in order if name in seen]


# --------------------------------------------------------------------------- activations


def activation_chart(df: pd.DataFrame, quantity: str = "value") -> alt.LayerChart:
    """One line per activation: its value f(z) or its slope f'(z) against the input z.

    Input: :func:`nnexplore.theory.activation_table`, already filtered to the
    activations the learner picked (columns activation, z, value, derivative).
    ``quantity`` is ``"value"`` or ``"derivative"``. Hovering shows every
    curve's number at the z under the pointer (a vertical rule and dots),
    which is how a learner reads "sigmoid's slope at z = 4 is 0.018".
    """
    if quantity not in ("value", "derivative"):
        raise ValueError('quantity must be "value" or "derivative".')
    data = _finite(df, ["z", quantity])
    data["name"] = data["activation"].map(activations.screen_names()).fillna(data["activation"].astype(str))
    palette = {a.screen_name: a.color for a in activations.CURVES}  # one colour per curve, on every chart
    present = set(data["activation"])
    names = [a.screen_name for a in activations.CURVES if a.name in present]
    color = _named_color("name", palette, "activation", names)
    if quantity == "value":
        y_title, title = "output f(z)", "Activation functions f(z)"
    else:
        y_title, title = "slope f′(z)", "Their slopes f′(z): how much gradient each passes back"
    x = alt.X("z:Q", title="input z (the unit's weighted sum)")
    y = alt.Y(f"{quantity}:Q", title=y_title)
    lines = alt.Chart(data).mark_line(strokeWidth=2).encode(x=x, y=y, color=color)
    hover = alt.selection_point(name="hover_z", fields=["z"], nearest=True, on="pointerover", empty=False)
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, size=50)
        .encode(
            x=x,
            y=y,
            color=color,
            opacity=alt.condition(hover, alt.value(1.0), alt.value(0.0)),
            tooltip=[
                alt.Tooltip("name:N", title="activation"),
                alt.Tooltip("z:Q", title="z", format=".2f"),
                alt.Tooltip(f"{quantity}:Q", title=y_title, format=".4g"),
            ],
        )
        .add_params(hover)
    )
    rule = alt.Chart(data).mark_rule(color="#888888").encode(x=alt.X("z:Q")).transform_filter(hover)
    return alt.layer(lines, dots, rule, title=title, height=HEIGHT)


# --------------------------------------------------------------------------- softmax Jacobian


def jacobian_heatmap(df: pd.DataFrame) -> alt.LayerChart:
    """The softmax Jacobian as a coloured grid, each cell labelled with its value.

    Input: :func:`nnexplore.theory.jacobian_table` (columns i, j, value; i
    the output, j the input, counted from 0). Shown counted from 1, as in the
    formula on the page. The colour scale is centred on 0 (red positive, blue
    negative) and symmetric, so a saturated softmax reads as "all pale".
    """
    data = _finite(df, ["i", "j", "value"])
    data["row"] = data["i"].astype(int) + 1
    data["col"] = data["j"].astype(int) + 1
    biggest = float(data["value"].abs().max()) if not data.empty else 1.0
    biggest = biggest if biggest > 0 else 1.0
    data["ink"] = np.where(data["value"].abs() > 0.6 * biggest, "light", "dark")
    n = int(data["row"].max()) if not data.empty else 1
    order = list(range(1, n + 1))
    x = alt.X("col:O", title="input v_j (column j)", sort=order, axis=alt.Axis(labelAngle=0))
    y = alt.Y("row:O", title="output S_i (row i)", sort=order)
    tooltip = [
        alt.Tooltip("row:O", title="output i"),
        alt.Tooltip("col:O", title="input j"),
        alt.Tooltip("value:Q", title="∂S_i/∂v_j", format=".4f"),
    ]
    cells = (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "value:Q",
                title="∂S_i/∂v_j",
                scale=alt.Scale(scheme="redblue", reverse=True, domain=[-biggest, biggest], domainMid=0),
            ),
            tooltip=tooltip,
        )
    )
    labels = (
        alt.Chart(data)
        .mark_text(fontSize=12 if n <= 6 else 9)
        .encode(
            x=x,
            y=y,
            text=alt.Text("value:Q", format=".3f"),
            color=alt.Color(
                "ink:N", scale=alt.Scale(domain=["light", "dark"], range=["white", "black"]), legend=None
            ),
            tooltip=tooltip,
        )
    )
    return alt.layer(
        cells,
        labels,
        title="Softmax Jacobian: how output i moves when input j moves",
        height=max(HEIGHT, 34 * n),
    )


# --------------------------------------------------------------------------- loss vs probability


def loss_probability_chart(df: pd.DataFrame, quantity: str = "value") -> alt.Chart:
    """Cross-entropy and squared error against the probability p of the right class (target 1).

    Input: :func:`nnexplore.theory.loss_vs_probability` (columns p, loss,
    value, gradient). ``quantity="value"`` draws the loss itself;
    ``quantity="gradient"`` draws the size of its slope |dL/dp| on a log
    scale, because cross-entropy's slope (1/p) is fifty times squared
    error's (2(1 − p)) at p = 0.01 and a linear axis would flatten the other curve.
    The slope in p is not the push training gives: that is the slope in z
    (see push_factor_chart).
    """
    if quantity not in ("value", "gradient"):
        raise ValueError('quantity must be "value" or "gradient".')
    data = df.copy()
    if quantity == "gradient":
        data["push"] = pd.to_numeric(data["gradient"], errors="coerce").abs()
        field, y_title = "push", "slope in p: |dL/dp| (log scale)"
        data = _finite(data, ["p", field], positive=[field])
        # Squared error's push falls to 0 at p = 1: below 0.01 the line runs off the bottom.
        scale = alt.Scale(type="log", domain=[0.01, 200])
        axis = alt.Axis(values=[0.01, 0.1, 1, 10, 100], format="~g")
        title = "Each loss's slope in p"
    else:
        field, y_title = "value", "loss L"
        data = _finite(data, ["p", field])
        scale = alt.Scale(zero=True)
        axis = alt.Axis()
        title = "Loss for a target of 1 (the right class)"
    data["loss"] = data["loss"].astype(str)
    color = _named_color("loss", LOSS_COLORS, "loss", _present(data, "loss", list(LOSS_COLORS)))
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2, clip=True)
        .encode(
            x=alt.X("p:Q", title="probability p given to the right class", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(f"{field}:Q", title=y_title, scale=scale, axis=axis),
            color=color,
            tooltip=[
                alt.Tooltip("loss:N", title="loss"),
                alt.Tooltip("p:Q", title="p", format=".3f"),
                alt.Tooltip("value:Q", title="loss", format=".4g"),
                alt.Tooltip("gradient:Q", title="dL/dp", format=".4g"),
            ],
        )
        .properties(title=title, height=HEIGHT)
    )


def push_factor_chart(df: pd.DataFrame, factor: str) -> alt.Chart:
    """One factor of the chain rule dL/dz = dL/dp · dp/dz against p, for both losses, on a log axis.

    Input: :func:`nnexplore.theory.push_factors` (columns p, loss, factor, value). ``factor`` is
    one of ``PUSH_FACTORS``. The size |value| is drawn on a log axis shared by the three charts
    (``PUSH_AXIS``), so that drawn side by side they show the 1/p of cross-entropy's slope and the
    p of p(1 − p) cancelling, and squared error keeping the p. dp/dz is the same for both losses:
    one grey line.
    """
    if factor not in PUSH_FACTORS:
        raise ValueError(f"factor must be one of {', '.join(PUSH_FACTORS)}.")
    data = df[df["factor"] == factor].copy()
    data["size"] = pd.to_numeric(data["value"], errors="coerce").abs()
    data = _finite(data, ["p", "size"], positive=["size"])
    data["loss"] = data["loss"].astype(str)
    y_title, title = PUSH_TITLES[factor]
    x = alt.X("p:Q", title="probability p given to the right class", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y(
        "size:Q",
        title=y_title,
        scale=alt.Scale(type="log", domain=list(PUSH_AXIS)),
        axis=alt.Axis(values=[1e-4, 1e-3, 0.01, 0.1, 1, 10, 100], format="~g"),
    )
    tooltip = [
        alt.Tooltip("p:Q", title="p", format=".2f"),
        alt.Tooltip("value:Q", title=factor, format=".4g"),
    ]
    if factor == "dp/dz":
        data = data[data["loss"] == LOSS_CE]  # the same for both losses
        chart = (
            alt.Chart(data)
            .mark_line(strokeWidth=2.5, color="#888888", clip=True)
            .encode(x=x, y=y, tooltip=tooltip)
        )
    else:
        color = _named_color("loss", LOSS_COLORS, "loss", _present(data, "loss", list(LOSS_COLORS)))
        chart = (
            alt.Chart(data)
            .mark_line(strokeWidth=2.5, clip=True)
            .encode(x=x, y=y, color=color, tooltip=[alt.Tooltip("loss:N", title="loss"), *tooltip])
        )
    return chart.properties(title=title, height=HEIGHT)


# --------------------------------------------------------------------------- loss landscape


def loss_curve_chart(curve: pd.DataFrame, title: str | None = None) -> alt.LayerChart:
    """Mean loss against the weight w, with the stretches that bend downward shaded.

    Input: :func:`nnexplore.theory.loss_curve` (columns w, loss, value,
    slope, curvature), for one loss or both. A convex loss has no shaded
    stretch: wherever gradient descent starts, downhill leads to the one
    valley. The shaded layer is always drawn (empty when there is nothing to
    shade) so the chart's structure does not depend on the data.
    """
    data = _finite(curve, ["w", "value", "slope", "curvature"])
    data["loss"] = data["loss"].astype(str)
    losses = _present(data, "loss", list(LOSS_COLORS))
    regions = negative_curvature_regions(data)
    regions["what"] = NEGATIVE_CURVATURE
    color = _named_color("loss", LOSS_COLORS, "loss", losses)
    x_scale = (
        alt.Scale(domain=[float(data["w"].min()), float(data["w"].max())])
        if not data.empty
        else alt.Undefined
    )
    shade = (
        alt.Chart(regions)
        .mark_rect(opacity=0.18, color="#e45756")
        .encode(
            x=alt.X("w_start:Q", title="weight w", scale=x_scale),
            x2=alt.X2("w_end:Q"),
            tooltip=[
                alt.Tooltip("loss:N", title="loss"),
                alt.Tooltip("what:N", title="shaded"),
                alt.Tooltip("w_start:Q", title="from w", format=".2f"),
                alt.Tooltip("w_end:Q", title="to w", format=".2f"),
            ],
        )
    )
    lines = (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("w:Q", title="weight w", scale=x_scale),
            y=alt.Y("value:Q", title="mean loss", scale=alt.Scale(zero=True)),
            color=color,
            tooltip=[
                alt.Tooltip("loss:N", title="loss"),
                alt.Tooltip("w:Q", title="w", format=".2f"),
                alt.Tooltip("value:Q", title="loss", format=".4f"),
                alt.Tooltip("slope:Q", title="slope dL/dw", format=".4f"),
                alt.Tooltip("curvature:Q", title="curvature d²L/dw²", format=".4f"),
            ],
        )
    )
    if title is None:
        title = "Loss against the weight w (shaded: bends downward)"
    return alt.layer(shade, lines, title=title, height=HEIGHT)


def _cell_edges(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rectangle edges around each grid coordinate: half way to each neighbour."""
    grid = np.unique(values)
    if grid.size == 1:
        return values - 0.5, values + 0.5
    mids = (grid[1:] + grid[:-1]) / 2
    lo = np.concatenate([[grid[0] - (mids[0] - grid[0])], mids])
    hi = np.concatenate([mids, [grid[-1] + (grid[-1] - mids[-1])]])
    idx = np.searchsorted(grid, values)
    return lo[idx], hi[idx]


def _uniform_half_step(values: np.ndarray) -> float | None:
    """Half the spacing of an evenly spaced grid, or None when it is uneven or a single point."""
    grid = np.unique(values)
    if grid.size < 2:
        return None
    steps = np.diff(grid)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=0):
        return None
    return float(steps[0] / 2)


def _round_sig(values: np.ndarray, digits: int = 5) -> np.ndarray:
    """Values rounded to ``digits`` significant digits (0 stays 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(values == 0, 0, np.floor(np.log10(np.abs(values))))
    scale = 10.0 ** (digits - 1 - mag)
    return np.round(values * scale) / scale


def loss_surface_chart(surface: pd.DataFrame, title: str | None = None) -> alt.LayerChart:
    """Heatmap of one loss over (weight w, bias b), points that are not convex marked.

    Input: :func:`nnexplore.theory.loss_surface` rows for *one* loss
    (columns w, b, value, grad_norm, min_curvature, non_convex). Colour is
    the loss on a log scale (dark = low), so the valley and a plateau that is
    high but flat are both visible. A small white cross marks each grid point
    where the surface bends downward in some direction (the Hessian's
    smallest eigenvalue is negative); a star marks the lowest point of the grid.
    """
    data = _finite(surface, ["w", "b", "value"], positive=["value"])
    if "loss" in data.columns and data["loss"].nunique() > 1:
        raise ValueError(
            "loss_surface_chart draws one loss at a time: filter the table by its 'loss' column."
        )
    # One small dataset shared by every layer, rounded, with only what is drawn
    # or shown: a 61 x 41 grid is ~150 kB for the browser, not megabytes.
    cols = ["w", "b", "value", "grad_norm", "min_curvature"]
    data = data.assign(flag=data["non_convex"].astype(bool).astype(int))[[*cols, "flag"]]
    edges: dict[str, str] = {}
    for axis in ("w", "b"):
        values = data[axis].to_numpy(dtype=float)
        step = _uniform_half_step(values)
        if step is None:  # an uneven grid: send each cell's edges explicitly
            lo, hi = _cell_edges(values)
            data[f"{axis}0"], data[f"{axis}1"] = _round_sig(lo), _round_sig(hi)
        else:  # an even grid: the browser works the edges out from the centres
            # 1% overlap hides the hairline gaps anti-aliasing leaves between cells.
            edges[f"{axis}0"] = f"datum.{axis} - {step * 1.01:.6g}"
            edges[f"{axis}1"] = f"datum.{axis} + {step * 1.01:.6g}"
    for col in cols:
        data[col] = _round_sig(data[col].to_numpy(dtype=float))
    base = alt.Chart(data)
    tooltip = [
        alt.Tooltip("w:Q", title="w", format=".2f"),
        alt.Tooltip("b:Q", title="b", format=".2f"),
        alt.Tooltip("value:Q", title="loss", format=".4f"),
        alt.Tooltip("grad_norm:Q", title="gradient size", format=".4f"),
        alt.Tooltip("min_curvature:Q", title="smallest curvature", format=".4f"),
    ]
    x_scale = alt.Scale(nice=False, zero=False)
    y_scale = alt.Scale(nice=False, zero=False)
    cells = (
        (base.transform_calculate(**edges) if edges else base)
        .mark_rect()
        .encode(
            x=alt.X("w0:Q", title="weight w", scale=x_scale),
            x2=alt.X2("w1:Q"),
            y=alt.Y("b0:Q", title="bias b", scale=y_scale),
            y2=alt.Y2("b1:Q"),
            color=alt.Color(
                "value:Q",
                title="loss (log scale)",
                scale=alt.Scale(type="log", scheme="viridis"),
                legend=alt.Legend(orient="right"),
            ),
            tooltip=tooltip,
        )
    )
    marks = (
        base.transform_filter("datum.flag == 1")
        .transform_calculate(marker="'the surface bends downward (not convex)'")
        .mark_point(shape="cross", filled=True, size=14, color="white", opacity=0.75)
        .encode(
            x=alt.X("w:Q", scale=x_scale),
            y=alt.Y("b:Q", scale=y_scale),
            tooltip=[alt.Tooltip("marker:N", title="here"), *tooltip],
        )
    )
    lowest = float(data["value"].min()) if not data.empty else 0.0
    star = (
        base.transform_filter(f"datum.value == {lowest!r}")
        .mark_point(shape="diamond", filled=True, size=140, color="#e45756", stroke="white")
        .encode(x=alt.X("w:Q", scale=x_scale), y=alt.Y("b:Q", scale=y_scale), tooltip=tooltip)
    )
    if title is None:
        title = "Loss over weight and bias (×: not convex, ◆: lowest)"
    return alt.layer(cells, marks, star, title=title, height=HEIGHT + 40)


# --------------------------------------------------------------------------- output gradient


def gradient_output_chart(df: pd.DataFrame) -> alt.Chart:
    """The push each recipe gives, |dL/dz|, against the output o, for a target of 1.

    Input: :func:`nnexplore.output_gradients.gradient_vs_output` (columns o, recipe,
    gradient). Left of the chart is a confidently *wrong* output (o near 0):
    the two recipes whose gradient is o − t push hardest there (one line,
    the binary one dashed over it), raw outputs with squared error twice as
    hard, sigmoid + squared error hardly at all.
    """
    data = _finite(df, ["o", "gradient"])
    data["recipe"] = data["recipe"].astype(str)
    present = _present(data, "recipe", list(RECIPE_COLORS))
    color = _named_color("recipe", RECIPE_COLORS, "recipe", present)
    dash = alt.StrokeDash(
        "recipe:N",
        scale=alt.Scale(domain=present, range=[RECIPE_DASHES[r] for r in present]),
        legend=None,
    )
    return (
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("o:Q", title="output o for the right class (target 1)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("gradient:Q", title="push on z: |dL/dz|", scale=alt.Scale(zero=True)),
            color=color,
            strokeDash=dash,
            tooltip=[
                alt.Tooltip("recipe:N", title="recipe"),
                alt.Tooltip("o:Q", title="output o", format=".3f"),
                alt.Tooltip("gradient:Q", title="|dL/dz|", format=".4f"),
            ],
        )
        .properties(title="How hard the output unit is pushed, by how right it already is", height=HEIGHT)
    )
