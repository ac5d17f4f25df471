"""What a page costs the learner's browser: python -m devtools.browser_cost [--reps 3] [--only playground|card|blank].

A school's laptop is two to three times slower than one core of this project's
machine, and a chart the server sends is drawn by the browser: Vega parses the
spec, builds a dataflow and renders it, for every chart on the page. This
bench measures the browser's CPU for one Chromium page alone on its own core,
with the app (a real ``streamlit run``, one training slot) pinned to the other
(devtools.local_servers.app_pinned), three ways:

* a finished Playground run shown: the Playground trains its default run, then
  the page is reloaded (a reload keeps the browser's runs) and the browser's
  CPU is summed from the reload until the page is quiet;
* a finished card shown: the same with the softmax-hidden card (three or four runs);
* an idle page: the share of a core the quiet page then takes over IDLE_S, read after a
  forced garbage collection (the page the reload replaced is collected then, not counted as
  idle work), over one period of the page's idle heartbeat (dashboard.py), twice: the page's
  first minute holds the end of Chromium's work after a load;
* a blank Streamlit page (devtools/blank_page.py), the floor under the idle share: Chromium's
  own processes and Streamlit's websocket keep-alive cost this much on any page;
* a step of the timeline (the finished card): the slider moved one moment with the keyboard,
  the browser's CPU until quiet, median over SCRUB_STEPS steps (each picture of the page
  follows it in the browser: nnexplore.ui.timeline).

The browser's CPU is the user and system time of every Chromium process this
process started (/proc, devtools.procmem). "Quiet": a QUIET_S window in which
the browser used less than QUIET_SHARE of a core; the cost is counted up to
the start of that window. Medians over ``--reps`` fresh pages.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from devtools.local_servers import CHROMIUM, CHROMIUM_ARGS, app_pinned, streamlit_server
from devtools.procmem import command_line, cpu_seconds, descendants
from nnexplore.experiments import EXPERIMENTS
from nnexplore.ui.live.pace import IDLE_HEARTBEAT_S

#: A page is quiet once the browser used less than 2% of a core over 1.5 s: Streamlit's own
#: heartbeat (every 5 s) and websocket pings cost a few ms each.
QUIET_S = 1.5
QUIET_SHARE = 0.02
#: The idle page's share of a core is read over one period of an idle page's heartbeat (each a
#: redraw of the page's tree in the browser): every such window holds exactly one beat.
IDLE_S = IDLE_HEARTBEAT_S
#: No page takes longer than this to become quiet: past it the figure is reported as it is.
SETTLE_LIMIT_S = 90.0
CARD = "softmax-hidden"
#: The blank page: a title and a line of text, served by Streamlit alone.
BLANK_SCRIPT = "devtools/blank_page.py"
BLANK_TEXT = "Nothing else on this page."
#: Timeline steps measured on the finished card (of its 30 or so moments).
SCRUB_STEPS = 8


def browser_cpu_s() -> float:
    """CPU seconds of every Chromium process below this one (renderers, GPU, browser)."""
    return sum(cpu_seconds(pid) for pid in descendants(os.getpid()) if "chrom" in command_line(pid))


def cpu_until_quiet() -> tuple[float, float]:
    """(browser CPU s, wall s) from now until the browser is quiet (see the module docstring)."""
    start_cpu, start = browser_cpu_s(), time.monotonic()
    readings = [(start, start_cpu)]
    while time.monotonic() - start < SETTLE_LIMIT_S:
        time.sleep(0.25)
        now, cpu = time.monotonic(), browser_cpu_s()
        readings.append((now, cpu))
        window = [(t, c) for t, c in readings if now - t <= QUIET_S]
        if now - start >= QUIET_S and now - window[0][0] >= QUIET_S * 0.8:
            if (cpu - window[0][1]) / (now - window[0][0]) < QUIET_SHARE:
                return window[0][1] - start_cpu, window[0][0] - start
    return browser_cpu_s() - start_cpu, time.monotonic() - start


def idle_shares(page: Any) -> tuple[float, float]:
    """The share of a core the browser takes while the page sits there, over IDLE_S from a forced
    garbage collection on (the page a reload replaced would otherwise be collected in the window,
    0.1 s or so for a card: a cost of showing the page, not of leaving it open), then over the
    IDLE_S after that (what a page left open costs once Chromium's own work after a load, which
    a blank page hardly has, is over)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.detach()
    shares = []
    for _ in range(2):
        cpu, start = browser_cpu_s(), time.monotonic()
        time.sleep(IDLE_S)
        shares.append((browser_cpu_s() - cpu) / (time.monotonic() - start))
    return shares[0], shares[1]


def _click(page: Any, name: str) -> None:
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name=name, exact=True).click()


def _wait_done(page: Any, runs: int, timeout_s: float = 300.0) -> None:
    """Until ``runs`` status lines say done and the page has drawn its Compare-runs table."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        statuses = page.locator("[data-testid=stMainBlockContainer] [data-testid=stAlert]").all_inner_texts()
        if sum(": done" in s for s in statuses) >= runs and page.get_by_text("Compare runs").count():
            return
        time.sleep(0.5)
    raise TimeoutError(f"{runs} runs not done within {timeout_s:.0f} s")


def _train_playground(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
    _click(page, "Train")
    _wait_done(page, 1)


def _train_card(page: Any, url: str) -> None:
    page.goto(f"{url}experiments?experiment={CARD}")
    page.get_by_role("button", name="Run this experiment").wait_for(timeout=60_000)
    _click(page, "Run this experiment")
    _wait_done(page, len(EXPERIMENTS[CARD].runs))


def _open_blank(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_text(BLANK_TEXT).wait_for(timeout=60_000)


def scrub_steps(page: Any, steps: int = SCRUB_STEPS) -> list[float]:
    """Browser CPU s of each of ``steps`` moves of the page's timeline slider by one moment (from
    the first moment on); [] when the page has no timeline."""
    slider = page.locator(".nnx-timeline input[type=range]")
    if not slider.count():
        return []
    slider.focus()
    page.keyboard.press("Home")
    cpu_until_quiet()
    costs = []
    for _ in range(steps):
        page.keyboard.press("ArrowRight")
        costs.append(cpu_until_quiet()[0])
    return costs


def measure(
    browser: Any, url: str, train: Callable[[Any, str], None]
) -> tuple[float, float, tuple[float, float], list[float]]:
    """(browser CPU s to show the finished page, wall s until quiet, idle shares (``idle_shares``),
    CPU s of each timeline step) for one fresh page."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        train(page, url)
        cpu_until_quiet()
        page.reload()
        cost, wall = cpu_until_quiet()
        return cost, wall, idle_shares(page), scrub_steps(page)
    finally:
        context.close()


def measure_pages(script: str, pages: list[tuple[str, Callable[[Any, str], None]]], reps: int) -> list:
    """[(page, costs, walls, idle shares, timeline steps)] for each page served by ``script``, ``reps``
    fresh pages each, with the app pinned to one core and the browser to the other; None when
    this machine has one core only."""
    from playwright.sync_api import sync_playwright

    env = {"NNEXPLORE_SLOTS": "1", "NNEXPLORE_WORKER_IDLE_S": "600"}
    with (
        streamlit_server(env, script=script) as (url, proc),
        app_pinned(proc.pid) as apart,
        sync_playwright() as p,
    ):
        if not apart:
            return None
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = []
        for name, train in pages:
            costs, walls, idles, scrubs = zip(*(measure(browser, url, train) for _ in range(reps)))
            rows.append((name, costs, walls, idles, [c for steps in scrubs for c in steps]))
        browser.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.browser_cost", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--reps", type=int, default=3, help="fresh pages per measure (default 3)")
    parser.add_argument(
        "--only", choices=("playground", "card", "blank"), help="measure one page only (default: all)"
    )
    args = parser.parse_args(argv)
    app_pages = {
        "playground": ("a finished Playground run", _train_playground),
        "card": (f"the finished {CARD} card", _train_card),
    }
    wanted = [page for key, page in app_pages.items() if args.only in (None, key)]
    rows = []
    for script, pages in (
        ("dashboard.py", wanted),
        (BLANK_SCRIPT, [("a blank Streamlit page", _open_blank)] if args.only in (None, "blank") else []),
    ):
        if not pages:
            continue
        measured = measure_pages(script, pages, args.reps)
        if measured is None:
            print("Needs 2 cores: one for the app, one for the browser.", file=sys.stderr)
            return 1
        rows += measured
    print(
        "| page | browser CPU to show it (median; each) | until quiet | idle page, share of a core: "
        f"its first {IDLE_S:.0f} s (median; each) | the {IDLE_S:.0f} s after (median; each) "
        "| a timeline step (median; worst) |"
    )
    print("|---|---|---|---|---|---|")
    for name, costs, walls, idles, steps in rows:
        each = ", ".join(f"{c:.2f}" for c in costs)
        windows = [f"{statistics.median(w):.2%} ({', '.join(f'{i:.2%}' for i in w)})" for w in zip(*idles)]
        step = f"{statistics.median(steps) * 1000:.0f} ms; {max(steps) * 1000:.0f} ms" if steps else "none"
        print(
            f"| {name} | {statistics.median(costs):.2f} s ({each}) | {statistics.median(walls):.1f} s "
            f"| {windows[0]} | {windows[1]} | {step} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
