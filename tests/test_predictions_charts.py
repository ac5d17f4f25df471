"""Every run its own picture: the model charts of several runs share their axes and colour scales."""

from __future__ import annotations

import json

import altair as alt
import numpy as np
import pandas as pd
import pytest

from nnexplore.ui.charts import predictions


@pytest.fixture(autouse=True)
def _no_row_limit():
    with alt.data_transformers.disable_max_rows():
        yield


def units(spec: dict) -> list[dict]:
    return spec["layer"] if "layer" in spec else [spec]


def grid(lo: float, hi: float, n: int = 20, classes: int = 2) -> pd.DataFrame:
    xs = np.linspace(lo, hi, n)
    return pd.DataFrame(
        [(x, y, int((x + y) * 10) % classes, 0.7) for x in xs for y in xs],
        columns=["x", "y", "cls", "confidence"],
    )


def points(lo: float, hi: float, labels: list[int]) -> pd.DataFrame:
    n = len(labels)
    return pd.DataFrame(
        {"x": np.linspace(lo, hi, n), "y": np.linspace(hi, lo, n), "label": labels, "split": ["train"] * n}
    )


def matrix(diagonal: int) -> pd.DataFrame:
    return pd.DataFrame(
        [(t, p, diagonal if t == p else 3) for t in range(10) for p in range(10)],
        columns=["true", "pred", "count"],
    )


# --------------------------------------------------------------------------- builders


def test_plane_domains_span_every_run_and_every_class():
    a, b = grid(-1, 1), grid(-2, 0.5, classes=3)
    domains = predictions.plane_domains([a, b], [points(-1.5, 1.2, [0, 1]), points(0, 0, [2])])
    half_a, half_b = (2 / 19) / 2, (2.5 / 19) / 2  # half a cell beyond the outer cell centres
    assert domains["x"] == pytest.approx([-2 - half_b, 1.2])  # a point beyond the grid widens it
    assert domains["y"] == pytest.approx([-2 - half_b, 1.2])
    assert predictions.plane_domains([a], [])["x"] == pytest.approx([-1 - half_a, 1 + half_a])
    assert domains["classes"] == ["0", "1", "2"]


def test_decision_charts_of_different_runs_share_axes_and_class_colours():
    a, b = grid(-1, 1), grid(-3, 0)
    pa, pb = points(-1, 1, [0, 1, 0]), points(-3, 0, [0, 1, 2])
    domains = predictions.plane_domains([a, b], [pa, pb])
    specs = [predictions.decision_chart(g, p, 220, domains, "").to_dict() for g, p in ((a, pa), (b, pb))]
    scales = []
    for spec in specs:
        assert "title" not in spec and spec["height"] == 220
        for unit in units(spec):
            enc = unit["encoding"]
            assert enc["x"]["scale"]["domain"] == domains["x"]
            assert enc["y"]["scale"]["domain"] == domains["y"]
            scales.append(enc["color"]["scale"])
    assert all(scale == scales[0] for scale in scales)
    assert scales[0]["domain"] == ["0", "1", "2"]
    assert scales[0]["range"] == predictions.CLASS_PALETTE[:3]


def test_decision_chart_alone_fixes_its_own_domains_and_keeps_its_title():
    spec = predictions.decision_chart(grid(0, 1), points(0.2, 0.8, [0, 1])).to_dict()
    regions = units(spec)[0]
    assert regions["encoding"]["x"]["scale"]["domain"] == pytest.approx([-1 / 38, 1 + 1 / 38])
    assert spec["title"] == predictions.DECISION_TITLE


def test_confusion_matrices_share_their_colour_scale():
    top = 900
    specs = [predictions.confusion_chart(matrix(d), max_count=top, title="").to_dict() for d in (500, top)]
    for spec in specs:
        cells, text = units(spec)
        assert cells["encoding"]["color"]["scale"]["domain"] == [0, top]
        # white text on the dark half of the shared scale, not of this matrix's own
        assert f"{top / 2}" in json.dumps(text["encoding"]["color"]["condition"])
        assert "title" not in spec
    alone = predictions.confusion_chart(matrix(40)).to_dict()
    assert units(alone)[0]["encoding"]["color"]["scale"]["domain"] == [0, 40]


def test_digits_chart_fewer_digits_to_a_row():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "pixels": [rng.random(784) for _ in range(16)],
            "pred": rng.integers(0, 10, 16),
            "label": rng.integers(0, 10, 16),
            "confidence": rng.random(16),
        }
    )
    spec = predictions.digits_chart(df, columns=4, title="").to_dict()
    tiles = units(spec)[0]
    assert tiles["encoding"]["x"]["scale"]["domain"] == [-1, 4 * 16]  # 14-pixel digits, 16 units a cell
    assert spec["height"] == 80 * 4 and "title" not in spec
