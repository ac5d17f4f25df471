"""Hidden units, seen: each unit's output over the input plane as a small square (2-D data).

Pure functions, no state, no streamlit. The input is one hidden layer in long
form (unit_frame): one row per unit and grid point, the output *after* the
layer's activation, on the same plane as the decision regions.

Trade-off: 32 units of 25 × 25 points drawn as rect marks would be 20,000
marks and about 700 kB of JSON at every redraw. So each unit is coloured here
in numpy and sent as one small PNG (a data URL of a few hundred bytes, a pixel
per grid point, drawn unsmoothed on a canvas): the browser gets one image mark
per unit and moment. A colour bar drawn from the same colours is the legend.

With a column ``t`` (epochs) the frame holds the run's timeline (``unit_moments``)
and each square shows the moment the page's timeline control points at
(nnexplore.ui.charts.timeline), on one colour scale for every moment.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from nnexplore import activations
from nnexplore.moments import unit_values
from nnexplore.ui.charts import images
from nnexplore.ui.charts.timeline import IN_MOMENT, spans, timeline_param

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
STATE_ROOM = 16  # px under each square for its state at the moment shown ("dead", "flat")


def unit_frame(units: dict, layer: int) -> pd.DataFrame:
    """One layer of snapshots.unit_grids in long form: unit (numbered from 1), x, y, value."""
    return _long(units, units["values"][layer])


def _long(units: dict, values: np.ndarray) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    n_units, n_points = values.shape
    return pd.DataFrame(
        {
            "unit": np.repeat(np.arange(1, n_units + 1), n_points),
            "x": np.tile(np.asarray(units["x"], dtype=float), n_units),
            "y": np.tile(np.asarray(units["y"], dtype=float), n_units),
            "value": values.reshape(-1),
        }
    )


def unit_moments(units: dict, moments: list[dict], layer: int) -> pd.DataFrame:
    """One layer's units at every moment of a run's timeline that kept them, long: unit_frame's
    columns and ``t`` (epochs); empty when no moment kept this layer (nnexplore.moments.unit_codes).

    ``units``: the run's latest view's units (the grid's points, the same at every moment).
    """
    parts = [
        _long(units, unit_values(m["units"][layer])).assign(t=float(m["epoch"]))
        for m in moments
        if layer < len(m.get("units", ())) and m["units"][layer]["shape"][1] == len(units["x"])
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


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


def unit_images(df: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Each unit's grid at each moment as an image: a table of (unit, t) and the images
    (pictures, rows, columns), top row = largest y. Grid points a unit lacks (and
    non-finite outputs) are NaN.

    All pictures at once in numpy: a timeline of 16 units is 480 pictures, and a pandas
    filter per picture cost 1.2 ms each (600 ms to open the view).
    """
    times, t_index = np.unique(
        df["t"].to_numpy(float) if "t" in df.columns else np.zeros(len(df)), return_inverse=True
    )
    units, u_index = np.unique(df["unit"].to_numpy(), return_inverse=True)
    keys, which = np.unique(t_index * len(units) + u_index, return_inverse=True)
    xs, col = np.unique(df["x"].to_numpy(float), return_inverse=True)
    ys, row = np.unique(df["y"].to_numpy(float), return_inverse=True)
    value = df["value"].to_numpy(float)
    pictures = np.full((len(keys), len(ys), len(xs)), np.nan)
    pictures[which.reshape(-1), len(ys) - 1 - row, col] = np.where(np.isfinite(value), value, np.nan)
    return pd.DataFrame(
        {"t": times[keys // len(units)], "unit": units[keys % len(units)].astype(int)}
    ), pictures


#: The colours a square may take: 32 steps along RAMP, which the eye barely tells from more in a
#: 104 px square, and which keep a unit's PNG to about 300 bytes (0.8 kB with 256 steps).
COLOUR_STEPS = 32


def png_urls(pictures: np.ndarray, low: float, high: float) -> list[str]:
    """Pictures of outputs (pictures, rows, columns) as PNG data URLs, coloured along RAMP from
    ``low`` to ``high`` in COLOUR_STEPS steps; MISSING where an output is NaN."""
    steps = np.linspace(0.0, 1.0, COLOUR_STEPS)
    palette = np.vstack([_colours(steps), np.array([MISSING], dtype=np.uint8)])
    where = np.clip(np.nan_to_num((pictures - low) / (high - low)), 0.0, 1.0)
    index = np.where(np.isnan(pictures), COLOUR_STEPS, np.round(where * (COLOUR_STEPS - 1))).astype(np.uint8)
    return [images.palette_png_url(picture, palette) for picture in index]  # ~0.2 ms each


def unit_tiles(df: pd.DataFrame, activation: str) -> tuple[pd.DataFrame, tuple[float, float]]:
    """One row per unit and moment (unit, name, state, low, high, flat, dead, url; with a
    timeline t, t0, t1) and the colour range of the layer over every moment.

    ``state`` is what a square's colour cannot say: "dead" (exactly 0 everywhere: in practice
    the ReLU family) or "flat" (varies by less than FLAT of the range), else empty.
    """
    low, high = colour_range(activation, df["value"].to_numpy(float))
    tiles, pictures = unit_images(df)
    finite = np.isfinite(pictures)
    any_finite = finite.any(axis=(1, 2))
    lo = np.where(any_finite, np.where(finite, pictures, np.inf).min(axis=(1, 2)), np.nan)
    hi = np.where(any_finite, np.where(finite, pictures, -np.inf).max(axis=(1, 2)), np.nan)
    flat = any_finite & (hi - lo < FLAT * (high - low))
    dead = flat & (lo == 0.0) & (hi == 0.0)
    tiles = tiles.assign(
        name=[f"unit {unit}" for unit in tiles["unit"]],
        state=np.where(dead, "dead", np.where(flat, "flat", "")),
        low=lo,
        high=hi,
        flat=flat,
        dead=dead,
        url=png_urls(pictures, low, high),
    )
    if "t" in df.columns:
        return tiles.merge(spans(sorted(tiles["t"].unique())), on="t"), (low, high)
    return tiles.drop(columns="t"), (low, high)


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
    names = list(dict.fromkeys(tiles["name"]))
    per_row = max(1, min(columns, len(names)))
    square = (
        alt.Chart()
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
    )
    state = (
        alt.Chart()
        .mark_text(align="left", baseline="top", fontSize=11, color="#333333")
        .encode(x=alt.XValue(0), y=alt.YValue(size + 2), text=alt.Text("state:N"))
    )
    if "t" in tiles.columns:  # a timeline: the squares and their states at the slider's moment
        # named: Altair names the view of a parameter it lifts out of a facet, and fails on an unnamed one
        square = square.transform_filter(IN_MOMENT).add_params(timeline_param()).properties(name="squares")
        state = state.transform_filter(IN_MOMENT)
    squares = alt.layer(square, state, data=tiles, width=size, height=size + STATE_ROOM).facet(
        facet=alt.Facet(
            "name:N",
            sort=names,  # in unit order, not alphabetical ("unit 10" < "unit 2")
            title=None,
            header=alt.Header(labelFontSize=11, labelPadding=2, labelOrient="top"),
        ),
        columns=per_row,
        spacing=8,
    )
    # No title: the view's heading and the caption under it say what the squares are. A canvas:
    # a pixel per grid point stays sharp there (smooth=False), where an SVG image may be blurred.
    return alt.vconcat(squares, colour_bar(low, high, per_row * (size + 8) - 8)).properties(
        autosize=alt.AutoSizeParams(type="pad"),  # fixed-size squares: "fit" does not apply to facets
        usermeta={"embedOptions": {"renderer": "canvas"}},
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
