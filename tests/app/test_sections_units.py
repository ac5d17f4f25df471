"""The Hidden units section in streamlit's AppTest, drawn from real Job objects carrying a view."""

from __future__ import annotations

import json

import pyarrow as pa
from streamlit.testing.v1 import AppTest

TIMEOUT = 60


def _section_app(scenario: str) -> None:
    import threading

    import torch

    from nnexplore.config import RunConfig
    from nnexplore.data import make_toy
    from nnexplore.model import build_model
    from nnexplore.runs.job import Job
    from nnexplore.snapshots import model_view
    from nnexplore.ui.live.specs import ChartCache
    from nnexplore.ui.sections import LiveRuns, units

    configs = {
        "toy": [
            ("wide ReLU", RunConfig(n_samples=200, hidden=(40, 8))),
            ("softmax", RunConfig(n_samples=200, hidden=(6,), hidden_activation="softmax")),
        ],
        "no hidden": [("logistic", RunConfig(n_samples=200, hidden=()))],
        "mnist": [("digits", RunConfig(dataset="mnist"))],
        "edge": [
            ("too fast", RunConfig(n_samples=200, hidden=(6,))),
            ("waiting", RunConfig(n_samples=200, hidden=(4,))),
        ],
    }[scenario]
    lock, jobs = threading.Lock(), []
    for label, cfg in configs:
        torch.manual_seed(0)
        if cfg.dataset == "mnist":
            from nnexplore.data import Dataset

            x, y = torch.zeros(100, 784, dtype=torch.uint8), torch.arange(100) % 10  # 36 digits are drawn
            dataset = Dataset(x[:50], y[:50], x[50:], y[50:], num_classes=10, name="mnist")
        else:
            dataset = make_toy(cfg.dataset, n_samples=cfg.n_samples, noise=cfg.noise, seed=0)
        job = Job(cfg, "session", label, lock)
        job.id = f"job-{label}"  # the script reruns and makes new Jobs: keep ids as the manager does
        record = {"step": 5, "status": "done"}
        job.status, job.records = "done", [record]
        job.view = model_view(build_model(cfg, dataset.n_features, dataset.num_classes), dataset, cfg, record)
        jobs.append(job)
    if scenario == "edge":  # the first diverged at epoch 1.6 after its picture at 1.4; the second waits
        jobs[0].status, jobs[0].records = "diverged", [{"step": 8, "epoch": 1.6, "status": "diverged"}]
        jobs[0].view["epoch"] = 1.4
        jobs[1].status, jobs[1].records, jobs[1].view = "queued", [], None
    labels = [label for label, _ in configs]
    runs = [(label, job.records) for label, job in zip(labels, jobs)]
    live = LiveRuns(jobs, labels, runs, ChartCache(jobs, "pp"), "pp", lambda job_id: 2)
    units.draw(live)
    live.charts.close()


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("vega_lite_chart")]


def _squares(at: AppTest) -> list[dict]:
    """The one chart's rows, one per unit: streamlit sends a chart's named data sets as Arrow."""
    (element,) = at.get("vega_lite_chart")
    name = json.loads(element.proto.spec)["vconcat"][0]["data"]["name"]
    (dataset,) = [d for d in element.proto.datasets if d.name == name]
    return pa.ipc.open_stream(dataset.data.data).read_pandas().to_dict("records")


def test_the_newest_run_is_drawn_and_another_run_and_layer_can_be_picked() -> None:
    at = AppTest.from_function(_section_app, args=("toy",), default_timeout=TIMEOUT).run()
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Hidden units"]
    run = at.selectbox(key="pp_units_run")
    assert run.help and run.options == ["wide ReLU", "softmax"]
    assert run.index == 1  # the newest run first
    assert [row["name"] for row in _squares(at)] == [f"unit {i}" for i in range(1, 7)]
    assert "All 6 units of hidden 1 (softmax)" in at.caption[0].value
    assert "share a total of 1" in at.caption[0].value

    at = run.select_index(0).run()
    (layer,) = at.radio
    assert layer.key == "pp_units_layer_job-wide ReLU" and layer.help
    assert layer.options == ["hidden 1", "hidden 2"] and layer.index == 0
    assert "The first 32 of 40 units of hidden 1 (ReLU)" in at.caption[0].value
    assert "dead unit" in at.caption[0].value
    assert len(_squares(at)) == 32

    at = layer.set_value(1).run()
    assert "All 8 units of hidden 2 (ReLU)" in at.caption[0].value
    assert len(_squares(at)) == 8


def test_without_hidden_layers_or_on_mnist_a_line_says_why() -> None:
    at = AppTest.from_function(_section_app, args=("no hidden",), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.subheader and not _charts(at)
    assert "no hidden layer" in at.caption[0].value
    at = AppTest.from_function(_section_app, args=("mnist",), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.subheader and not _charts(at)
    assert "2-D toy problems only" in at.caption[0].value


def test_a_queued_run_can_be_chosen_and_says_its_place_and_a_diverged_one_keeps_its_units() -> None:
    at = AppTest.from_function(_section_app, args=("edge",), default_timeout=TIMEOUT).run()
    assert not at.exception
    run = at.selectbox(key="pp_units_run")
    assert run.options == ["too fast", "waiting"] and run.index == 0  # the newest run with units drawn
    assert len(at.get("vega_lite_chart")) == 1  # the diverged run's last good units stay
    assert "Diverged at epoch 1.6: the picture is from before (epoch 1.4)." in [c.value for c in at.caption]
    at = run.set_value("job-waiting").run()
    assert not at.exception
    assert not at.get("vega_lite_chart") and not at.radio
    assert [c.value for c in at.caption] == ["Waiting for a free training slot (place 2 in the queue)."]
