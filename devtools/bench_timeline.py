"""What a run's timeline costs in bytes and memory: python -m devtools.bench_timeline [--runs 4].

Trains the Playground's default run with ``--runs`` hidden activations
(devtools.bench_draw's runs, with their timelines taken as the training process
takes them) and reports:

* per run: its frames, their bytes, and what the finished-run store counts for the
  run with them and without (nnexplore.runs.store.estimate_bytes);
* the decision regions of every run and the pushes chart: the bytes a page is sent for
  them (each spec's JSON and its Arrow tables), with the timeline and without;
* the finished-run store with 500 such runs asked for: how many it keeps within its MB
  limit, and what 500 would take.

The browser's side (the first draw, a step of the slider) is devtools.browser_cost's, and
the server's draw time devtools.bench_draw's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

import pandas as pd

from devtools.bench_draw import finished_jobs


def spec_bytes(chart) -> int:
    """What a chart costs to send: its spec's JSON and its tables as Arrow bytes (as the page sends them)."""
    from nnexplore.ui.live.specs import to_spec

    spec = to_spec(chart)
    tables = spec.pop("datasets", {})
    return len(json.dumps(spec)) + sum(len(t) for t in tables.values())


def chart_bytes(jobs) -> tuple[int, int]:
    """(bytes with the timeline, without) for every run's decision regions and the pushes chart."""
    from nnexplore.ui.charts import pushes, regions
    from nnexplore.ui.charts.timeline import plane_moments, run_moments

    labels = [job.cfg.hidden_activation for job in jobs]
    grids = [pd.DataFrame(job.view["grid"]) for job in jobs]
    moments = [plane_moments(job.view["grid"], job.timeline) for job in jobs]
    points = [pd.DataFrame(job.view["points"]) for job in jobs]
    now = pd.concat([pd.DataFrame(j.view["pushes"]).assign(run=lbl) for j, lbl in zip(jobs, labels)])
    over = pd.concat([run_moments(j.timeline, "pushes").assign(run=lbl) for j, lbl in zip(jobs, labels)])
    with_timeline = sum(
        spec_bytes(regions.decision_chart(m, p, domains=regions.plane_domains(moments, points)))
        for m, p in zip(moments, points)
    ) + spec_bytes(pushes.pushes_chart(over, labels))
    without = sum(
        spec_bytes(regions.decision_chart(g, p, domains=regions.plane_domains(grids, points)))
        for g, p in zip(grids, points)
    ) + spec_bytes(pushes.pushes_chart(now, labels))
    return with_timeline, without


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.bench_timeline", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--runs", type=int, default=4, help="runs, each another hidden activation (default 4)"
    )
    args = parser.parse_args(argv)
    from nnexplore.moments import frame_bytes
    from nnexplore.runs.store import STORE_MB, RunStore, estimate_bytes

    jobs = finished_jobs(args.runs)
    print("| run | frames | frame bytes | stored with the timeline | without |")
    print("|---|---|---|---|---|")
    stored = []
    for job in jobs:
        size = estimate_bytes(job.records, job.view, job.timeline) or 0
        stored.append(size)
        print(
            f"| {job.cfg.hidden_activation} | {len(job.timeline)} "
            f"| {sum(frame_bytes(f) for f in job.timeline) / 1e6:.2f} MB | {size / 1e6:.2f} MB "
            f"| {(estimate_bytes(job.records, job.view) or 0) / 1e6:.2f} MB |"
        )
    with_timeline, without = chart_bytes(jobs)
    print()
    print(
        f"Decision regions of {len(jobs)} runs and the pushes chart, sent to a page: "
        f"{with_timeline / 1e3:.0f} kB with the timeline, {without / 1e3:.0f} kB without."
    )
    from nnexplore.ui.charts import units

    first = jobs[0]
    layer = units.unit_frame(first.view["units"], 0)
    moments = units.unit_moments(first.view["units"], first.timeline, 0)
    print(
        f"The hidden units of one run's first layer ({layer['unit'].nunique()} units), sent to a page: "
        f"{spec_bytes(units.units_chart(moments, first.cfg.hidden_activation)) / 1e3:.0f} kB with the "
        f"timeline, {spec_bytes(units.units_chart(layer, first.cfg.hidden_activation)) / 1e3:.0f} kB without."
    )
    store = RunStore(max_runs=500)
    size = int(statistics.median(stored))
    for k in range(500):
        store.put(f"run-{k}", "done", jobs[0].records, jobs[0].view, size, jobs[0].timeline)
    print(
        f"The finished-run store, 500 runs of {size / 1e6:.2f} MB asked for: it keeps "
        f"{len(store)} within its {STORE_MB:.0f} MB; all 500 would take {500 * size / 1e6:.0f} MB."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
