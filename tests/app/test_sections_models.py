"""Every run its own picture: the model charts share their scales, and the models section draws one
column per pictured run, the run's name above it as page text (AppTest with real Jobs and views)."""

from __future__ import annotations

import json
import threading

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.data import Dataset, load_dataset
from nnexplore.model import build_model
from nnexplore.runs import Job
from nnexplore.snapshots import model_view
from nnexplore.ui.charts import predictions, regions
from nnexplore.ui.sections import models

TIMEOUT = 60


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
    domains = regions.plane_domains([a, b], [points(-1.5, 1.2, [0, 1]), points(0, 0, [2])])
    half_a, half_b = (2 / 19) / 2, (2.5 / 19) / 2  # half a cell beyond the outer cell centres
    assert domains["x"] == pytest.approx([-2 - half_b, 1.2])  # a point beyond the grid widens it
    assert domains["y"] == pytest.approx([-2 - half_b, 1.2])
    assert regions.plane_domains([a], [])["x"] == pytest.approx([-1 - half_a, 1 + half_a])
    assert domains["classes"] == ["0", "1", "2"]


def test_decision_charts_of_different_runs_share_axes_and_class_colours():
    a, b = grid(-1, 1), grid(-3, 0)
    pa, pb = points(-1, 1, [0, 1, 0]), points(-3, 0, [0, 1, 2])
    domains = regions.plane_domains([a, b], [pa, pb])
    specs = [regions.decision_chart(g, p, 220, domains, "").to_dict() for g, p in ((a, pa), (b, pb))]
    scales = []
    for spec in specs:
        assert "title" not in spec and spec["height"] == 220
        for unit in units(spec):
            enc = unit["encoding"]
            assert enc["x"]["scale"]["domain"] == domains["x"]
            assert enc["y"]["scale"]["domain"] == domains["y"]
            if "color" in enc:  # the points; the regions are a picture in the same colours
                scales.append(enc["color"]["scale"])
    assert all(scale == scales[0] for scale in scales)
    assert scales[0]["domain"] == ["0", "1", "2"]
    assert scales[0]["range"] == regions.CLASS_PALETTE[:3]


def test_decision_chart_alone_fixes_its_own_domains_and_has_no_title():
    spec = regions.decision_chart(grid(0, 1), points(0.2, 0.8, [0, 1])).to_dict()
    picture = units(spec)[0]
    assert picture["encoding"]["x"]["scale"]["domain"] == pytest.approx([-1 / 38, 1 + 1 / 38])
    # the heading, the run's name and the caption say what it is: a title was cut off in a column
    assert "title" not in spec


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


# --------------------------------------------------------------------------- the section


def _toy_job(seed: int, status: str, with_view: bool = True) -> Job:
    cfg = RunConfig().replace(dataset="moons", n_samples=200, hidden=(4,), seed=seed)
    job = Job(cfg, "s", "", threading.Lock())
    job.status = status
    if with_view:
        torch.manual_seed(seed)
        model = build_model(cfg, 2, 2)
        job.view = model_view(model, load_dataset(cfg), cfg, {"step": 1, "status": status})
    return job


def _digits_dataset() -> Dataset:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(60, 784, generator=g)
    y = torch.randint(0, 10, (60,), generator=g)
    return Dataset(x[:20], y[:20], x[20:], y[20:], 10, "fake digits")


def _mnist_job(seed: int, status: str) -> Job:
    cfg = RunConfig().replace(dataset="mnist", hidden=(8,), seed=seed)
    job = Job(cfg, "s", "", threading.Lock())
    job.status = status
    torch.manual_seed(seed)
    job.view = model_view(build_model(cfg, 784, 10), _digits_dataset(), cfg, {"step": 1, "status": status})
    return job


def _models_app(jobs, labels, places) -> None:
    import math

    from nnexplore.ui.live import pace
    from nnexplore.ui.live.specs import ChartCache
    from nnexplore.ui.sections import LiveRuns, models

    pace.TICK_BUDGET_S = math.inf  # what is drawn, not when: every chart in the first draw

    runs = [(label, []) for label in labels]
    live = LiveRuns(jobs, labels, runs, ChartCache(jobs, "t"), "t", lambda job_id: places.get(job_id))
    models.draw_regions(live)
    models.draw_digits(live)


def _run(jobs: list[Job], labels: list[str], places: dict | None = None) -> AppTest:
    kwargs = {"jobs": jobs, "labels": labels, "places": places or {}}
    at = AppTest.from_function(_models_app, kwargs=kwargs, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _specs(block) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in block.get("vega_lite_chart")]


def _frames(block) -> list[pd.DataFrame]:
    """The tables a chart in this block draws (Streamlit sends them beside the spec, as Arrow)."""
    (chart,) = block.get("vega_lite_chart")
    return [pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in chart.proto.datasets]


def _texts(block) -> list[str]:
    return [m.value for m in block.markdown] + [c.value for c in block.caption]


def test_section_one_column_per_run_with_its_name_and_shared_axes():
    jobs = [_toy_job(0, "done"), _toy_job(1, "running"), _toy_job(2, "queued", with_view=False)]
    labels = ["ReLU run", "sigmoid run", "tanh run"]
    at = _run(jobs, labels)
    assert [s.value for s in at.subheader] == ["Decision regions"]
    columns = at.columns
    assert len(columns) == 3
    for column, label in zip(columns, labels, strict=True):
        assert f"**{label}**" in [m.value for m in column.markdown]
    assert [len(_specs(c)) for c in columns] == [1, 1, 0]
    assert "Waiting for a free training slot." in _texts(columns[2])
    x_domains = [units(_specs(c)[0])[0]["encoding"]["x"]["scale"]["domain"] for c in columns[:2]]
    assert x_domains[0] == x_domains[1]


def test_section_pictures_only_the_pictured_runs():
    jobs = [_toy_job(seed, "done") for seed in range(5)]
    labels = [f"run {seed}" for seed in range(5)]
    at = _run(jobs, labels)
    assert len(at.columns) == 4
    page = " ".join(m.value for m in at.markdown)
    assert "run 0" not in page and all(f"run {s}" in page for s in range(1, 5))


def test_section_mnist_runs_same_digits_and_one_colour_scale():
    jobs = [_mnist_job(0, "done"), _mnist_job(1, "done"), _mnist_job(2, "running")]
    at = _run(jobs, ["a", "b", "c"])
    assert [s.value for s in at.subheader] == ["Test digits", "Confusion matrix"]
    digit_columns, matrix_columns = at.columns[:3], at.columns[3:]
    assert len(matrix_columns) == 3
    n_digits, per_row = models.DIGIT_LAYOUT[3]
    digit_labels = []
    for column in digit_columns:
        (tiles,) = [frame for frame in _frames(column) if "caption" in frame.columns]
        assert len(tiles) == n_digits and tiles["col"].max() == per_row - 1
        digit_labels.append(tiles["label"].tolist())
    assert digit_labels[0] == digit_labels[1] == digit_labels[2]
    tops = [units(_specs(c)[0])[0]["encoding"]["color"]["scale"]["domain"] for c in matrix_columns[:2]]
    top = max(int(job.view["confusion"]["count"].max()) for job in jobs[:2])
    assert tops[0] == tops[1] == [0, top]
    assert _specs(matrix_columns[2]) == []
    assert models.MATRIX_LATER in _texts(matrix_columns[2])


def test_section_mixed_datasets_picture_each_run_with_its_own_view():
    jobs = [_toy_job(0, "done"), _toy_job(1, "error", with_view=False), _mnist_job(0, "done")]
    at = _run(jobs, ["moons run", "broken run", "digits run"])
    assert [s.value for s in at.subheader] == ["Decision regions", "Test digits", "Confusion matrix"]
    page = " ".join(m.value for m in at.markdown)
    assert all(f"**{label}**" in page for label in ("moons run", "broken run", "digits run"))
    assert "No picture: this run could not run." in [c.value for c in at.caption]
    assert len(at.get("vega_lite_chart")) == 3  # one map, one set of digits, one matrix
    # the lone MNIST run has its digits and its matrix side by side, half the page each
    digits_column, matrix_column = at.columns[-2:]
    (tiles,) = [frame for frame in _frames(digits_column) if "caption" in frame.columns]
    assert len(tiles) == models.DIGIT_LAYOUT[2][0]
    assert len(matrix_column.get("vega_lite_chart")) == 1


def _diverged(job: Job, at_epoch: float) -> Job:
    """``job`` as a run that diverged at ``at_epoch``, after its (last good) picture was taken."""
    job.status = "diverged"
    job.records = [{"step": 8, "epoch": at_epoch, "status": "diverged", "reason": "The loss became NaN."}]
    return job


def test_a_queued_run_says_its_place_in_every_picture_column():
    toy_queued, mnist_queued = _toy_job(1, "queued", with_view=False), _mnist_job(1, "done")
    mnist_queued.status, mnist_queued.view = "queued", None
    jobs = [_toy_job(0, "done"), toy_queued, _mnist_job(0, "done"), mnist_queued]
    at = _run(jobs, ["a", "b", "c", "d"], {toy_queued.id: 2, mnist_queued.id: 3})
    assert [s.value for s in at.subheader] == ["Decision regions", "Test digits", "Confusion matrix"]
    captions = [c.value for c in at.caption]
    assert captions.count("Waiting for a free training slot (place 2 in the queue).") == 1  # its map
    assert captions.count("Waiting for a free training slot (place 3 in the queue).") == 2  # digits, matrix
    assert len(at.get("vega_lite_chart")) == 3  # one map, one set of digits, one matrix: nothing blank


def test_a_diverged_run_keeps_its_picture_and_says_it_is_from_before():
    diverged = _diverged(_toy_job(1, "running"), at_epoch=1.6)
    diverged.view["epoch"] = 1.4
    at = _run([_toy_job(0, "done"), diverged], ["fine", "too fast"])
    columns = at.columns
    assert [len(_specs(c)) for c in columns[:2]] == [1, 1]  # the last good map stays
    assert _texts(columns[1])[-1] == "Diverged at epoch 1.6: the picture is from before (epoch 1.4)."
    assert not any("Diverged" in t for t in _texts(columns[0]))


def test_a_run_that_diverged_before_its_first_picture_says_so():
    mnist = _diverged(_mnist_job(0, "done"), at_epoch=0.01)
    mnist.view = None
    at = _run([_mnist_job(1, "done"), mnist], ["fine", "too fast"])
    captions = [c.value for c in at.caption]
    assert "No picture: this run diverged in its first steps, before one was drawn." in captions
    assert "No matrix: this run diverged in its first steps, before one was drawn." in captions
