"""Who gets pushed: the snapshot's numbers against hand computations, the chart's spec, the section."""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import torch
from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.data import make_toy
from nnexplore.experiments import EXPERIMENTS
from nnexplore.model import build_model
from nnexplore.snapshots import BATCH, PUSHES, first_examples, model_view, output_gradient, pushes
from nnexplore.ui import page_state
from nnexplore.ui.charts import pushes as chart
from nnexplore.ui.charts.style import RUN_PALETTE
from nnexplore.ui.sentences import pushes_sentence
from nnexplore.views import VIEWS

# 1,500 points leave 300 test points: more than PUSHES, so the view's cut is exercised.
BLOBS = RunConfig(dataset="blobs", n_samples=1500, hidden=(), init="normal", init_std=2.0)


def _blobs_model(output: str, loss: str):
    cfg = BLOBS.replace(output_activation=output, loss=loss)
    dataset = make_toy("blobs", n_samples=cfg.n_samples, noise=cfg.noise, seed=0)
    torch.manual_seed(0)
    return cfg, dataset, build_model(cfg, dataset.n_features, dataset.num_classes)


def _by_hand(logits: np.ndarray, labels: np.ndarray, output: str, loss: str) -> tuple[np.ndarray, np.ndarray]:
    """Right-class output and |∂L_example/∂z_right| from the textbook formulas, in float64."""
    z = logits.astype(np.float64)
    rows = np.arange(len(labels))
    t = np.eye(z.shape[1])[labels]
    if output == "softmax":
        o = np.exp(z - z.max(axis=1, keepdims=True))
        o /= o.sum(axis=1, keepdims=True)
    else:
        o = 1 / (1 + np.exp(-z))
    p = o[rows, labels]
    if loss == "cross_entropy":
        push = 1 - p  # softmax + CE: ∂L/∂z_k = o_k − t_k, and t = 1 for the right class
    elif output == "sigmoid":
        push = np.abs(2 * (p - 1) * p * (1 - p))  # each unit alone: 2(o − t)·o·(1 − o)
    else:
        # softmax + squared error: Σ_i 2(o_i − t_i)·o_i·(δ_ir − o_r), r the right class
        delta = (np.arange(z.shape[1])[None, :] == labels[:, None]).astype(float)
        push = np.abs((2 * (o - t) * o * (delta - p[:, None])).sum(axis=1))
    return p, push


@pytest.mark.parametrize(
    ("output", "loss"), [("softmax", "cross_entropy"), ("softmax", "mse"), ("sigmoid", "mse")]
)
def test_pushes_match_the_formulas(output: str, loss: str) -> None:
    cfg, dataset, model = _blobs_model(output, loss)
    gradient = output_gradient(model, dataset, cfg, n=PUSHES)
    table = pushes(gradient, cfg.output_activation)
    assert len(table["p_right"]) == len(table["push"]) == PUSHES
    p, push = _by_hand(gradient["logits"], gradient["labels"], output, loss)
    np.testing.assert_allclose(table["p_right"], p, rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["push"], push, rtol=0, atol=1e-6)
    if loss == "cross_entropy":
        # exactly the error: output_gradient scales the batch-mean gradient back by the batch size
        np.testing.assert_allclose(table["push"], 1 - table["p_right"], rtol=0, atol=2e-7)


def test_model_view_carries_pushes_and_keeps_the_gradient_check_batch() -> None:
    cfg, dataset, model = _blobs_model("softmax", "cross_entropy")
    view = model_view(model, dataset, cfg, {"step": 3, "status": "running"})
    assert {len(column) for column in view["pushes"].values()} == {PUSHES}
    alone = output_gradient(model, dataset, cfg, n=BATCH)
    assert view["logits"].shape == (BATCH, dataset.num_classes)
    np.testing.assert_array_equal(view["labels"], alone["labels"])
    np.testing.assert_array_equal(view["logits"], alone["logits"])
    np.testing.assert_allclose(view["out_grad"], alone["out_grad"], rtol=0, atol=1e-7)
    # the cut keeps rows whole: the first n examples' k outputs each
    cut = first_examples(output_gradient(model, dataset, cfg, n=PUSHES), 5)
    assert cut["out_grad"].shape == (5 * dataset.num_classes,)


def test_a_small_test_set_gives_one_row_per_test_example() -> None:
    cfg = RunConfig(dataset="moons", n_samples=200, hidden=(4,))
    dataset = make_toy("moons", n_samples=200, noise=cfg.noise, seed=0)
    model = build_model(cfg, 2, 2)
    view = model_view(model, dataset, cfg, {"step": 0, "status": "running"})
    assert len(view["pushes"]["push"]) == len(dataset.x_test) < PUSHES


# --------------------------------------------------------------------------- the chart


def _units(spec: dict) -> dict[str, dict]:
    return {(u["mark"] if isinstance(u["mark"], str) else u["mark"]["type"]): u for u in spec["layer"]}


def _rows(spec: dict, unit: dict) -> list[dict]:
    """A layer's rows: inline, or a named table (the chart cache keeps those as Arrow bytes)."""
    data = unit.get("data") or spec.get("data")
    rows = data["values"] if "values" in data else spec["datasets"][data["name"]]
    return pa.ipc.open_stream(rows).read_pandas().to_dict("records") if isinstance(rows, bytes) else rows


def test_pushes_chart_encodings_domains_and_cleaning() -> None:
    df = pd.DataFrame(
        {
            "run": ["ce", "ce", "ce", "mse", "mse", "mse"],
            "p_right": [0.05, 0.15, 0.9, 0.05, -0.3, math.nan],
            "push": [0.95, 0.85, 0.1, 0.01, 0.02, 0.5],
        }
    )
    spec = chart.pushes_chart(df, runs=["ce", "mse", "waiting"]).to_dict()
    marks = _units(spec)
    assert set(marks) == {"rect", "circle", "line", "text"}
    dots, line = marks["circle"], marks["line"]
    for unit in (dots, line):
        enc = unit["encoding"]
        assert enc["x"]["field"] == "p" and enc["x"]["title"] == chart.X_TITLE
        assert enc["x"]["scale"]["domain"] == [0, 1] and enc["x"]["scale"]["clamp"] is True
        assert enc["y"]["field"] == "push" and enc["y"]["scale"] == {"zero": True}
        assert "type" not in enc["y"]["scale"], "a linear push axis"
        assert enc["color"]["scale"]["domain"] == ["ce", "mse", "waiting"]
        assert enc["color"]["scale"]["range"] == RUN_PALETTE[:3]
    assert dots["mark"]["opacity"] < 1
    drawn = _rows(spec, dots)
    assert len(drawn) == 5  # the NaN row is dropped
    assert min(r["p"] for r in drawn) == 0.0  # a raw output below 0 sits at the edge
    # the tooltip tells the truth (in float32, as the page is sent it)
    assert next(r for r in drawn if r["push"] == pytest.approx(0.02))["p_right"] == pytest.approx(-0.3)
    band = _rows(spec, marks["rect"])[0]
    assert (band["low"], band["high"]) == (0.0, chart.CONFIDENTLY_WRONG)
    # each end's words are a text layer of their own, aligned to start at its edge
    words = [
        _rows(spec, u)[0]
        for u in spec["layer"]
        if (u["mark"]["type"] if isinstance(u["mark"], dict) else u["mark"]) == "text"
    ]
    assert [w["text"] for w in words] == ["confidently wrong", "confidently right"]
    assert [w["x"] for w in words] == [0.0, 1.0]


def test_binned_means_average_each_slice_of_each_run() -> None:
    data = pd.DataFrame(
        {"run": ["a", "a", "a", "b"], "p": [0.02, 0.08, 1.0, 0.5], "push": [1.0, 0.8, 0.0, 0.3]}
    )
    means = chart.binned_means(data, bins=10)
    assert list(means.columns) == ["run", "p", "push", "examples"]
    first = means.iloc[0]
    assert (first["run"], first["p"], first["push"], first["examples"]) == ("a", 0.05, 0.9, 2)
    assert means[means["run"] == "a"]["p"].max() == 1.0  # p = 1 falls in the last slice, not an 11th
    assert len(means) == 3
    assert chart.binned_means(data.iloc[:0]).empty


def test_every_card_view_has_a_section_and_the_pushes_cards_show_it() -> None:
    from nnexplore.ui.live import view as live
    from nnexplore.ui.sections import pushes as section

    assert {view.name for view in VIEWS} == set(live.DRAW)
    assert live.DRAW["pushes"] is section.draw
    assert "pushes" in EXPERIMENTS["why-log"].headline and "pushes" in EXPERIMENTS["mnist-gradient"].headline


# --------------------------------------------------------------------------- the section


def _section_script(
    outputs: tuple[str, ...], with_view: bool, diverged: bool = False, with_start: bool = False
) -> None:
    import threading

    import streamlit as st
    import torch

    from nnexplore.config import RunConfig
    from nnexplore.data import make_toy
    from nnexplore.model import build_model
    from nnexplore.runs.job import Job
    from nnexplore.snapshots import model_view, with_first
    from nnexplore.ui.live.specs import ChartCache
    from nnexplore.ui.sections import LiveRuns, pushes

    st.set_page_config(layout="wide")
    lock = threading.Lock()
    jobs, labels = [], []
    for output in outputs:
        cfg = RunConfig(dataset="blobs", n_samples=600, hidden=(), output_activation=output, loss="mse")
        dataset = make_toy("blobs", n_samples=600, noise=cfg.noise, seed=0)
        torch.manual_seed(0)
        job = Job(cfg, "session", f"{output} + squared error", lock)
        job.status = "done"
        if with_view:
            job.view = model_view(build_model(cfg, 2, 4), dataset, cfg, {"step": 1, "status": "done"})
        if with_start:  # as the training process sends it: the first picture's pushes kept
            job.view = with_first(job.view, {"pushes": {"p_right": [0.05, 0.1], "push": [0.9, 2.5]}})
        jobs.append(job)
        labels.append(job.label)
    if diverged:  # the last run diverged at epoch 2.5, after its (last good) picture
        jobs[-1].status, jobs[-1].records = "diverged", [{"step": 9, "epoch": 2.5, "status": "diverged"}]
    live = LiveRuns(jobs, labels, [(label, []) for label in labels], ChartCache(jobs, "test"), "test")
    pushes.draw(live)
    live.charts.close()


def _charts(at: AppTest) -> list[dict]:
    """The Vega-Lite specs the page drew, with their data (the page sends the data apart from the
    spec, so it is read from the chart cache the section drew them from)."""
    sent = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    specs = at.session_state[page_state.KEY].charts["test"].specs if sent else {}
    assert [spec["layer"][0]["mark"] for spec in sent] == [s["layer"][0]["mark"] for s in specs.values()]
    return list(specs.values())


def test_section_draws_the_chart_and_how_to_read_it() -> None:
    at = AppTest.from_function(_section_script, args=(("softmax", "sigmoid"), True), default_timeout=60).run()
    assert not at.exception
    heading = at.subheader[0]
    assert heading.value == "Who gets pushed" and heading.proto.help
    assert any("Each dot is one test example" in c.value for c in at.caption)
    assert not any("raw numbers" in c.value for c in at.caption)
    (spec,) = _charts(at)
    dots = _units(spec)["circle"]
    runs = ["softmax + squared error", "sigmoid + squared error"]
    assert dots["encoding"]["color"]["scale"]["domain"] == runs
    drawn = pd.DataFrame(_rows(spec, dots))
    test_points = len(make_toy("blobs", n_samples=600, noise=BLOBS.noise, seed=0).x_test)
    assert drawn["run"].value_counts().to_dict() == {run: test_points for run in runs}
    assert drawn["p_right"].between(0, 1).all()
    # the sentence under it: the same dots in words, both runs named
    sentence = pushes_sentence(drawn, runs)
    assert sentence.startswith("Confidently wrong test examples") and sentence.count("squared error*") == 2
    assert sentence in [m.value for m in at.markdown]


def test_section_says_a_diverged_runs_dots_are_from_before() -> None:
    at = AppTest.from_function(_section_script, args=(("softmax", "sigmoid"), True, True), default_timeout=60)
    at.run()
    assert not at.exception
    assert len(_charts(at)) == 1
    notes = [c.value for c in at.caption if c.value.startswith("**")]
    assert notes == ["**sigmoid \\+ squared error**: Diverged at epoch 2.5: the picture is from before."]


def test_section_explains_raw_outputs_and_waits_for_a_view() -> None:
    at = AppTest.from_function(_section_script, args=(("softmax", "none"), True), default_timeout=60).run()
    assert not at.exception
    assert any("raw numbers, not probabilities" in c.value for c in at.caption)
    empty = AppTest.from_function(_section_script, args=(("softmax",), False), default_timeout=60).run()
    assert not empty.exception
    assert empty.subheader[0].value == "Who gets pushed"
    assert not _charts(empty)
    assert any("appear once" in c.value for c in empty.caption)


def test_with_first_keeps_the_first_pictures_pushes_beside_the_latest() -> None:
    from nnexplore.snapshots import with_first

    first = {"step": 1, "pushes": {"push": [1.0]}, "grid": "big"}
    later = {"step": 9, "pushes": {"push": [0.1]}, "grid": "new"}
    assert with_first(later, first) == {**later, "first_pushes": {"push": [1.0]}}  # the grid is not kept
    assert with_first(first, first)["first_pushes"] is first["pushes"]


def test_section_shows_the_start_and_now_on_one_push_axis() -> None:
    at = AppTest.from_function(
        _section_script, args=(("softmax", "sigmoid"), True, False, True), default_timeout=60
    ).run()
    assert not at.exception
    start, now = _charts(at)
    assert start["title"] == "At the first picture" and now["title"] == "Now"
    axes = [_units(spec)["circle"]["encoding"]["y"]["scale"]["domain"] for spec in (start, now)]
    assert axes[0] == axes[1] and axes[0][1] >= 2.5  # one axis, tall enough for the start's pushes
    said = [m.value for m in at.markdown]
    assert any(m.startswith("**At the first picture**: confidently wrong") for m in said), said
    assert any(m.startswith("**Now**:") for m in said), said


def test_the_pushes_sentence_follows_the_timeline_in_the_charts_title():
    """With the page's timeline the pushes chart's sentence is its title, picked in the browser by
    the timeline's epoch: at each moment, that moment's sentence in plain words."""
    from nnexplore.ui.charts.timeline import PARAM, at_moment, spans
    from nnexplore.ui.safe_text import plain_words
    from nnexplore.ui.sections import pushes as section

    rows = []
    for t, wrong_push in ((0.5, 0.9), (2.0, 0.3)):
        for run in ("CE", "MSE"):
            rows += [{"run": run, "p_right": 0.05, "push": wrong_push, "t": t}]
            rows += [{"run": run, "p_right": 0.95, "push": 0.05, "t": t}]
    moments = pd.DataFrame(rows).merge(spans([0.5, 2.0]), on="t")
    title = section._moment_title(moments, ["CE", "MSE"]).to_dict()
    expr = title["text"]["expr"]
    assert expr.startswith(f"{PARAM} < 2.0 ? ") and title["orient"] == "bottom"
    early, late = expr.split(" : ", 1)  # before 2.0: the first moment's lines; after: the second's
    for epoch, branch in ((0.5, early), (2.0, late)):
        sentence = plain_words(pushes_sentence(at_moment(moments, epoch), ["CE", "MSE"]))
        assert json.dumps(f"At epoch {epoch:.1f}") in branch
        for line in textwrap.wrap(sentence, section.TITLE_LINE):
            assert json.dumps(line, ensure_ascii=False) in branch
    assert early != late
