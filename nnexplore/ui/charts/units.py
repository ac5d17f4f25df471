"""Hidden units, seen: each unit's output over the input plane as a small square (2-D data).

Pure functions, no state, no streamlit. The input is one hidden layer in long
form (unit_frame): one row per unit and grid point, the output *after* the
layer's activation, on the same plane as the decision regions.

Trade-off: 32 units of 25 × 25 points drawn as rect marks would be 20,000
marks and about 700 kB of JSON at every redraw (the decision chart keeps to
3,600 rects). So each unit is coloured here in numpy and sent as one small
PNG (a data URL of about a kilobyte): the browser gets one image mark per
unit. A colour bar drawn from the same colours is the legend.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from nnexplore import activations
from nnexplore.ui.charts import images
from nnexplore.ui.charts.images import grid_image

# Viridis (matplotlib's, 9 evenly spaced stops): dark for low, bright for high, readable in grey
# and by the common colour blindnesses, so "dark everywhere" reads as "outputs its lowest".
RAMP = (
    "#440154",
    "#472d7b",
    "#3b528b",
    "#2c728e",
    "#21918c",
    "#28ae80",
    "#5ec962",
    "#addc30",
    "#fde725",
)
MISSING = (190, 190, 190)  # grey for a non-finite output (a diverged run)
FLAT = 0.01  # a unit whose output varies by less than 1% of the colour range is called flat
COLUMNS = 8  # 8 squares of SIZE px a row fit a 1400 px page with room to spare
SIZE = 104  # px per square: about 4 px per grid point of a 25 × 25 grid
SCALE_UP = 4  # each grid point becomes 4 × 4 pixels in the PNG, so no browser blurs it


def unit_frame(units: dict, layer: int) -> pd.DataFrame:
    """One layer of snapshots.unit_grids in long form: unit (numbered from 1), x, y, value."""
    values = np.asarray(units["values"][layer], dtype=float)
    n_units, n_points = values.shape
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(1, n_units + 1), n_points),
            "x": np.tile(np.asarray(units["x"], dtype=float), n_units),
            "y": np.tile(np.asarray(units["y"], dtype=float), n_units),
            "value": values.reshape(-1),
        }
    )


def colour_range(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The colour scale of a layer: the activation's bounds where it has them, else the layer's extremes.

    One scale for the whole layer, so units can be compared: ReLU 0 to the
    layer's largest output, sigmoid and softmax 0 to 1, tanh −1 to 1. A layer
    whose every output is the same value (all dead) still gets a range one wide.
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    low, high = activations.get(activation).bounds
    low = float(finite.min()) if low is None and finite.size else (0.0 if low is None else low)
    high = float(finite.max()) if high is None and finite.size else (low + 1.0 if high is None else high)
    return (low, high) if high > low else (low, low + 1.0)


def _colours(t: np.ndarray) -> np.ndarray:
    """RGB bytes for positions t in [0, 1] along RAMP (linear in RGB); NaN becomes MISSING."""
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in RAMP], dtype=float)
    where = np.linspace(0.0, 1.0, len(RAMP))
    flat = np.clip(np.nan_to_num(t.reshape(-1), nan=0.0), 0.0, 1.0)
    rgb = np.stack([np.interp(flat, where, stops[:, k]) for k in range(3)], axis=-1)
    rgb[np.isnan(t.reshape(-1))] = MISSING
    return np.round(rgb).astype(np.uint8).reshape(*t.shape, 3)


def _hex(rgb: np.ndarray) -> str:
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def unit_images(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The unit numbers and each unit's grid as an image (units, rows, columns), top row = largest y.

    Grid points a unit lacks (and non-finite outputs) are NaN.
    """
    units = np.unique(df["unit"].to_numpy())
    pictures = []
    for unit in units:
        part = df[df["unit"].to_numpy() == unit]
        value = part["value"].to_numpy(float)
        pictures.append(grid_image(part["x"], part["y"], np.where(np.isfinite(value), value, np.nan)))
    return units, np.stack(pictures) if pictures else np.empty((0, 0, 0))


def png_url(image: np.ndarray, low: float, high: float) -> str:
    """An image of outputs as a PNG data URL, coloured along RAMP from ``low`` to ``high``."""
    return images.png_url(_colours((image - low) / (high - low)), SCALE_UP)  # ~0.2 ms, 0.8 kB a unit


def unit_tiles(df: pd.DataFrame, activation: str) -> tuple[pd.DataFrame, tuple[float, float]]:
    """One row per unit (unit, title, low, high, flat, dead, url) and the layer's colour range."""
    low, high = colour_range(activation, df["value"].to_numpy(float))
    units, pictures = unit_images(df)
    rows = []
    for unit, image in zip(units, pictures, strict=True):
        finite = image[np.isfinite(image)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
        flat = bool(finite.size) and hi - lo < FLAT * (high - low)
        dead = flat and lo == hi == 0.0  # exactly 0 everywhere: in practice only the ReLU family
        title = f"unit {unit}" + (" · dead" if dead else " · flat" if flat else "")
        rows.append((int(unit), title, lo, hi, flat, dead, png_url(image, low, high)))
    tiles = pd.DataFrame(rows, columns=["unit", "title", "low", "high", "flat", "dead", "url"])
    return tiles, (low, high)


def units_chart(
    df: pd.DataFrame, activation: str, columns: int = COLUMNS, size: int = SIZE
) -> alt.VConcatChart:
    """Small squares, one per unit, each its output over the plane, on one colour scale for the layer.

    ``df``: unit, x, y, value (unit_frame). ``activation``: the layer's
    activation (a row of nnexplore.activations), which sets the colour range
    (colour_range). A unit whose output barely changes over the plane is
    titled "flat": for ReLU a flat dark square is a dead unit, for sigmoid a
    flat square at either end is saturated. No axes: the squares are the
    same plane as the decision regions, x to the right, y up.
    """
    tiles, (low, high) = unit_tiles(df, activation)
    per_row = max(1, min(columns, len(tiles)))
    squares = (
        alt.Chart(tiles, width=size, height=size)
        .mark_image(width=size, height=size, align="left", baseline="top", smooth=False, aspect=False)
        .encode(
            x=alt.XValue(0),
            y=alt.YValue(0),
            url=alt.Url("url:N"),
            tooltip=[
                alt.Tooltip("unit:O", title="unit"),
                alt.Tooltip("low:Q", title="lowest output", format=".3g"),
                alt.Tooltip("high:Q", title="highest output", format=".3g"),
            ],
        )
        .facet(
            facet=alt.Facet(
                "title:N",
                sort=tiles["title"].tolist(),
                title=None,
                header=alt.Header(labelFontSize=11, labelPadding=2, labelOrient="top"),
            ),
            columns=per_row,
            spacing=8,
        )
    )
    # No title: the view's heading and the caption under it say what the squares are.
    return alt.vconcat(squares, colour_bar(low, high, per_row * (size + 8) - 8)).properties(
        autosize=alt.AutoSizeParams(type="pad"),  # fixed-size squares: "fit" does not apply to facets
    )


def colour_bar(low: float, high: float, width: int, steps: int = 64) -> alt.Chart:
    """The legend: the colours of RAMP from ``low`` to ``high``, with the output values under them."""
    edges = np.linspace(low, high, steps + 1)
    rgb = _colours(np.linspace(0.0, 1.0, steps))
    bar = pd.DataFrame({"start": edges[:-1], "end": edges[1:], "colour": [_hex(c) for c in rgb]})
    return (
        alt.Chart(bar, width=width, height=14)
        .mark_rect()
        .encode(
            x=alt.X(
                "start:Q",
                title="unit output: dark is the lowest, bright the highest",
                scale=alt.Scale(domain=[low, high], nice=False, zero=False),
                axis=alt.Axis(tickCount=5, format=".3~g"),
            ),
            x2=alt.X2("end:Q"),
            color=alt.Color("colour:N", scale=None),
            tooltip=[alt.Tooltip("start:Q", title="output from", format=".3g")],
        )
    )
