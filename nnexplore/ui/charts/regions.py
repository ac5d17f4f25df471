"""Decision regions: what a network predicts over the plane of a 2-D toy problem, under its data.

Pure functions DataFrame -> chart, no streamlit. The regions are one picture per
moment (nnexplore.ui.charts.images): a pixel per grid cell. The only state is a
memo of pictures already made, by what they show (a moment never changes).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence

import altair as alt
import numpy as np
import pandas as pd

from nnexplore.lru import LRU
from nnexplore.ui.charts.images import hex_rgb, png_url
from nnexplore.ui.charts.style import CLASS_PALETTE, NARROW_LEGEND, clean
from nnexplore.ui.charts.timeline import plane_picture, spans

__all__ = ["CLASS_PALETTE", "decision_chart", "plane_domains", "region_image"]


def _cell_edges(values: pd.Series) -> float:
    """Spacing of a regular grid's coordinates (1.0 when there is a single value)."""
    steps = np.diff(np.unique(values.to_numpy(dtype=float)))
    steps = steps[steps > 0]
    return float(steps.min()) if steps.size else 1.0


def plane_domains(
    grids: Sequence[pd.DataFrame], points: Sequence[pd.DataFrame], also: Iterable[object] = ()
) -> dict[str, list]:
    """One x range, one y range and one list of classes for several runs' decision charts.

    Small multiples are compared by eye, so every run's map must use the same
    axes and give a class the same colour. Each range spans the outer edges
    of every grid's cells and every data point; the classes are every class
    any run predicts or any point has (and ``also``: those a run predicted at an
    earlier moment of its timeline), in order. Pass the result to
    ``decision_chart(..., domains=...)`` for each run.
    """
    lows_x, highs_x, lows_y, highs_y, classes = [], [], [], [], set(also)
    for frame in grids:
        grid = clean(frame, ["x", "y"])
        if grid.empty:
            continue
        dx, dy = _cell_edges(grid["x"]) / 2, _cell_edges(grid["y"]) / 2
        lows_x.append(grid["x"].min() - dx)
        highs_x.append(grid["x"].max() + dx)
        lows_y.append(grid["y"].min() - dy)
        highs_y.append(grid["y"].max() + dy)
        classes.update(pd.unique(grid["cls"]).tolist())
    for frame in points:
        pts = clean(frame, ["x", "y"])
        if pts.empty:
            continue
        lows_x.append(pts["x"].min())
        highs_x.append(pts["x"].max())
        lows_y.append(pts["y"].min())
        highs_y.append(pts["y"].max())
        classes.update(pts["label"].tolist())
    if all(isinstance(c, int | np.integer) for c in classes) and classes:
        # numbered classes keep their number's colour even where one is missing (your own points
        # in classes 0 and 2: class 2 is drawn in class 2's colour, as on the point pad)
        classes = set(range(int(max(classes)) + 1))
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
    points["label"] = points["label"].astype(str)
    scale = alt.Scale(
        domain=class_names, range=[CLASS_PALETTE[i % len(CLASS_PALETTE)] for i in range(len(class_names))]
    )
    x_scale = alt.Scale(domain=list(domains["x"]), nice=False, zero=False)
    y_scale = alt.Scale(domain=list(domains["y"]), nice=False, zero=False)
    regions = plane_picture(
        region_image(grid, class_names), "feature 1", "feature 2", x_scale, y_scale, "t" in grid.columns
    )
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
    return alt.layer(
        regions,
        train,
        test,
        height=height,
        usermeta={"embedOptions": {"renderer": "canvas"}},
        **({"title": title} if title else {}),
    )


#: A region's opacity from the network's confidence there: from barely tinted where it is unsure
#: to 60 % where it is sure, so the data points on top stay readable; in 16 steps, which the eye
#: does not tell apart from more and which keep a map to a few dozen colours (a small PNG).
REGION_ALPHA = (0.05, 0.6)
ALPHA_STEPS = 16


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
    dx, dy = _cell_edges(grid["x"]) / 2, _cell_edges(grid["y"]) / 2
    edges = {
        "x0": float(grid["x"].min() - dx),
        "x1": float(grid["x"].max() + dx),
        "y0": float(grid["y"].min() - dy),
        "y1": float(grid["y"].max() + dy),
    }
    # Every moment's places at once, in numpy: a timeline is 30 moments of 3,600 cells, and
    # per-moment pandas work cost a finished card's draw about 2 s (devtools.bench_draw).
    xs, col = np.unique(grid["x"].to_numpy(float), return_inverse=True)
    ys, row = np.unique(grid["y"].to_numpy(float), return_inverse=True)
    where = {name: i for i, name in enumerate(classes)}
    values, value_index = np.unique(grid["cls"].to_numpy(), return_inverse=True)
    index = np.array([where.get(str(v), 0) for v in values], dtype=np.uint8)[value_index.reshape(-1)]
    sure = np.round(np.clip(np.nan_to_num(grid["confidence"].to_numpy(float)), 0, 1) * (ALPHA_STEPS - 1))
    times = grid["t"].to_numpy(float) if "t" in grid.columns else np.zeros(len(grid))
    moments, which = np.unique(times, return_inverse=True)
    shape = (len(ys), len(xs))
    place = (len(ys) - 1 - row) * len(xs) + col  # each row's pixel, counted from the top left
    rows = []
    for k in range(len(moments)):
        at = np.flatnonzero(which == k)
        rows.append({**edges, "url": _picture(shape, place[at], index[at], sure[at].astype(np.uint8))})
    pictures = pd.DataFrame(rows, columns=columns)
    if "t" in grid.columns:
        pictures = pd.concat([pictures, spans(sorted(grid["t"].unique()))], axis=1)
    return pictures


def _picture(shape: tuple[int, int], place: np.ndarray, index: np.ndarray, sure: np.ndarray) -> str:
    """One moment's map as a PNG data URL: the pixels at ``place`` (counted from the top left) in
    the colour of class number ``index``, as opaque as confidence step ``sure`` says.

    A moment of a run's timeline never changes, but every redraw of a page (each live tick,
    every page that shows the run) made all 30 of them again: a picture is kept under a digest
    of what it shows (MEMO_PICTURES at most, about 1 kB each; devtools.bench_draw).
    """
    key = hashlib.blake2b(
        b"|".join([repr(shape).encode(), place.tobytes(), index.tobytes(), sure.tobytes()]), digest_size=16
    ).hexdigest()
    with _MEMO_LOCK:
        url = _MEMO.get(key)
    if url is None:
        palette = np.array(
            [hex_rgb(CLASS_PALETTE[i % len(CLASS_PALETTE)]) for i in range(int(index.max(initial=0)) + 1)]
        )
        low, high = REGION_ALPHA
        alpha = np.round(255 * (low + (high - low) * sure / (ALPHA_STEPS - 1)))
        image = np.zeros((shape[0] * shape[1], 4), dtype=np.uint8)  # transparent where no prediction
        image[place] = np.column_stack([palette[index], alpha]).astype(np.uint8)
        url = png_url(image.reshape(*shape, 4))
        with _MEMO_LOCK:
            _MEMO.put(key, url, len(url))
    return url


#: Maps kept by what they show: a class of 30 learners with 4 runs on a page, 30 moments a run.
MEMO_PICTURES = 4096
_MEMO: LRU[str] = LRU(MEMO_PICTURES, 8 * 2**20)  # and at most 8 MB of them
_MEMO_LOCK = threading.Lock()
