"""The gradient-flow section and the saturation chart, drawn by AppTest from real finished runs.

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
from nnexplore.runs.job import DONE, Job
from nnexplore.training import train
from nnexplore.ui.safe_text import plain_text
from nnexplore.ui.sections import hidden_layer_note

TIMEOUT = 60
TINY = RunConfig(dataset="moons", n_samples=200, hidden=(8, 8), epochs=1, batch_size=32, seed=0, device="cpu")


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
    job.status = DONE
    return job


def _page(jobs) -> None:  # no annotation: AppTest runs this source alone
    from nnexplore.ui.chart_cache import ChartCache
    from nnexplore.ui.sections import LiveRuns, curves, gradient_flow

    labels = [job.label for job in jobs]
    runs = [(job.label, job.records_since(0)) for job in jobs]
    live = LiveRuns(jobs, labels, runs, ChartCache(jobs, "t"), "t")
    curves.draw(live)
    gradient_flow.draw(live)
    live.out.close()


def _app(jobs: list[Job]) -> AppTest:
    at = AppTest.from_function(_page, args=(jobs,), default_timeout=TIMEOUT).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def _texts(at: AppTest) -> list[str]:
    return [c.value for c in at.caption] + [i.value for i in at.info]


def test_the_note_decides_chart_or_words() -> None:
    why = "no units that could saturate or die"
    assert hidden_layer_note(["a", "b"], [], why) == (True, "")
    show, words = hidden_layer_note(["a"], ["a"], why)
    assert not show and words.startswith("This network has no hidden layer, so no units")
    show, words = hidden_layer_note(["a", "b"], ["a", "b"], why)
    assert not show and words.startswith("These networks have no hidden layer")
    show, words = hidden_layer_note(["deep", "linear [x]"], ["linear [x]"], why)
    assert show and "linear \\[x\\]" in words and "deep" not in words  # named, as plain text


def test_networks_without_a_hidden_layer_get_words_not_empty_charts() -> None:
    jobs = [
        _job("cross-entropy", TINY.replace(hidden=())),
        _job("squared error", TINY.replace(hidden=(), loss="mse")),
    ]
    at = _app(jobs)
    infos = [i.value for i in at.info]
    assert any("no hidden layer, so no units that could saturate or die" in i for i in infos)
    assert any("no hidden layer, so there is no first hidden layer" in i for i in infos)
    headings = [h.value for h in at.subheader]
    assert "Saturation and dead units" in headings and "How much reaches the first layer" in headings
    # accuracy, loss, outside [0, 1]; one line, heatmap and bar panel per run; no saturation, no reach
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
    assert not at.info
    # accuracy, loss, outside, saturation, reach, and three panels per run
    assert _charts(at) == 5 + 3 * len(jobs)


def test_more_runs_than_fit_side_by_side_picture_the_newest_four() -> None:
    count = 5
    jobs = [_job(f"run {i}", TINY.replace(seed=i)) for i in range(count)]
    at = _app(jobs)
    captions = [c.value for c in at.caption]
    assert not any(c == "**run 0**" for c in captions)
    assert sum(c == "**run 4**" for c in captions) == 3
    assert any(f"Panels for 4 of the {count} runs" in c for c in captions)
