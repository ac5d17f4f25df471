"""Charts of what a network answers now: its output values, its decision regions, its digits.

Pure functions DataFrame -> chart, no state, no streamlit. Heavy inputs
(every output value, the pixels of the test digits) are reduced in numpy
before they reach Altair, so the browser gets hundreds or a few thousand rows,
not hundreds of thousands.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.ui.charts.images import grid_image, hex_rgb, png_url
from nnexplore.ui.charts.style import (
    CLASS_PALETTE,
    HEIGHT,
    NARROW_LEGEND,
    REFERENCE_GREY,
    clean,
    run_color,
    run_domain,
)
from nnexplore.ui.charts.timeline import IN_MOMENT, spans, timeline_param

__all__ = [
    "CLASS_PALETTE",
    "confusion_chart",
    "decision_chart",
    "digits_chart",
    "output_histogram",
    "plane_domains",
]

MISTAKE_RED = "#c0002a"
"""A wrong guess among the test digits: a crimson that is no run colour (nor the vermillion)."""
BAND = "valid: 0 to 1"


def _histogram_frame(data: pd.DataFrame, low: float, high: float, bins: int) -> pd.DataFrame:
    """Counts per bin (per run), computed here so the browser gets ``bins`` rows per run."""
    values = data["value"].to_numpy(dtype=float)
    lo = min(float(values.min()), low)
    hi = max(float(values.max()), high)
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    groups = data.groupby("run", sort=False) if "run" in data.columns else [("", data)]
    rows = []
    for run, part in groups:
        counts, _ = np.histogram(part["value"].to_numpy(dtype=float), bins=edges)
        for start, end, count in zip(edges[:-1], edges[1:], counts, strict=True):
            rows.append((str(run), float(start), float(end), int(count)))
    return pd.DataFrame(rows, columns=["run", "start", "end", "count"])


def output_histogram(
    values_df: pd.DataFrame,
    low: float = 0.0,
    high: float = 1.0,
    bins: int = 40,
    runs: Sequence[str] | None = None,
) -> alt.LayerChart:
    """Histogram of the network's current output values, with the [low, high] band shaded.

    Input: column ``value`` (every output entry, e.g. all 10 outputs of every
    test digit) and optionally ``run``. Binning is done here in numpy (a
    10,000-digit MNIST test set has 100,000 values); the bins span the data
    and always the whole band, shaded grey and named on the chart (grey: on a
    run chart colour means a run). Several runs are drawn as see-through bars
    over each other, not stacked, so each run's shape stays readable.
    """
    data = clean(values_df, ["value"])
    has_run = "run" in data.columns
    domain = run_domain(values_df, runs) if has_run else []
    hist = (
        _histogram_frame(data, low, high, bins)
        if not data.empty
        else pd.DataFrame({"run": [], "start": [], "end": [], "count": []})
    )
    shaded = pd.DataFrame(
        {
            "low": [low],
            "high": [high],
            "mid": [(low + high) / 2],
            "what": ["valid probabilities"],
            "note": [BAND],
        }
    )
    band = (
        alt.Chart(shaded)
        .mark_rect(color="#000000", opacity=0.07)
        .encode(
            x=alt.X("low:Q", title="output value"),
            x2=alt.X2("high:Q"),
            tooltip=[
                alt.Tooltip("what:N", title="shaded band"),
                alt.Tooltip("low:Q", title="from"),
                alt.Tooltip("high:Q", title="to"),
            ],
        )
    )
    note = (
        alt.Chart(shaded)
        .mark_text(baseline="top", dy=4, fontSize=11, color=REFERENCE_GREY)
        .encode(x=alt.X("mid:Q"), y=alt.YValue(0), text=alt.Text("note:N"))
    )
    bar_encoding = {
        "x": alt.X("start:Q", title="output value"),
        "x2": alt.X2("end:Q"),
        "y": alt.Y("count:Q", title="output values (count)", stack=None),
        "y2": alt.Y2Datum(0),
        "tooltip": [
            alt.Tooltip("start:Q", title="from", format=".3g"),
            alt.Tooltip("end:Q", title="to", format=".3g"),
            alt.Tooltip("count:Q", title="values"),
        ],
    }
    if has_run:
        bar_encoding["color"] = run_color(domain)
        bar_encoding["tooltip"] = [alt.Tooltip("run:N", title="run"), *bar_encoding["tooltip"]]
    bars = alt.Chart(hist).mark_bar(opacity=0.6 if has_run else 0.9, binSpacing=0).encode(**bar_encoding)
    return alt.layer(band, bars, note, title="Output values now", height=HEIGHT)


def _cell_edges(values: pd.Series) -> float:
    """Spacing of a regular grid's coordinates (1.0 when there is a single value)."""
    steps = np.diff(np.unique(values.to_numpy(dtype=float)))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 1.0


def plane_domains(grids: Sequence[pd.DataFrame], points: Sequence[pd.DataFrame]) -> dict[str, list]:
    """One x range, one y range and one list of classes for several runs' decision charts.

    Small multiples are compared by eye, so every run's map must use the same
    axes and give a class the same colour. Each range spans the outer edges
    of every grid's cells and every data point; the classes are every class
    any run predicts or any point has, in order. Pass the result to
    ``decision_chart(..., domains=...)`` for each run.
    """
    lows_x, highs_x, lows_y, highs_y, classes = [], [], [], [], set()
    for frame in grids:
        grid = clean(frame, ["x", "y"])
        if grid.empty:
            continue
        dx, dy = _cell_edges(grid["x"]) / 2, _cell_edges(grid["y"]) / 2
        lows_x.append(grid["x"].min() - dx)
        highs_x.append(grid["x"].max() + dx)
        lows_y.append(grid["y"].min() - dy)
        highs_y.append(grid["y"].max() + dy)
        classes.update(grid["cls"].tolist())
    for frame in points:
        pts = clean(frame, ["x", "y"])
        if pts.empty:
            continue
        lows_x.append(pts["x"].min())
        highs_x.append(pts["x"].max())
        lows_y.append(pts["y"].min())
        highs_y.append(pts["y"].max())
        classes.update(pts["label"].tolist())
    if not lows_x:
        return {"x": [0.0, 1.0], "y": [0.0, 1.0], "classes": sorted(str(c) for c in classes)}
    return {
        "x": [float(min(lows_x)), float(max(highs_x))],
        "y": [float(min(lows_y)), float(max(highs_y))],
        "classes": list(dict.fromkeys(str(c) for c in sorted(classes, key=lambda v: (str(type(v)), v)))),
    }


def decision_chart(
    grid_df: pd.DataFrame,
    points_df: pd.DataFrame,
    height: int = 380,
    domains: dict[str, list] | None = None,
    title: str = "",
) -> alt.LayerChart:
    """What the network predicts over the plane, under the data points (2-D toy problems).

    ``grid_df`` (x, y, cls, confidence): a regular grid of predictions, drawn
    as one picture (``region_image``): each cell coloured by predicted class,
    more opaque where the network is more sure. With a column ``t`` (epochs), it
    holds the run's timeline, and the chart shows the moment the page's timeline
    control points at (nnexplore.ui.charts.timeline).
    ``points_df`` (x, y, label, split): training points as filled circles,
    test points as hollow rings, coloured by their true class, so a point
    sitting on a region of another colour is a mistake. Classes have their own
    colours (style.CLASS_PALETTE), none of them a run's.
    ``domains`` (from ``plane_domains``) fixes the axes and the class colours,
    so that the maps of several runs side by side can be compared; without
    it, this chart's own data sets them. No title unless ``title`` is given:
    the page's heading, the run's name and a caption say what it is.
    """
    grid = clean(grid_df, ["x", "y", "confidence"])
    points = clean(points_df, ["x", "y"])
    domains = domains or plane_domains([grid], [points])
    class_names = [str(c) for c in domains["classes"]]
    grid["cls"] = grid["cls"].astype(str)
    points["label"] = points["label"].astype(str)
    scale = alt.Scale(
        domain=class_names, range=[CLASS_PALETTE[i % len(CLASS_PALETTE)] for i in range(len(class_names))]
    )
    x_scale = alt.Scale(domain=list(domains["x"]), nice=False, zero=False)
    y_scale = alt.Scale(domain=list(domains["y"]), nice=False, zero=False)
    regions = (
        alt.Chart(region_image(grid, class_names))
        .mark_image(aspect=False, smooth=False)  # one cell, one block of pixels, as the rects were
        .encode(
            x=alt.X("x0:Q", title="feature 1", scale=x_scale),
            x2=alt.X2("x1:Q"),
            y=alt.Y("y0:Q", title="feature 2", scale=y_scale),
            y2=alt.Y2("y1:Q"),
            url=alt.Url("url:N"),
        )
    )
    if "t" in grid.columns:  # a timeline: the picture of the moment the page's slider points at
        regions = regions.transform_filter(IN_MOMENT).add_params(timeline_param())
    point_encoding = {
        "x": alt.X("x:Q", scale=x_scale),
        "y": alt.Y("y:Q", scale=y_scale),
        "color": alt.Color(
            "label:N",
            title="class",
            scale=scale,
            # two classes to a row: a map's plot is 60 px wide in a 120 px column (four runs at a
            # 1000 px window), where a third class in the row was cut off
            legend=alt.Legend(columns=2, columnPadding=4, **NARROW_LEGEND),
        ),
        "tooltip": [
            alt.Tooltip("label:N", title="true class"),
            alt.Tooltip("split:N", title="data"),
            alt.Tooltip("x:Q", format=".2f"),
            alt.Tooltip("y:Q", format=".2f"),
        ],
    }
    split = (
        points["split"].astype(str) if "split" in points.columns else pd.Series("train", index=points.index)
    )
    train = (
        alt.Chart(points[split == "train"])
        .mark_circle(size=28, opacity=0.9, stroke="white", strokeWidth=0.5)
        .encode(**point_encoding)
    )
    test = (
        alt.Chart(points[split != "train"])
        .mark_point(size=40, filled=False, strokeWidth=1.5, opacity=1)
        .encode(**point_encoding)
    )
    return alt.layer(regions, train, test, height=height, **({"title": title} if title else {}))


#: A region's opacity from the network's confidence there: from barely tinted where it is unsure
#: to 60 % where it is sure, so the data points on top stay readable.
REGION_ALPHA = (0.05, 0.6)


def region_image(grid: pd.DataFrame, classes: Sequence[str]) -> pd.DataFrame:
    """The grid as pictures: a row per moment with its outer edges (x0, x1, y0, y1) and a PNG ``url``.

    Each grid point is one pixel of its predicted class's colour (the colour of
    ``classes`` at its place in CLASS_PALETTE), as opaque as REGION_ALPHA says
    for its confidence; points without a prediction are transparent. One image
    mark costs the browser almost nothing where 3,600 rect marks were a finished
    Playground's largest cost (devtools.browser_cost).

    A grid with a column ``t`` holds several moments of a run (its timeline): one
    picture each, with the epochs it stands for (``t``, ``t0``, ``t1``: timeline.spans).
    """
    columns = ["x0", "x1", "y0", "y1", "url"]
    if grid.empty:
        return pd.DataFrame(columns=columns)
    palette = np.array([hex_rgb(CLASS_PALETTE[i % len(CLASS_PALETTE)]) for i in range(len(classes))])
    where = {name: i for i, name in enumerate(classes)}
    dx, dy = _cell_edges(grid["x"]) / 2, _cell_edges(grid["y"]) / 2
    edges = {
        "x0": float(grid["x"].min() - dx),
        "x1": float(grid["x"].max() + dx),
        "y0": float(grid["y"].min() - dy),
        "y1": float(grid["y"].max() + dy),
    }
    low, high = REGION_ALPHA
    moments = grid.groupby("t", sort=True) if "t" in grid.columns else [(None, grid)]
    rows = []
    for _, moment in moments:
        index = moment["cls"].astype(str).map(where).to_numpy()
        alpha = 255 * (low + (high - low) * np.clip(moment["confidence"].to_numpy(float), 0, 1))
        image = grid_image(moment["x"], moment["y"], np.column_stack([palette[index], alpha]))
        rows.append({**edges, "url": png_url(np.nan_to_num(image, nan=0.0).round().astype(np.uint8))})
    pictures = pd.DataFrame(rows, columns=columns)
    if "t" in grid.columns:
        pictures = pd.concat([pictures, spans(sorted(grid["t"].unique()))], axis=1)
    return pictures


def _digit_image(pixels: object, factor: int) -> np.ndarray:
    """A digit as a square ink array in [0, 1], shrunk by averaging factor × factor blocks.

    Intensities are rescaled per image, so raw 0–255, [0, 1] and standardised
    pixels all come out the same.
    """
    arr = np.asarray(pixels, dtype=float).reshape(-1)
    side = int(round(np.sqrt(arr.size)))
    img = np.nan_to_num(arr[: side * side].reshape(side, side))
    lo, hi = img.min(), img.max()
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    if factor > 1:
        cut = side - side % factor
        img = img[:cut, :cut].reshape(cut // factor, factor, cut // factor, factor).mean(axis=(1, 3))
    return img


def digits_chart(
    df: pd.DataFrame, columns: int = 6, factor: int = 2, min_ink: float = 0.1, title: str = ""
) -> alt.LayerChart:
    """Small test digits, each with the network's guess and how sure it is; mistakes in red.

    ``df``: one row per digit with ``pixels`` (784 values or 28 × 28),
    ``pred``, ``label``, ``confidence`` and optionally ``idx``, ``row``,
    ``col`` (grid cell; by default filled ``columns`` to a row).

    Trade-off: Altair draws pixels as rect marks, and 36 digits × 784 pixels
    is 28,000 marks: too slow to redraw a few times a second. So each image
    is shrunk by averaging ``factor`` × ``factor`` blocks (2 → 14 × 14, still
    legible) and near-blank pixels (ink below ``min_ink``) are not drawn at
    all (each digit has a light tile behind it): about 2,000 rects for 36
    digits. Keep to 36 digits or so. No title unless ``title`` is given.
    """
    digits = _digit_cells(df, columns)
    side = _digit_image(digits["pixels"].iloc[0], factor).shape[0] if len(digits) else 28 // factor
    cell_w, cell_h = side + 2, side + 6
    pixels = _digit_pixels(digits, factor, min_ink, cell_w, cell_h)
    tiles = _digit_tiles(digits, side, cell_w, cell_h)
    n_rows = int(digits["row"].max()) + 1 if len(digits) else 1
    hidden = alt.Axis(labels=False, ticks=False, domain=False, grid=False, title=None)
    x_scale = alt.Scale(domain=[-1, columns * cell_w], nice=False, zero=False)
    y_scale = alt.Scale(domain=[-1, n_rows * cell_h], nice=False, zero=False, reverse=True)

    def x(field: str) -> alt.X:
        return alt.X(field, scale=x_scale, axis=hidden)

    def y(field: str) -> alt.Y:
        return alt.Y(field, scale=y_scale, axis=hidden)

    def by_outcome(right: str, wrong: str) -> alt.Scale:
        return alt.Scale(domain=["right", "wrong"], range=[right, wrong])

    tips = [
        alt.Tooltip("label:N", title="true digit"),
        alt.Tooltip("pred:N", title="network says"),
        alt.Tooltip("confidence:Q", title="how sure", format=".0%"),
        alt.Tooltip("outcome:N", title="guess"),
    ]
    tile_layer = (
        alt.Chart(tiles)
        .mark_rect(strokeWidth=1.5)
        .encode(
            x=x("x0:Q"),
            x2=alt.X2("x1:Q"),
            y=y("y0:Q"),
            y2=alt.Y2("y1:Q"),
            fill=alt.Fill("outcome:N", scale=by_outcome("#f4f4f4", "#fde0e0"), legend=None),
            stroke=alt.Stroke("outcome:N", scale=by_outcome("#dddddd", MISTAKE_RED), legend=None),
            tooltip=tips,
        )
    )
    pixel_layer = (
        alt.Chart(pixels)
        .mark_rect()
        .encode(
            x=x("px:Q"),
            x2=alt.X2("px2:Q"),
            y=y("py:Q"),
            y2=alt.Y2("py2:Q"),
            color=alt.Color("ink:Q", scale=alt.Scale(scheme="greys", domain=[0, 1]), legend=None),
            tooltip=[alt.Tooltip("label:N", title="true digit"), alt.Tooltip("pred:N", title="network says")],
        )
    )
    text_layer = (
        alt.Chart(tiles)
        .mark_text(baseline="top", fontSize=11)
        .encode(
            x=x("tx:Q"),
            y=y("ty:Q"),
            text=alt.Text("caption:N"),
            color=alt.Color("outcome:N", scale=by_outcome("#333333", MISTAKE_RED), legend=None),
            tooltip=tips,
        )
    )
    return alt.layer(
        tile_layer,
        pixel_layer,
        text_layer,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
        height=80 * n_rows,
        **({"title": title} if title else {}),
    )


def _digit_cells(df: pd.DataFrame, columns: int) -> pd.DataFrame:
    """The digits with their grid cell (``row``, ``col``), ``idx``, ``outcome`` (right or wrong)
    and ``caption`` (the guess and how sure: "7 · 93%")."""
    digits = df.reset_index(drop=True).copy()
    if "idx" not in digits.columns:
        digits["idx"] = digits.index
    if "row" not in digits.columns or "col" not in digits.columns:
        digits["row"] = digits.index // columns
        digits["col"] = digits.index % columns
    digits["right"] = digits["pred"].astype(str) == digits["label"].astype(str)
    digits["outcome"] = np.where(digits["right"], "right", "wrong")
    confidence = pd.to_numeric(digits["confidence"], errors="coerce").astype(float)
    digits["caption"] = [
        f"{p} · {c:.0%}" if np.isfinite(c) else f"{p}"
        for p, c in zip(digits["pred"], confidence, strict=True)
    ]
    return digits


def _digit_pixels(
    digits: pd.DataFrame, factor: int, min_ink: float, cell_w: int, cell_h: int
) -> pd.DataFrame:
    """One row per drawn pixel (ink at least ``min_ink``) of every shrunk digit, in its cell."""
    rows = []
    for d in digits.itertuples(index=False):
        img = _digit_image(d.pixels, factor)
        ys, xs = np.nonzero(img >= min_ink)
        x0, y0 = d.col * cell_w, d.row * cell_h
        for yy, xx in zip(ys, xs, strict=True):
            rows.append((x0 + xx, y0 + yy, float(img[yy, xx]), d.idx, str(d.label), str(d.pred)))
    pixels = pd.DataFrame(rows, columns=["px", "py", "ink", "idx", "label", "pred"])
    pixels["px2"], pixels["py2"] = pixels["px"] + 1, pixels["py"] + 1
    return pixels


def _digit_tiles(digits: pd.DataFrame, side: int, cell_w: int, cell_h: int) -> pd.DataFrame:
    """One row per digit: its tile's corners and where its caption goes."""
    tiles = digits.drop(columns=["pixels"]).assign(
        x0=digits["col"] * cell_w - 0.5,
        x1=digits["col"] * cell_w + side + 0.5,
        y0=digits["row"] * cell_h - 0.5,
        y1=digits["row"] * cell_h + side + 0.5,
        tx=digits["col"] * cell_w + side / 2,
        ty=digits["row"] * cell_h + side + 0.8,
        confidence=pd.to_numeric(digits["confidence"], errors="coerce").astype(float),
    )
    tiles["label"] = tiles["label"].astype(str)
    tiles["pred"] = tiles["pred"].astype(str)
    return tiles


def confusion_chart(
    matrix_df: pd.DataFrame,
    max_count: float | None = None,
    height: int = 360,
    title: str = "",
    font_size: int = 11,
) -> alt.LayerChart:
    """Confusion matrix: true digit (rows) × predicted digit (columns), counts written in.

    Input: columns true, pred, count. The diagonal holds the right answers;
    a bright cell off it shows which digit is mistaken for which.
    ``max_count`` fixes the top of the colour scale (the largest count of all
    the runs drawn side by side), so the same colour means the same count in
    every run's matrix; without it, this matrix's own largest count.
    """
    data = matrix_df.copy()
    data["count"] = pd.to_numeric(data["count"], errors="coerce").fillna(0).astype(int)
    order = sorted({*data["true"].tolist(), *data["pred"].tolist()}, key=lambda v: (str(type(v)), v))
    order_names = [str(v) for v in order]
    totals = data.groupby("true")["count"].transform("sum")
    data["share"] = np.where(totals > 0, data["count"] / totals.where(totals > 0, 1), 0.0)
    data["true"] = data["true"].astype(str)
    data["pred"] = data["pred"].astype(str)
    top = float(max_count) if max_count is not None else (float(data["count"].max()) if len(data) else 0.0)
    top = max(top, 1.0)  # a scale from 0 to 0 has no colours
    base = alt.Chart(data).encode(
        x=alt.X("pred:O", title="network says", sort=order_names, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("true:O", title="true digit", sort=order_names),
        tooltip=[
            alt.Tooltip("true:N", title="true digit"),
            alt.Tooltip("pred:N", title="network says"),
            alt.Tooltip("count:Q", title="how many"),
            alt.Tooltip("share:Q", title="share of this digit", format=".1%"),
        ],
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "count:Q", title="how many", scale=alt.Scale(scheme="blues", domain=[0, top]), legend=None
        )
    )
    text = base.mark_text(fontSize=font_size).encode(
        text=alt.Text("count:Q"),
        color=alt.condition(alt.datum.count > top / 2, alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells, text, height=height, **({"title": title} if title else {}))
