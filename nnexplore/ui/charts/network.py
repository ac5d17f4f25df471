"""The network a run will train, drawn as layers of units joined by their weights.

``network_frames(layers)`` turns a list of ``Layer`` rows (input side first) into
two frames: one row per drawn unit, one per drawn weight. ``network_chart``
draws them: a column of circles per layer, the lines between neighbouring
layers, and under each column what it is ("16 units, ReLU"). It is the
picture TensorFlow Playground puts in the middle of its page: the sidebar's
"16,16" becomes something a beginner can see.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd

#: Circles drawn per layer: a 784-pixel input or a 128-unit layer is drawn as 10 circles and says
#: its real size underneath (10 × 10 lines between two layers stay readable at 190 px high).
MAX_DRAWN = 10
HEIGHT = 190
#: Input, hidden and output units in greys: on this page colour means a run, and this is none.
KIND_COLORS = {"input": "#b5b5b5", "hidden": "#6b7b8c", "output": "#31333f"}


@dataclass(frozen=True)
class Layer:
    """One layer: ``units`` of ``kind`` (input, hidden, output), described by ``words`` under it."""

    units: int
    kind: str
    words: str


def parameter_count(layers: list[Layer]) -> int:
    """Weights and biases of the fully connected network: n_in × n_out + n_out per layer after the input."""
    return sum(a.units * b.units + b.units for a, b in zip(layers[:-1], layers[1:]))


def _rows(units: int) -> list[float]:
    """Heights of a layer's drawn units, centred on 0, one apart. A layer too big to draw whole
    leaves its middle free for a "⋮" (the units not drawn): half its circles above, half below."""
    if units <= MAX_DRAWN:
        return [j - (units - 1) / 2 for j in range(units)]
    return [j - MAX_DRAWN / 2 for j in range(MAX_DRAWN + 1) if j != MAX_DRAWN // 2]


def network_frames(layers: list[Layer]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(units, weights): columns layer, x, y, kind, words, units of every drawn unit; x, y, x2, y2
    of every drawn weight between neighbouring layers."""
    units = pd.DataFrame(
        [
            {
                "layer": i,
                "x": float(i),
                "y": y,
                "kind": layer.kind,
                "words": layer.words,
                "units": layer.units,
            }
            for i, layer in enumerate(layers)
            for y in _rows(layer.units)
        ],
        columns=["layer", "x", "y", "kind", "words", "units"],
    )
    weights = pd.DataFrame(
        [
            {"x": float(i), "y": y, "x2": float(i + 1), "y2": y2}
            for i, (a, b) in enumerate(zip(layers[:-1], layers[1:]))
            for y in _rows(a.units)
            for y2 in _rows(b.units)
        ],
        columns=["x", "y", "x2", "y2"],
    )
    return units, weights


def network_chart(units: pd.DataFrame, weights: pd.DataFrame, height: int = HEIGHT) -> alt.LayerChart:
    """Circles for units (light grey: inputs, slate: hidden, dark: outputs), lines for weights, a
    "⋮" in a column drawn in part, and each layer's words under its column; no axes (positions
    mean nothing but order)."""
    n_layers = int(units["layer"].max()) + 1  # a network has an input and an output layer at least
    top = MAX_DRAWN / 2
    x = alt.Scale(domain=[-0.6, n_layers - 0.4])
    y = alt.Scale(domain=[-top - 0.9, top])  # room under the columns for their words
    no_axis = {"axis": None}
    lines = (
        alt.Chart(weights)
        .mark_rule(color="#bab0ac", opacity=0.45, strokeWidth=0.8)
        .encode(
            x=alt.X("x:Q", scale=x, **no_axis),
            y=alt.Y("y:Q", scale=y, **no_axis),
            x2=alt.X2("x2:Q"),
            y2=alt.Y2("y2:Q"),
        )
    )
    circles = (
        alt.Chart(units)
        .mark_circle(size=70, opacity=1, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("x:Q", scale=x, **no_axis),
            y=alt.Y("y:Q", scale=y, **no_axis),
            color=alt.Color(
                "kind:N",
                scale=alt.Scale(domain=list(KIND_COLORS), range=list(KIND_COLORS.values())),
                legend=None,
            ),
            tooltip=[alt.Tooltip("words:N", title="layer"), alt.Tooltip("units:Q", title="units")],
        )
    )
    words = (
        alt.Chart(units.drop_duplicates("layer").assign(y=-top - 0.3))
        .mark_text(fontSize=12, baseline="top", color="#31333f")
        .encode(
            x=alt.X("x:Q", scale=x, **no_axis), y=alt.Y("y:Q", scale=y, **no_axis), text=alt.Text("words:N")
        )
    )
    more = (
        alt.Chart(units[units["units"] > MAX_DRAWN].drop_duplicates("layer").assign(y=0.0))
        .mark_text(text="⋮", fontSize=16, color="#31333f")
        .encode(x=alt.X("x:Q", scale=x, **no_axis), y=alt.Y("y:Q", scale=y, **no_axis))
    )
    return alt.layer(lines, circles, more, words, height=height).configure_view(stroke=None)
