"""A regression's fit: what the network predicts over its whole input, under the data.

Pure functions DataFrame -> chart, no state, no streamlit. Two pictures, one per kind of input
(nnexplore.snapshots.regression_view):

* one input (sine): the fitted curve, the prediction at evenly spaced x, as a line over the data
  points (x, and the target up): where the line leaves the dots, the network is wrong;
* two inputs (surface): the fitted surface, the prediction on a grid over the plane, as one
  picture (a pixel per grid point, as the decision regions: nnexplore.ui.charts.images), with the
  data points on it coloured by their target on the same colour ramp: a dot that vanishes into
  the colour under it is fitted well, one that stands out is not.

With a column ``t`` (epochs) a table holds the run's timeline (nnexplore.ui.charts.timeline:
``fit_moments``), and the chart shows the moment the page's timeline control points at.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.ui.charts.images import hex_rgb, palette_png_url
from nnexplore.ui.charts.style import NARROW_LEGEND, REFERENCE_GREY, clean, reference_rule
from nnexplore.ui.charts.timeline import IN_MOMENT, plane_picture, spans, timeline_param

__all__ = ["RAMP", "curve_chart", "fit_domains", "surface_chart", "surface_image"]

#: Paul Tol's "sunset", a diverging ramp readable by the common colour blindnesses: blue for the
#: lowest value, pale at 0, red for the highest. A regression's targets (sin, −1 to 1) are as
#: often below 0 as above it, so 0 sits in the middle and the sign reads at a glance.
RAMP = (
    "#364B9A",
    "#4A7BB7",
    "#6EA6CD",
    "#98CAE1",
    "#C2E4EF",
    "#EAECCC",
    "#FEDA8B",
    "#FDB366",
    "#F67E4B",
    "#DD3D2D",
    "#A50026",
)
#: The surface's colour steps: about 30 are not told apart from more by eye, and keep a moment's
#: picture a palette PNG of a few kilobytes; an odd number, so that 0 gets the pale middle itself.
STEPS = 31
#: The fitted line: indigo, no run colour (each run has its own plot, its name above it).
LINE = "#332288"
#: The data points under the line: grey, so that the line stands out.
DOT = "#9a9a9a"
#: How far the curve plot's y axis reaches beyond the targets, as a share of their range: the
#: line of a poor fit may leave the plot there (it is clipped), the data never does.
Y_ROOM = 0.1
#: The notes on a bounded output's rules (``curve_chart``'s ``bounds``): what it cannot leave.
BOUND_NOTES = ("0: the output's floor", "1: its ceiling")


def fit_domains(fits: Sequence[pd.DataFrame], points: Sequence[pd.DataFrame]) -> dict[str, list[float]]:
    """One x range, one y range and one colour range for several runs' fits of one kind, so that
    their plots side by side can be compared by eye.

    ``fits``: curves (x, prediction) or surfaces (x, y, prediction); ``points``: their data. x
    (and a surface's y) span every fit's grid and every point. A curve's ``y`` spans the targets
    and Y_ROOM more (a prediction outside it is cut off, not allowed to squash the data); a
    surface's ``value``, the colour range, is symmetric around 0 and spans every target.
    """
    x = [frame["x"] for frame in (*fits, *points) if "x" in frame and len(frame)]
    y = [frame["y"] for frame in (*fits, *points) if "y" in frame and len(frame)]
    targets = [frame["target"] if "target" in frame else frame["y"] for frame in points if len(frame)]
    out: dict[str, list[float]] = {"x": _span(x), "y": _span(y)}
    if targets and all("target" not in frame for frame in points):  # curves: y is the target
        low, high = _span(targets)
        room = Y_ROOM * (high - low or 1.0)
        out["y"] = [low - room, high + room]
    top = max((float(np.nanmax(np.abs(t))) for t in targets if len(t)), default=1.0) or 1.0
    out["value"] = [-top, top]
    return out


def _span(columns: Sequence[pd.Series]) -> list[float]:
    values = np.concatenate([np.asarray(c, dtype=float) for c in columns]) if columns else np.array([])
    values = values[np.isfinite(values)]
    return [float(values.min()), float(values.max())] if values.size else [0.0, 1.0]


def curve_chart(
    curve: pd.DataFrame,
    points: pd.DataFrame,
    height: int = 380,
    domains: dict[str, list[float]] | None = None,
    bounds: tuple[float, float] | None = None,
) -> alt.LayerChart:
    """The fitted curve of a one-input regression over its data.

    ``curve`` (x, prediction): the network's answer at evenly spaced x, a line; with columns
    ``t``, ``t0``, ``t1`` (``fit_moments``) every moment of the run, the line of the timeline's
    moment drawn. ``points`` (x, y, split): the data, y the target; training points filled,
    test points as rings, grey. ``domains`` (``fit_domains``) fixes the axes; ``bounds``: the
    range the run's output activation cannot leave ((0, 1) for a sigmoid), drawn as two grey
    dotted rules with their notes, so that a line flat along 0 reads as the output's floor, not as
    the network's choice.
    """
    line_data = clean(curve, ["x", "prediction"])
    dots = clean(points, ["x", "y"])
    domains = domains or fit_domains([line_data], [dots])
    x = alt.X("x:Q", title="x (the input)", scale=alt.Scale(domain=domains["x"], nice=False, zero=False))

    def y(field: str) -> alt.Y:
        scale = alt.Scale(domain=domains["y"], nice=False, zero=False)
        return alt.Y(f"{field}:Q", title="y: the target, and the network's answer", scale=scale)

    split = dots["split"].astype(str) if "split" in dots.columns else pd.Series("train", index=dots.index)
    tooltip = [
        alt.Tooltip("split:N", title="data"),
        alt.Tooltip("x:Q", format=".2f"),
        alt.Tooltip("y:Q", title="target", format=".2f"),
    ]
    train = (
        alt.Chart(dots[split == "train"])
        .mark_circle(size=18, opacity=0.6, color=DOT)
        .encode(x=x, y=y("y"), tooltip=tooltip)
    )
    test = (
        alt.Chart(dots[split != "train"])
        .mark_point(size=30, filled=False, strokeWidth=1.2, opacity=0.9, color=DOT)
        .encode(x=x, y=y("y"), tooltip=tooltip)
    )
    line = (
        alt.Chart(line_data)
        .mark_line(strokeWidth=3, color=LINE, clip=True)
        .encode(
            x=x,
            y=y("prediction"),
            tooltip=[
                alt.Tooltip("x:Q", format=".2f"),
                alt.Tooltip("prediction:Q", title="the network's answer", format=".3f"),
            ],
        )
    )
    if "t" in line_data.columns:  # a timeline: the line of the moment the page's slider points at
        line = line.transform_filter(IN_MOMENT).add_params(timeline_param())
    rules = reference_rule(list(bounds), list(BOUND_NOTES), y=y("value")) if bounds else []
    return alt.layer(train, test, *rules, line, height=height)


def surface_chart(
    grid: pd.DataFrame,
    points: pd.DataFrame,
    height: int = 380,
    domains: dict[str, list[float]] | None = None,
) -> alt.LayerChart:
    """The fitted surface of a two-input regression, under its data points.

    ``grid`` (x, y, prediction): the network's answer on a regular grid over the plane, drawn as
    one picture (``surface_image``) on the diverging RAMP; with a column ``t``, every moment of
    the run, the timeline's moment shown. ``points`` (x, y, target, split): the data, coloured
    by their target on the same ramp (a gradient legend), training points as circles, test
    points as diamonds, each with a thin dark outline so that it shows on any colour. A point
    the same colour as the surface under it is fitted well. ``domains`` (``fit_domains``) fixes
    the axes and the colour range.
    """
    cells = clean(grid, ["x", "y", "prediction"])
    dots = clean(points, ["x", "y", "target"])
    domains = domains or fit_domains([cells], [dots])
    low, high = domains["value"]
    x_scale = alt.Scale(domain=domains["x"], nice=False, zero=False)
    y_scale = alt.Scale(domain=domains["y"], nice=False, zero=False)
    picture = plane_picture(
        surface_image(cells, low, high),
        "x (first input)",
        "y (second input)",
        x_scale,
        y_scale,
        "t" in cells.columns,
    )
    stops = list(np.linspace(low, high, len(RAMP)))
    color = alt.Color(
        "target:Q",
        title="value",
        scale=alt.Scale(domain=stops, range=list(RAMP), interpolate="rgb", clamp=True),
        legend=alt.Legend(gradientLength=120, **NARROW_LEGEND),
    )
    tooltip = [
        alt.Tooltip("split:N", title="data"),
        alt.Tooltip("target:Q", format=".2f"),
        alt.Tooltip("x:Q", format=".2f"),
        alt.Tooltip("y:Q", format=".2f"),
    ]
    encoding = {"x": alt.X("x:Q", scale=x_scale), "y": alt.Y("y:Q", scale=y_scale), "color": color}
    split = dots["split"].astype(str) if "split" in dots.columns else pd.Series("train", index=dots.index)
    marks = [
        alt.Chart(dots[split == kind])
        .mark_point(shape=shape, filled=True, size=size, opacity=1, stroke=REFERENCE_GREY, strokeWidth=0.6)
        .encode(**encoding, tooltip=tooltip)
        for kind, shape, size in (("train", "circle", 26), ("test", "diamond", 40))
    ]
    return alt.layer(picture, *marks, height=height, usermeta={"embedOptions": {"renderer": "canvas"}})


def ramp_colours(values: np.ndarray, low: float, high: float, steps: int = STEPS) -> np.ndarray:
    """Each value's colour on RAMP between ``low`` and ``high`` in ``steps`` steps (RGB bytes,
    values beyond the range at its ends), interpolated in RGB as the points' colour scale is."""
    share = np.clip((np.asarray(values, dtype=float) - low) / ((high - low) or 1.0), 0, 1)
    share = np.round(np.nan_to_num(share, nan=0.5) * (steps - 1)) / (steps - 1)
    stops = np.array([hex_rgb(c) for c in RAMP], dtype=float)
    where = np.linspace(0, 1, len(RAMP))
    channels = [np.interp(share, where, stops[:, k]) for k in range(3)]
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def surface_image(grid: pd.DataFrame, low: float, high: float) -> pd.DataFrame:
    """The grid as pictures: a row per moment with its outer edges (x0, x1, y0, y1) and a PNG ``url``,
    each grid point a pixel of its prediction's colour (``ramp_colours``), grid points without
    one transparent. A grid with a column ``t`` gives one picture per moment, with the epochs it
    stands for (t, t0, t1: timeline.spans)."""
    columns = ["x0", "x1", "y0", "y1", "url"]
    if grid.empty:
        return pd.DataFrame(columns=columns)
    xs, col = np.unique(grid["x"].to_numpy(float), return_inverse=True)
    ys, row = np.unique(grid["y"].to_numpy(float), return_inverse=True)
    dx = float(np.diff(xs).min()) / 2 if len(xs) > 1 else 0.5
    dy = float(np.diff(ys).min()) / 2 if len(ys) > 1 else 0.5
    edges = {"x0": xs[0] - dx, "x1": xs[-1] + dx, "y0": ys[0] - dy, "y1": ys[-1] + dy}
    # the colour steps as a palette (index 0 transparent), every moment's pixels at once
    palette = np.column_stack([ramp_colours(np.linspace(low, high, STEPS), low, high), np.full(STEPS, 255)])
    palette = np.vstack([np.zeros((1, 4)), palette]).astype(np.uint8)
    share = np.clip((grid["prediction"].to_numpy(float) - low) / ((high - low) or 1.0), 0, 1)
    index = 1 + np.round(np.nan_to_num(share, nan=0.5) * (STEPS - 1)).astype(np.uint8)
    times = grid["t"].to_numpy(float) if "t" in grid.columns else np.zeros(len(grid))
    rows = []
    for t in np.unique(times):
        at = times == t
        image = np.zeros((len(ys), len(xs)), dtype=np.uint8)
        image[len(ys) - 1 - row[at], col[at]] = index[at]
        rows.append({**edges, "url": palette_png_url(image, palette)})
    pictures = pd.DataFrame(rows, columns=columns)
    if "t" in grid.columns:
        pictures = pd.concat([pictures, spans(sorted(grid["t"].unique()))], axis=1)
    return pictures
