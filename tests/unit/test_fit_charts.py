"""A regression's fit pictures (nnexplore.ui.charts.fit): pure DataFrame -> chart builders, checked
through to_dict and the PNG's own pixels, no browser."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import pytest

from nnexplore.ui.charts import fit, images, style
from nnexplore.ui.charts.timeline import IN_MOMENT, PARAM, fit_moments


@pytest.fixture(autouse=True)
def _no_row_limit():
    with alt.data_transformers.disable_max_rows():
        yield


def layers(spec: dict) -> list[dict]:
    return spec["layer"] if "layer" in spec else [spec]


def rows(spec: dict, unit: dict) -> list[dict]:
    return spec["datasets"][unit["data"]["name"]]


def mark(unit: dict) -> dict:
    return unit["mark"] if isinstance(unit["mark"], dict) else {"type": unit["mark"]}


def curve(n: int = 50, shift: float = 0.0) -> pd.DataFrame:
    x = np.linspace(-3.5, 3.5, n)
    return pd.DataFrame({"x": x, "prediction": np.sin(x) + shift})


def sine_points(n: int = 40) -> pd.DataFrame:
    x = np.linspace(-3, 3, n)
    return pd.DataFrame({"x": x, "y": np.sin(x), "split": ["train", "test"] * (n // 2)})


def surface(n: int = 6) -> pd.DataFrame:
    xs = np.linspace(-3, 3, n)
    gx, gy = np.meshgrid(xs, xs, indexing="xy")
    x, y = gx.ravel(), gy.ravel()
    return pd.DataFrame({"x": x, "y": y, "prediction": np.sin(x) * np.cos(y)})


def surface_points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [-2.0, 1.0, 2.5],
            "y": [0.0, 1.0, -2.0],
            "target": [-0.9, 0.5, 0.4],
            "split": ["train", "train", "test"],
        }
    )


def test_domains_span_the_data_a_curves_targets_with_room_and_a_colour_range_around_0():
    domains = fit.fit_domains([curve()], [sine_points()])
    assert domains["x"] == [-3.5, 3.5]  # the curve's grid reaches past the data
    top = float(np.abs(np.sin(np.linspace(-3, 3, 40))).max())
    assert domains["y"] == pytest.approx([-top - 0.2 * top, top + 0.2 * top])  # Y_ROOM of the range
    wild = fit.fit_domains([curve(shift=50.0)], [sine_points()])
    assert wild["y"] == domains["y"]  # a wild prediction is cut off, never squashes the data
    plane = fit.fit_domains([surface()], [surface_points()])
    assert plane["x"] == [-3.0, 3.0] and plane["y"] == [-3.0, 3.0]
    assert plane["value"] == [-0.9, 0.9]  # symmetric: 0 is the ramp's pale middle


def test_the_curve_is_a_line_over_the_data_and_a_sigmoid_shows_its_floor_and_ceiling():
    spec = fit.curve_chart(curve(), sine_points(), 300).to_dict()
    kinds = [mark(u)["type"] for u in layers(spec)]
    assert kinds == ["circle", "point", "line"]  # the line on top of the dots
    line = layers(spec)[-1]
    assert mark(line)["color"] == fit.LINE and mark(line)["clip"] is True
    assert fit.LINE.lower() not in {c.lower() for c in style.RUN_PALETTE}  # never read as a run
    assert line["encoding"]["y"]["field"] == "prediction" and len(rows(spec, line)) == 50
    train, test = layers(spec)[0], layers(spec)[1]
    assert {r["split"] for r in rows(spec, train)} == {"train"} and mark(test)["filled"] is False
    assert "rule" not in kinds and spec["height"] == 300
    bounded = fit.curve_chart(curve(), sine_points(), bounds=(0.0, 1.0)).to_dict()
    rules = [u for u in layers(bounded) if mark(u)["type"] == "rule"]
    assert len(rules) == 1 and [r["value"] for r in rows(bounded, rules[0])] == [0.0, 1.0]
    assert mark(rules[0])["strokeDash"] == style.REFERENCE_DASH  # a reference value, as every chart's
    texts = [u for u in layers(bounded) if mark(u)["type"] == "text"]
    assert [r["note"] for r in rows(bounded, texts[0])] == list(fit.BOUND_NOTES)


def test_the_curve_follows_the_timeline_one_line_per_moment():
    latest = {"x": np.linspace(-3.5, 3.5, 5), "prediction": np.zeros(5)}
    moments = [
        {"epoch": 0.1, "curve": {"prediction": np.full(5, 0.1, dtype=np.float16)}},
        {"epoch": 1.0, "curve": {"prediction": np.full(5, 0.5, dtype=np.float16)}},
        {"epoch": 2.0},  # a moment without a fit (a frame from before) is left out
    ]
    table = fit_moments(latest, moments, "curve")
    assert len(table) == 10 and sorted(table["t"].unique()) == [0.1, 1.0]
    assert table[table["t"] == 1.0]["prediction"].tolist() == pytest.approx([0.5] * 5, abs=1e-3)
    assert table["t0"].min() == -1.0 and table["t1"].max() > 1e9  # the first and last stand for the ends
    spec = fit.curve_chart(table, sine_points()).to_dict()
    line = layers(spec)[-1]
    assert line["transform"] == [{"filter": IN_MOMENT}] and spec["params"][0]["name"] == PARAM
    assert fit_moments(latest, [], "curve").columns.tolist() == ["x", "prediction"]  # no timeline


def test_the_surface_is_one_picture_coloured_on_the_ramp_of_its_points():
    spec = fit.surface_chart(surface(), surface_points(), 280).to_dict()
    picture, train, test = layers(spec)
    assert mark(picture)["type"] == "image" and mark(picture)["smooth"] is False
    [row] = rows(spec, picture)
    assert row["x0"] == pytest.approx(-3.6) and row["x1"] == pytest.approx(3.6)  # cells' outer edges
    pixels = images.png_pixels(row["url"])
    assert pixels.shape[:2] == (6, 6)
    colour = train["encoding"]["color"]
    assert colour["field"] == "target" and colour["scale"]["range"] == list(fit.RAMP)
    assert colour["scale"]["domain"][0] == pytest.approx(-0.9) and colour["scale"]["domain"][
        -1
    ] == pytest.approx(0.9)
    assert colour["scale"]["interpolate"] == "rgb" and colour == test["encoding"]["color"]
    assert mark(train)["shape"] == "circle" and mark(test)["shape"] == "diamond"
    # the top row of the picture is the largest y; each pixel is its prediction's ramp colour
    grid = surface()
    top_left = grid[(grid["x"] == -3) & (grid["y"] == 3)]["prediction"].item()
    expected = fit.ramp_colours(np.array([top_left]), -0.9, 0.9)[0]
    assert np.abs(pixels[0, 0, :3].astype(int) - expected.astype(int)).max() <= 1
    assert tuple(fit.ramp_colours(np.array([-5.0, 0.0, 5.0]), -0.9, 0.9)[1]) == images.hex_rgb(fit.RAMP[5])
    ends = fit.ramp_colours(np.array([-5.0, 5.0]), -0.9, 0.9)  # beyond the range: its ends
    assert tuple(ends[0]) == images.hex_rgb(fit.RAMP[0]) and tuple(ends[1]) == images.hex_rgb(fit.RAMP[-1])


def test_the_surface_follows_the_timeline_one_picture_per_moment():
    latest = {k: v.to_numpy() for k, v in surface(4).items()}
    moments = [
        {"epoch": float(t), "surface": {"prediction": np.full(16, value, dtype=np.float16)}}
        for t, value in ((0.5, -0.5), (1.5, 0.5))
    ]
    table = fit_moments(latest, moments, "surface")
    pictures = fit.surface_image(table, -1.0, 1.0)
    assert len(pictures) == 2 and pictures["t"].tolist() == [0.5, 1.5]
    colours = [images.png_pixels(url)[0, 0, :3] for url in pictures["url"]]
    assert tuple(colours[0]) != tuple(colours[1])  # blue-ish below 0, red-ish above
    assert colours[0][2] > colours[0][0] and colours[1][0] > colours[1][2]
    spec = fit.surface_chart(table, surface_points()).to_dict()
    assert layers(spec)[0]["transform"] == [{"filter": IN_MOMENT}]


def test_the_fit_charts_build_from_empty_frames():
    empty_curve = pd.DataFrame({"x": [], "prediction": []})
    empty_points = pd.DataFrame({"x": [], "y": [], "split": []})
    fit.curve_chart(empty_curve, empty_points).to_dict()
    fit.surface_chart(
        pd.DataFrame({"x": [], "y": [], "prediction": []}), empty_points.assign(target=[])
    ).to_dict()
