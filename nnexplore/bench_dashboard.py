"""Dashboard benchmark (python -m nnexplore bench --dashboard): a real server, a real browser.

Needs the dev requirements (Playwright) and Debian's chromium. Measures, in one
run with alternating repetitions:
1. seconds from pressing Train to the first chart on the page (toy data);
2. training throughput of a run started from the page while the page is open
   and redrawing, against train() headless for the same config;
3. the most points any chart series holds for a 50-epoch run (target ≤ 2,000).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import altair as alt
import torch

from nnexplore.config import RunConfig
from nnexplore.local_servers import streamlit_server
from nnexplore.train import train
from nnexplore.ui import charts, frames

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# A toy run of about 10 s: long enough that the page is past its first draw (which costs most).
THROUGHPUT_CFG = RunConfig(dataset="moons", n_samples=20000, epochs=25, batch_size=32, device="cpu")


def _page_run(browser, url: str, cfg: RunConfig) -> tuple[float, float]:
    """(seconds from Train to the first chart, samples/s of the run) for one fresh session."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url + "?" + urlencode(cfg.to_query_params()))
    page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
    main = page.get_by_test_id("stMainBlockContainer")
    start = time.perf_counter()
    main.get_by_role("button", name="Train", exact=True).click()
    page.locator("[data-testid=stVegaLiteChart]").first.wait_for(timeout=60_000)
    first_chart = time.perf_counter() - start
    page.get_by_text("done, test accuracy").wait_for(timeout=300_000)
    text = page.get_by_text("done, test accuracy").inner_text()
    context.close()
    seconds = float(text.rsplit(" in ", 1)[1].split(" s")[0])
    return first_chart, _train_samples(cfg) / seconds


def _train_samples(cfg: RunConfig) -> int:
    return int(cfg.n_samples * 0.8) * cfg.epochs


def _headless(cfg: RunConfig) -> float:
    """samples/s of train() alone, measured like the page measures it (the last record's elapsed_s)."""
    for record in train(cfg):
        pass
    return record["samples"] / record["elapsed_s"]


def max_points_per_series(epochs: int = 50) -> int:
    """Largest number of points in any series of the live charts for a long run."""
    cfg = RunConfig(epochs=epochs, records_per_epoch=100, n_samples=400, batch_size=4)
    records = list(train(cfg))
    runs = [("long run", records)]
    alt.data_transformers.disable_max_rows()  # as the live page does; frames cap each series
    specs = [
        charts.accuracy_chart(frames.metric_long(runs, ["train_acc", "test_acc"])),
        charts.loss_chart(frames.runs_frame(runs)),
        charts.outside_chart(frames.runs_frame(runs)),
        charts.gradient_lines(frames.layer_long(runs, "grad_norm")),
        charts.saturation_chart(frames.saturation_long(runs)),
    ]
    most = 0
    for chart in specs:
        for rows in chart.to_dict(validate=False).get("datasets", {}).values():
            series: dict[tuple, int] = {}
            for row in rows:
                k = tuple(row.get(c) for c in ("run", "metric", "layer", "stat", "side"))
                series[k] = series.get(k, 0) + 1
            most = max(most, *series.values())
    return most, len(records)


def run_dashboard_bench(reps: int = 3) -> int:
    if not Path(CHROMIUM).exists():
        print("The dashboard benchmark needs Debian's chromium: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    torch.set_num_threads(1)  # the server's training slots use one torch thread each
    first, page_rate, headless_rate = [], [], []
    with streamlit_server({}) as (url, _), sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        _page_run(browser, url, RunConfig(epochs=1))  # warm-up: imports, first session
        _headless(THROUGHPUT_CFG)
        for _ in range(reps):
            seconds, rate = _page_run(browser, url, THROUGHPUT_CFG)
            first.append(seconds)
            page_rate.append(rate)
            headless_rate.append(_headless(THROUGHPUT_CFG))
        browser.close()
    most, n_records = max_points_per_series()
    ratio = statistics.median(page_rate) / statistics.median(headless_rate)
    rows = [
        (
            "Train pressed → first chart on the page (toy data, median)",
            f"{statistics.median(first):.2f} s",
            "target < 2 s",
        ),
        ("training with the page open (median)", f"{statistics.median(page_rate):,.0f} samples/s", ""),
        (
            "train() headless, same config, 1 torch thread (median)",
            f"{statistics.median(headless_rate):,.0f} samples/s",
            "",
        ),
        ("throughput ratio page open / headless", f"{ratio:.2f}", "target ≥ 0.8"),
        (
            f"most points in one chart series, 50-epoch run ({n_records} records)",
            f"{most:,}",
            "target ≤ 2,000",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"nnexplore dashboard bench · {reps} alternating repetitions · {os.cpu_count()} CPUs")
    print(f"| {'measure':<{width}} | {'result':>22} | target")
    print(f"|{'-' * (width + 2)}|{'-' * 24}|-------")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:>22} | {target}")
    return 0
