"""How long one redraw of the live charts takes: python -m devtools.bench_draw [--runs 4] [--reps 7].

Trains a few Playground-default runs on moons (each with another hidden
activation) with the real training loop, takes each one's final snapshot, and
then times the live part's chart drawing (``nnexplore.ui.live.view._draw``) inside a
real Streamlit script run (AppTest): the Playground's first draw (its headline views;
``--all-views``: every view the runs can show, as every page drew before "More views"), three ways:

* full: the chart cache emptied before every repetition, as on a page's first
  draw or once every run has ended (every chart is built);
* full, shared: the same, but another page of the server already drew these
  finished runs (nnexplore.ui.live.shared: the specs are reused);
* live tick: the runs marked as training and a new snapshot on every tick, as a
  live fragment sees them (what the chart cache lets one tick rebuild).

Prints the median and the spread of each, in CPU time of the script's thread
(the machine is shared: wall-clock times moved by a third between runs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from typing import TYPE_CHECKING

from streamlit.testing.v1 import AppTest

if TYPE_CHECKING:  # nnexplore is imported where it is used, as everywhere in this module
    from nnexplore.config import RunConfig
    from nnexplore.runs.job import Job

ACTIVATIONS = ("relu", "tanh", "sigmoid", "softmax")


def finished_job(cfg: RunConfig) -> Job:
    """One finished run (records, timeline and final snapshot), as the job manager would hold it."""
    from nnexplore.data import load_dataset
    from nnexplore.moments import timeline_records
    from nnexplore.runs.job import Job
    from nnexplore.snapshots import model_view
    from nnexplore.training import expected_records, train

    job = Job(cfg, "bench", "", threading.Lock())
    data = load_dataset(cfg)
    views: list[dict] = []
    frames = timeline_records(expected_records(cfg, len(data.x_train)))

    def snapshots(model, record) -> None:
        # the timeline's frames as the training process takes them, and the final snapshot
        frame = record["step"] in steps
        last = record["status"] != "running"
        if frame or last:
            view = model_view(model, data, cfg, {**record, "frame": True})
            job.timeline.append(view.pop("frame"))
            if last:
                views.append(view)

    steps = _frame_steps(cfg, len(data.x_train), frames)
    job.records = list(train(cfg, dataset=data, on_record=snapshots))
    job.view, job.status = views[-1], job.records[-1]["status"]
    return job


def _frame_steps(cfg: RunConfig, n_train: int, frames: frozenset[int]) -> set[int]:
    """The training steps of the records that get a frame (the child counts records instead)."""
    from nnexplore.training import expected_records, schedule

    steps_per_epoch, record_every, _ = schedule(cfg, n_train)
    total = steps_per_epoch * cfg.epochs
    steps = [min(record_every * (i + 1), total) for i in range(expected_records(cfg, n_train))]
    return {steps[i] for i in frames}


def finished_jobs(n: int) -> list:
    """n finished Playground-default runs, each with another hidden activation."""
    from nnexplore.config import RunConfig

    return [
        finished_job(RunConfig(hidden_activation=ACTIVATIONS[i % len(ACTIVATIONS)], seed=i)) for i in range(n)
    ]


def _draw_app() -> None:
    import time

    import streamlit as st

    from nnexplore.ui import state
    from nnexplore.ui.live import view as live
    from nnexplore.ui.page_state import page_state

    jobs = st.session_state["bench_jobs"]
    mode = st.session_state["bench_mode"]
    if mode == "full":
        state.shared_charts.clear()  # no other page drew these runs
    charts = page_state().charts
    if mode == "live tick":
        for job in jobs:  # training, with a new snapshot since the last tick
            job.status, job.view = "running", {**job.view, "step": job.view["step"] + 1}
        if "part" in charts:
            charts["part"].next = 0.0  # a tick is due
    else:
        charts.clear()  # every chart built
    started = time.thread_time()  # CPU of the script's thread: other processes do not count
    live._draw(jobs, "part", tuple(st.session_state["bench_views"]))
    st.session_state["bench_times"].append(time.thread_time() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.bench_draw", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--runs", type=int, default=4, help="runs on the page (default 4)")
    parser.add_argument("--reps", type=int, default=7, help="timed redraws (default 7)")
    parser.add_argument(
        "--all-views",
        action="store_true",
        help="draw every view the runs can show, as the page did before More views (default: the "
        "Playground's first draw, its headline views)",
    )
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    jobs = finished_jobs(args.runs)
    from nnexplore import views

    offered = views.offered({"moons"}, hidden=True)
    headline = offered if args.all_views else tuple(n for n in views.PLAYGROUND_HEADLINE if n in offered)
    sections = ", ".join(headline)
    for mode in ("full", "full, shared", "live tick"):
        at = AppTest.from_function(_draw_app, default_timeout=120)
        at.session_state["bench_jobs"] = jobs
        at.session_state["bench_mode"] = mode
        at.session_state["bench_views"] = (headline, offered)
        at.session_state["bench_times"] = []
        at.run()  # warm: imports, first Altair use; for live ticks, the page's first draw
        at.session_state["bench_times"] = []
        for _ in range(args.reps):
            at.run()
            if at.exception:
                print(at.exception[0].value, file=sys.stderr)
                return 1
        times = at.session_state["bench_times"]
        print(
            f"{mode}, {args.runs} toy runs ({sections}):"
            f" median {statistics.median(times) * 1000:.0f} ms, min {min(times) * 1000:.0f},"
            f" max {max(times) * 1000:.0f} ms over {len(times)} redraws"
        )
    return 0


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.0f} s in all)", file=sys.stderr)
    sys.exit(code)
