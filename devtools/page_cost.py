"""Server CPU per open page, idle, queued and live: python -m devtools.page_cost [--pages 8].

One real ``streamlit run`` with one training slot, pinned to core 0 as a
one-core Cloud box would be (its training processes inherit that core); the
headless Chromium pages are pinned to the other cores, so the figure is the
app's, not the browsers'. The server process's own CPU time (training
processes excluded) is read from /proc over a window in three states:

* idle: every page open on the Playground, no run;
* one live: one page trains a long run, the others idle;
* one live, the rest queued: every other page has pressed Train and waits.

Per-page figures are the differences between those states.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from urllib.parse import urlencode

from devtools.local_servers import CHROMIUM, CHROMIUM_ARGS, app_pinned, streamlit_server
from nnexplore.config import RunConfig

WINDOW_S = 20.0
LONG = RunConfig(epochs=50, n_samples=20000, batch_size=8)  # 100,000 steps: outlasts the measurement
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of one process (not its children), from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def share_over(pid: int, seconds: float) -> float:
    """Share of one core the process used over the next ``seconds``."""
    start, t0 = cpu_s(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_s(pid) - start) / (time.monotonic() - t0)


def press_train(page) -> None:
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True).click()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.page_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=8, help="open pages (default 8)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with (
        streamlit_server({"NNEXPLORE_SLOTS": "1", "NNEXPLORE_WORKER_IDLE_S": "600"}) as (url, proc),
        app_pinned(proc.pid) as apart,
    ):
        if not apart:
            print("needs two cores: one for the server, the rest for the browsers", file=sys.stderr)
            return 2
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pages = []
            for i in range(args.pages):
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                # each page its own seed: identical runs would be shared, not queued
                page.goto(url + "?" + urlencode(LONG.replace(seed=i).to_query_params()))
                page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
                pages.append(page)
            time.sleep(5)
            idle = share_over(proc.pid, WINDOW_S)
            press_train(pages[0])
            pages[0].get_by_text("training, epoch").first.wait_for(timeout=60_000)
            time.sleep(5)
            one_live = share_over(proc.pid, WINDOW_S)
            for page in pages[1:]:
                press_train(page)
            pages[-1].get_by_text("waiting for a free training slot").first.wait_for(timeout=60_000)
            time.sleep(5)
            queued = share_over(proc.pid, WINDOW_S)
            browser.close()
    n = args.pages
    print(f"server CPU (share of its one core), {n} pages, {WINDOW_S:.0f} s windows:")
    print("| state | server CPU | per page |")
    print("|---|---|---|")
    print(f"| {n} pages idle | {idle:.1%} | {idle / n:.2%} |")
    print(f"| 1 live, {n - 1} idle | {one_live:.1%} | live page: {one_live - idle * (n - 1) / n:.1%} |")
    print(
        f"| 1 live, {n - 1} queued | {queued:.1%} | queued page: {(queued - one_live) / (n - 1) + idle / n:.2%} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
