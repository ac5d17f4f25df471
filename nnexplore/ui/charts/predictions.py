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

from nnexplore.ui.charts.style import (
    HEIGHT,
    REFERENCE_GREY,
    clean,
    run_color,
    run_domain,
)
from nnexplore.ui.charts.timeline import IN_MOMENT, timeline_param

__all__ = [
    "confusion_chart",
    "digits_chart",
    "output_histogram",
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

    With columns ``t0`` and ``t1`` the table holds the run's timeline (the same digits at each
    moment, timeline.run_moments): the guesses follow the page's timeline control; the ink,
    the same at every moment, is drawn once.
    """
    timeline = "t0" in df.columns
    digits = _digit_cells(df, columns)
    side = _digit_image(digits["pixels"].iloc[0], factor).shape[0] if len(digits) else 28 // factor
    cell_w, cell_h = side + 2, side + 6
    first = digits[digits["t0"] == digits["t0"].min()] if timeline else digits
    pixels = _digit_pixels(first, factor, min_ink, cell_w, cell_h)
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
            tooltip=[alt.Tooltip("label:N", title="true digit")],
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
    if timeline:
        tile_layer, text_layer = (
            tile_layer.transform_filter(IN_MOMENT),
            text_layer.transform_filter(IN_MOMENT),
        )
    chart = alt.layer(
        tile_layer,
        pixel_layer,
        text_layer,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(color="independent")),
        height=80 * n_rows,
        **({"title": title} if title else {}),
    )
    return chart.add_params(timeline_param()) if timeline else chart


def _digit_cells(df: pd.DataFrame, columns: int) -> pd.DataFrame:
    """The digits with their grid cell (``row``, ``col``), ``idx``, ``outcome`` (right or wrong)
    and ``caption`` (the guess and how sure: "7 · 93%")."""
    digits = df.reset_index(drop=True).copy()
    # a digit's place: its row in the table, or in its moment's rows (a timeline)
    place = digits.groupby("t0").cumcount() if "t0" in digits.columns else pd.Series(digits.index)
    if "idx" not in digits.columns:
        digits["idx"] = place
    if "row" not in digits.columns or "col" not in digits.columns:
        digits["row"] = place // columns
        digits["col"] = place % columns
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
    every run's matrix; without it, this matrix's own largest count. With columns ``t0`` and
    ``t1`` the table holds a matrix per moment of the run's timeline, and the chart shows the
    moment the page's timeline control points at.
    """
    data = matrix_df.copy()
    timeline = "t0" in data.columns
    data["count"] = pd.to_numeric(data["count"], errors="coerce").fillna(0).astype(int)
    order = sorted({*data["true"].tolist(), *data["pred"].tolist()}, key=lambda v: (str(type(v)), v))
    order_names = [str(v) for v in order]
    totals = data.groupby(["true", "t0"] if timeline else "true")["count"].transform("sum")
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
    if timeline:
        cells, text = cells.transform_filter(IN_MOMENT), text.transform_filter(IN_MOMENT)
    chart = alt.layer(cells, text, height=height, **({"title": title} if title else {}))
    return chart.add_params(timeline_param()) if timeline else chart
