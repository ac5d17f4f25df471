"""The gradient-flow section and the weak, off and dead units chart, drawn by AppTest from real finished runs.

Each page here is the live sections' ``draw`` called on real ``Job`` objects
that carry the records of a short real training run, so what is checked is
what a learner sees: one panel per run under its name, the first-layer chart
or the words that say why there is none, and no empty chart for a network
without hidden layers.
"""

from __future__ import annotations

import threading
from functools import cache

import torch
from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.runs.job import Job
from nnexplore.training import train
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.sections import FIRST_PICTURE, hidden_layer_note, run_note
from nnexplore.ui.sentences import reach_sentence, units_sentence
from nnexplore.views import CHART_REACH, CHART_UNITS

TIMEOUT = 60
# 160 training points in batches of 8: 20 steps, two records (they fall at least 10 steps apart)
TINY = RunConfig(dataset="moons", n_samples=200, hidden=(8, 8), epochs=1, batch_size=8, seed=0, device="cpu")


@cache
def _records(cfg: RunConfig) -> tuple[dict, ...]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return tuple(train(cfg))
    finally:
        torch.set_num_threads(before)


def _job(label: str, cfg: RunConfig) -> Job:
    job = Job(cfg, "test-session", label, threading.Lock())
    job.records = list(_records(cfg))
    job.status = job.records[-1]["status"]
    return job


def _page(jobs, place=None) -> None:  # no annotation: AppTest runs this source alone
    from nnexplore.ui.live.specs import ChartCache
    from nnexplore.ui.sections import LiveRuns, curves, gradient_flow

    labels = [job.label for job in jobs]
    runs = [(job.label, job.records_since(0)) for job in jobs]
    live = LiveRuns(jobs, labels, runs, ChartCache(jobs, "t"), "t", lambda job_id: place)
    for draw in (curves.draw_accuracy, curves.draw_loss, curves.draw_outside, curves.draw_units):
        draw(live)
    for draw in (gradient_flow.draw_panels, gradient_flow.draw_reach, gradient_flow.draw_layers):
        draw(live)
    live.charts.close()


def _app(jobs: list[Job], place: int | None = None) -> AppTest:
    at = AppTest.from_function(_page, args=(jobs, place), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def _texts(at: AppTest) -> list[str]:
    return [c.value for c in at.caption] + [i.value for i in at.info]


def test_the_note_decides_chart_or_words() -> None:
    why = "no units that could be weak, off or dead"
    assert hidden_layer_note(["a", "b"], [], why) == (True, "")
    show, words = hidden_layer_note(["a"], ["a"], why)
    assert not show and words.startswith("This network has no hidden layer, so no units")
    show, words = hidden_layer_note(["a", "b"], ["a", "b"], why)
    assert not show and words.startswith("These networks have no hidden layer")
    show, words = hidden_layer_note(["deep", "linear [x]"], ["linear [x]"], why)
    assert show and "linear \\[x\\]" in words and "deep" not in words  # named, as plain text


def test_a_run_note_says_each_state_in_the_same_words() -> None:
    job = Job(TINY, "test-session", "a", threading.Lock())
    assert run_note(job, False, 3) == "Waiting for a free training slot (place 3 in the queue)."
    assert run_note(job, False) == "Waiting for a free training slot."
    job.status, job.progress = "loading", (0.5, "Downloading MNIST: 50%")
    assert run_note(job, False) == "Downloading MNIST: 50%"
    job.status = "running"
    assert (run_note(job, False), run_note(job, True)) == (FIRST_PICTURE, "")
    assert run_note(job, False, pending="Comes when this run ends.") == "Comes when this run ends."
    job.status = "done"
    assert run_note(job, False, what="matrix") == "No matrix: this run ended before one was drawn."
    job.status = "error"
    assert run_note(job, False) == "No picture: this run could not run."
    job.status, job.records = "diverged", [{"epoch": 2.345, "status": "diverged"}]
    assert (
        run_note(job, True, picture_epoch=2.25)
        == "Diverged at epoch 2.3: the picture is from before (epoch 2.2)."
    )
    assert run_note(job, True) == "Diverged at epoch 2.3: the picture is from before."
    job.records = [{"epoch": 0.01, "status": "diverged"}]
    assert run_note(job, False) == "No picture: this run diverged in its first steps, before one was drawn."


def test_networks_without_a_hidden_layer_get_words_not_empty_charts() -> None:
    jobs = [
        _job("cross-entropy", TINY.replace(hidden=())),
        _job("squared error", TINY.replace(hidden=(), loss="mse")),
    ]
    at = _app(jobs)
    infos = [i.value for i in at.info]
    assert any("no hidden layer, so no units that could be weak, off or dead" in i for i in infos)
    assert any("no hidden layer, so there is no first hidden layer" in i for i in infos)
    headings = [h.value for h in at.subheader]
    assert CHART_UNITS in headings and CHART_REACH in headings
    # accuracy, loss, outside [0, 1]; one line, heatmap and bar panel per run; no units chart, no reach
    assert _charts(at) == 3 + 3 * len(jobs)


def test_one_panel_per_run_under_its_name_and_the_shallow_run_named_as_left_out() -> None:
    jobs = [
        _job("ReLU, two layers", TINY),
        _job("sigmoid, two layers", TINY.replace(hidden_activation="sigmoid")),
        _job("linear model", TINY.replace(hidden=())),
    ]
    at = _app(jobs)
    captions = [c.value for c in at.caption]
    for job in jobs:
        # the run's name is page text above its line, heatmap and bar panels
        assert captions.count(f"**{plain_text(job.label)}**") == 3, job.label
    left_out = [c for c in captions if c.startswith("Not drawn")]
    assert len(left_out) == 2 and all("no hidden layer" in c for c in left_out)
    # the sentence under the reach chart: the two runs with a hidden layer, from their newest records
    sentence = reach_sentence([(job.label, job.records) for job in jobs])
    relu, sigmoid = (plain_text(job.label) for job in jobs[:2])
    assert sentence.startswith(f"In *{relu}*, the first layer's gradient is now about")
    assert f"; in *{sigmoid}*, about 1/" in sentence and "linear" not in sentence
    assert sentence in [m.value for m in at.markdown]
    # the sentence under the units chart: ReLU off and dead, sigmoid weak and dead
    units = units_sentence([(job.label, job.records) for job in jobs])
    assert f"*{relu}* " in units and "of unit values off" in units and "of unit values weak" in units
    assert units in [m.value for m in at.markdown]
    assert not at.info
    # accuracy, loss, outside, weak/off/dead units, reach, and three panels per run
    assert _charts(at) == 5 + 3 * len(jobs)


def test_more_runs_than_fit_side_by_side_picture_the_newest_four() -> None:
    count = 5
    jobs = [_job(f"run {i}", TINY.replace(seed=i)) for i in range(count)]
    at = _app(jobs)
    captions = [c.value for c in at.caption]
    assert not any(c == "**run 0**" for c in captions)
    assert sum(c == "**run 4**" for c in captions) == 3
    assert any(f"Panels for 4 of the {count} runs" in c for c in captions)


def test_a_queued_run_says_its_place_in_each_gradient_panel() -> None:
    waiting = Job(TINY.replace(seed=1), "test-session", "waiting", threading.Lock())  # queued, no records
    at = _app([_job("trained", TINY), waiting], place=2)
    captions = [c.value for c in at.caption]
    assert captions.count("Waiting for a free training slot (place 2 in the queue).") == 3
    # accuracy, loss, outside, weak/off/dead units, reach, and three panels for the trained run only
    assert _charts(at) == 5 + 3


def test_a_diverged_run_keeps_its_gradient_panels_with_the_note() -> None:
    fast = _job(
        # lr 2 rather than 10: three records before the loss overflows, not none
        "too fast",
        TINY.replace(lr=2.0, optimizer="sgd", loss="mse", output_activation="none", epochs=5),
    )
    assert fast.status == "diverged" and len(fast.records) > 2
    at = _app([_job("trained", TINY), fast])
    epoch = fast.records[-1]["epoch"]
    captions = [c.value for c in at.caption]
    assert captions.count(f"Diverged at epoch {epoch:.1f}: the picture is from before.") == 3
    assert _charts(at) == 5 + 3 * 2  # its lines, heatmap and bars stay


def _specs(at: AppTest) -> list[tuple[dict, dict[str, list[dict]]]]:
    """Each chart's spec and its tables (name -> rows), as the page sent them (Arrow bytes)."""
    import json

    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        tables = {
            d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.proto.datasets
        }
        out.append((json.loads(chart.proto.spec), tables))
    return out


def _marks(spec: dict):
    for key in ("layer", "vconcat"):
        for part in spec.get(key, []):
            yield from _marks(part)
    if "mark" in spec:
        yield spec


def test_the_page_draws_chance_from_each_dataset_and_a_loss_panel_per_kind() -> None:
    jobs = [
        _job("cross-entropy on moons", TINY),
        _job("squared error on moons", TINY.replace(loss="mse", output_activation="sigmoid")),
        _job("three arms", TINY.replace(dataset="spiral3")),
    ]
    specs = _specs(_app(jobs))
    rules = [
        (unit, tables)
        for spec, tables in specs
        for unit in _marks(spec)
        if (unit["mark"]["type"] if isinstance(unit["mark"], dict) else unit["mark"]) == "rule"
    ]
    chance = [rows for unit, tables in rules for rows in [tables.get(unit.get("data", {}).get("name"), [])]]
    # the accuracy chart: one rule per number of classes (moons 2, three arms 3), each named
    assert [(round(r["value"], 4), r["note"]) for r in chance[0]] == [
        (0.5, "chance (2 classes)"),
        (0.3333, "chance (3 classes)"),
    ]
    # the loss chart: a panel for cross-entropy (two runs) and one for squared error
    (loss,) = [
        spec for spec, _ in specs if "vconcat" in spec and spec["vconcat"][0].get("title") == "Cross-entropy"
    ]
    assert [panel["title"] for panel in loss["vconcat"]] == ["Cross-entropy", "Squared error"]
    # no chart the page sends repeats its heading in a long title that a column cuts off
    titles = [spec.get("title") for spec, _ in specs if spec.get("title")]
    assert all(len(t if isinstance(t, str) else t["text"]) <= 20 for t in titles), titles
