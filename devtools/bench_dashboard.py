"""Dashboard benchmark (python -m devtools.bench --dashboard): a real server, a real browser.

Needs the dev requirements (Playwright) and Debian's chromium. Measures, in one
run with alternating repetitions:
1. seconds from pressing Train to the first chart on the page (toy data), on a
   fresh server and on a warm one;
2. training throughput of a run started from the page while the page is open
   and redrawing, against train() headless for the same config on the same core.

Both with the app (server and training processes) pinned to one core as on a
Cloud box, and the browser on the other (devtools.local_servers.app_pinned).
3. the most points any chart series holds for a 50-epoch run (target ≤ 2,000);
4. memory (see devtools.procmem for RSS against PSS): the server idle with a
   page open, the cost of each further session, the whole app while an MNIST
   run trains, and the whole app once idle again.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import altair as alt
import torch

from devtools import procmem
from devtools.local_servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SHARED_MNIST,
    app_pinned,
    serve_folder,
    streamlit_server,
)
from nnexplore.config import RunConfig
from nnexplore.data import TEST_FILES
from nnexplore.training import train
from nnexplore.ui.charts import frames, gradients, training
from nnexplore.ui.network import KEY as NETWORK_PICTURE

# A toy run of about 10 s: long enough that the page is past its first draw (which costs most).
THROUGHPUT_CFG = RunConfig(dataset="moons", n_samples=20000, epochs=25, batch_size=32, device="cpu")


#: The MNIST run of the memory measure: the default network, 2 epochs.
MEMORY_MNIST_CFG = RunConfig(dataset="mnist", epochs=2, device="cpu")
#: Further sessions opened to measure what one session costs.
EXTRA_SESSIONS = 20


def _open_playground(browser, url: str, cfg: RunConfig | None = None):
    """A new browser session (context) showing the Playground, optionally with a run's settings."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url + ("?" + urlencode(cfg.to_query_params()) if cfg else ""))
    page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
    return context, page


def _press_train(page) -> None:
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()


#: Timed in the page, from the moment the page shows its heading (``shown``) and from the click
#: on Train as the page receives it (``click``), to the first chart the browser has drawn (a canvas
#: or an SVG inside a chart element), not counting the picture of the network the page shows before
#: any run (nnexplore.ui.network). A fresh page takes a moment before it takes a click: on this
#: benchmark's one browser core, 0.5-1 s of its own rendering. Playwright's own polling for a
#: visible chart added 0.3-0.5 s, and its process runs on the browser's cores.
_FIRST_CHART_JS = """() => {
  const t0 = performance.now();
  window.__firstChart = null;
  let clicked = null;
  document.addEventListener('click', () => { clicked = clicked ?? performance.now(); }, true);
  new MutationObserver((_, observer) => {
    const drawn = document.querySelectorAll('[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg');
    if ([...drawn].some(e => !e.closest('.st-key-PICTURE'))) {
      const now = performance.now();
      window.__firstChart = {shown: now - t0, click: now - (clicked ?? t0)};
      observer.disconnect();
    }
  }).observe(document, {subtree: true, childList: true});
}""".replace("PICTURE", NETWORK_PICTURE)


def _page_run(browser, url: str, cfg: RunConfig) -> tuple[dict[str, float], float]:
    """({"shown": s, "click": s} from the page showing and from the click to the first chart,
    samples/s of the run) for one fresh session."""
    context, page = _open_playground(browser, url, cfg)
    page.evaluate(_FIRST_CHART_JS)
    _press_train(page)
    page.wait_for_function("() => window.__firstChart !== null", timeout=60_000)
    first_chart = {k: ms / 1000 for k, ms in page.evaluate("() => window.__firstChart").items()}
    page.get_by_text("done, test accuracy").wait_for(timeout=300_000)
    text = page.get_by_text("done, test accuracy").inner_text()
    context.close()
    seconds = float(text.rsplit(" in ", 1)[1].split(" s")[0])
    return first_chart, _train_samples(cfg) / max(seconds, 0.05)  # the page rounds to 0.1 s


def cold_first_chart(browser) -> dict[str, float]:
    """Seconds to the first chart for the first run of a fresh server, Train pressed as soon as
    the page shows (from the page showing, and from the click): the training forkserver starts
    with that page. The server (and its training processes) on one core as on a Cloud box, the
    browser on the others."""
    with streamlit_server({}) as (url, proc), app_pinned(proc.pid):
        seconds, _ = _page_run(browser, url, RunConfig(epochs=1))
    return seconds


def _headless_on(cores: set[int], cfg: RunConfig) -> float:
    """``_headless(cfg)`` with this thread on ``cores`` (the app's, from app_pinned)."""
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        return _headless(cfg)
    finally:
        os.sched_setaffinity(0, mine)


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
        training.accuracy_chart(frames.metric_long(runs, ["train_acc", "test_acc"])),
        training.loss_chart(frames.runs_frame(runs)),
        training.outside_chart(frames.runs_frame(runs)),
        gradients.gradient_lines(frames.layer_long(runs, "grad_norm")),
        training.weak_off_dead_chart(frames.weak_off_dead_long(runs)),
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


def _mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


def memory_rows(browser) -> list[tuple[str, str, str]]:
    """Memory of a fresh server: idle, per extra session, during an MNIST run, idle again.

    The server runs with one slot (the Cloud box), MNIST from a loopback mirror
    of ../shared/mnist (the 10,000-image test set, split 8,000/2,000), and the
    forkserver stopped after 5 s without runs so that "idle again" is reached
    within the benchmark.
    """
    have_mnist = all((SHARED_MNIST / name).exists() for name in TEST_FILES)
    with contextlib.ExitStack() as stack:
        env = {
            "NNEXPLORE_SLOTS": "1",
            "NNEXPLORE_WORKER_IDLE_S": "5",
            "NNEXPLORE_DATA_DIR": stack.enter_context(tempfile.TemporaryDirectory(prefix="nnexplore-bench-")),
            "NO_PROXY": "127.0.0.1,localhost",
        }
        if have_mnist:
            env["NNEXPLORE_MNIST_MIRRORS"] = stack.enter_context(serve_folder(SHARED_MNIST))
            env["NNEXPLORE_MNIST_TEST_ONLY"] = "1"
        url, proc = stack.enter_context(streamlit_server(env))
        context, page = _open_playground(browser, url)
        # Opening the page starts the forkserver ahead of a run; with no run it stops after 5 s.
        time.sleep(8)
        idle = procmem.tree_memory(proc.pid)

        others = [_open_playground(browser, url)[0] for _ in range(EXTRA_SESSIONS)]
        time.sleep(3)
        crowded = procmem.tree_memory(proc.pid)
        for other in others:
            other.close()
        per_session = (crowded.root_rss_kb - idle.root_rss_kb) / EXTRA_SESSIONS

        rows = [
            (
                "server idle (a page open, no run for 5 s): server RSS / whole app PSS",
                f"{_mb(idle.root_rss_kb)} / {_mb(idle.total_pss_kb)}",
                "target < 400 MB",
            ),
            (
                f"each further open session (server RSS growth over {EXTRA_SESSIONS})",
                f"{per_session / 1024:.1f} MB",
                "target < 30 MB",
            ),
        ]
        if not have_mnist:
            rows.append(("MNIST run", f"not measured: no MNIST files in {SHARED_MNIST}", ""))
            context.close()
            return rows

        context.close()
        context, page = _open_playground(browser, url, MEMORY_MNIST_CFG)
        _press_train(page)
        done = page.get_by_text("done, test accuracy")
        peak_total = peak_server = 0
        deadline = time.monotonic() + 300
        while not done.count() and time.monotonic() < deadline:
            reading = procmem.tree_memory(proc.pid)
            peak_total = max(peak_total, reading.total_pss_kb)
            peak_server = max(peak_server, reading.root_rss_kb)
            page.wait_for_timeout(200)
        finished = bool(done.count())
        context.close()
        deadline = time.monotonic() + 30
        while procmem.forkserver(proc.pid) is not None and time.monotonic() < deadline:
            time.sleep(0.5)
        after = procmem.tree_memory(proc.pid)
    label = "MNIST (8,000 training images) loaded, one run training: peak whole app PSS / server RSS"
    rows += [
        (
            label if finished else label + " (the run did not finish in 300 s)",
            f"{_mb(peak_total)} / {_mb(peak_server)}",
            "target < 700 MB",
        ),
        (
            "idle again after the run (forkserver stopped): server RSS / whole app PSS",
            f"{_mb(after.root_rss_kb)} / {_mb(after.total_pss_kb)}",
            "",
        ),
    ]
    return rows


def run_dashboard_bench(reps: int = 3) -> int:
    if not Path(CHROMIUM).exists():
        print("The dashboard benchmark needs Debian's chromium: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    torch.set_num_threads(1)  # the server's training slots use one torch thread each
    first, page_rate, headless_rate = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        memory = memory_rows(browser)
        cold = [cold_first_chart(browser) for _ in range(reps)]
        # The app on one core, as on a Cloud box, its training with it; the browser on the other.
        # train() alone on that core, the browser idle, is what the page's run is measured against.
        with streamlit_server({}) as (url, proc), app_pinned(proc.pid):
            app_cores = os.sched_getaffinity(proc.pid)
            _headless_on(app_cores, THROUGHPUT_CFG)
            for rep in range(reps):
                # A new seed each time: the same run again would be served whole from the
                # store of finished runs (nnexplore.runs.store), not trained.
                cfg = THROUGHPUT_CFG.replace(seed=rep + 1)
                seconds, rate = _page_run(browser, url, cfg)
                first.append(seconds["click"])
                page_rate.append(rate)
                headless_rate.append(_headless_on(app_cores, cfg))
        browser.close()
    most, n_records = max_points_per_series()
    ratio = statistics.median(page_rate) / statistics.median(headless_rate)
    rows = [
        *(
            (
                f"fresh server pinned to one core, Train pressed as the page shows: {name} (median)",
                f"{statistics.median(c[key] for c in cold):.2f} s ({', '.join(f'{c[key]:.2f}' for c in cold)})",
                "target < 2 s",
            )
            for key, name in (
                ("shown", "page shown → first chart"),
                ("click", "the click → first chart"),
            )
        ),
        (
            "Train clicked → first chart on the page (warm server, toy data, median)",
            f"{statistics.median(first):.2f} s",
            "target < 2 s",
        ),
        (
            "training with the page open, the app pinned to one core (median)",
            f"{statistics.median(page_rate):,.0f} samples/s",
            "",
        ),
        (
            "train() headless on that core, same config, 1 torch thread (median)",
            f"{statistics.median(headless_rate):,.0f} samples/s",
            "",
        ),
        ("throughput ratio page open / headless", f"{ratio:.2f}", "target ≥ 0.8"),
        (
            f"most points in one chart series, 50-epoch run ({n_records} records)",
            f"{most:,}",
            "target ≤ 2,000",
        ),
        *memory,
    ]
    width = max(len(r[0]) for r in rows)
    print(f"nnexplore dashboard bench · {reps} alternating repetitions · {os.cpu_count()} CPUs")
    print(f"| {'measure':<{width}} | {'result':>22} | target")
    print(f"|{'-' * (width + 2)}|{'-' * 24}|-------")
    for name, value, target in rows:
        print(f"| {name:<{width}} | {value:>22} | {target}")
    return 0
