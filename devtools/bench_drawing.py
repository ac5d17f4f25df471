"""From pen up to the readout: python -m devtools.bench_drawing [--draws 10].

A learner draws a digit under a finished MNIST run (nnexplore.ui.sections.drawing):
the pad sends the ink once the pen is lifted, the server prepares it as MNIST's
digits were, runs every finished network on it in numpy and sends the bars and
sentences back. This bench starts a real ``streamlit run`` pinned to one core (as
on a one-core Cloud box; the browser on the other, devtools.local_servers.app_pinned),
trains two MNIST runs (softmax + cross-entropy, raw outputs + squared error) from
the loopback mirror of ../shared/mnist, then draws ``--draws`` strokes with the mouse
in headless Chromium and times each from the websocket frame that carries the ink
(about 17 kB) to the first frame back that holds the readout's sentence. It also
times the server's own work (prepare, two forward passes) in this process.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from devtools.local_servers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    SHARED_MNIST,
    app_pinned,
    serve_folder,
    streamlit_server,
)
from nnexplore.config import RunConfig

#: Two small MNIST runs (a few seconds each on one core): a probability readout and a raw one.
RUNS = (
    RunConfig(dataset="mnist", hidden=(64,), train_size=4000, epochs=1, batch_size=64),
    RunConfig(
        dataset="mnist",
        hidden=(64,),
        train_size=4000,
        epochs=1,
        batch_size=64,
        output_activation="none",
        loss="mse",
    ),
)
#: The ink's frame is 16,728 base64 characters and a little protobuf: anything this big is it.
INK_FRAME = 10_000


def _train(page, url: str) -> None:
    for done, cfg in enumerate(RUNS, start=1):
        page.goto(url + "?" + urlencode(cfg.to_query_params()))
        page.get_by_role("heading", name="Playground").wait_for(timeout=60_000)
        page.get_by_role("button", name="Train", exact=True).click()
        deadline = time.time() + 300
        while time.time() < deadline:
            if sum("done" in t for t in page.locator("[data-testid=stAlert]").all_inner_texts()) >= done:
                break
            page.wait_for_timeout(500)
    page.get_by_role("heading", name="Your drawing").wait_for(timeout=60_000)


def _stroke(page, k: int) -> None:
    """The k-th stroke: a "7" moved a little each time, onto the ones before (each pen up sends
    the whole drawing, and every finished run reads it again)."""
    canvas = page.locator("canvas.nnx-pad-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    shift = 0.02 * (k % 5)

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + (fx + shift) * box["width"], box["y"] + (fy + shift) * box["height"]

    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    page.mouse.move(*at(0.7, 0.2), steps=10)
    page.mouse.move(*at(0.45, 0.8), steps=10)
    page.mouse.up()


def browser_readouts(draws: int) -> list[float]:
    """Seconds from the ink's frame sent to the readout's frame received, one per drawing."""
    from playwright.sync_api import sync_playwright

    with serve_folder(SHARED_MNIST) as mirror:
        env = {"NNEXPLORE_MNIST_MIRRORS": mirror, "NNEXPLORE_MNIST_TEST_ONLY": "1"}
        with streamlit_server(env, Path("test-artifacts/streamlit-bench-drawing.log")) as (url, server_pid):
            with app_pinned(server_pid), sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                _train(page, url)
                sent: list[float] = []
                back: list[float] = []

                def on_socket(ws) -> None:
                    ws.on(
                        "framesent",
                        lambda f: sent.append(time.perf_counter()) if len(f) > INK_FRAME else None,
                    )
                    ws.on(
                        "framereceived",
                        lambda f: (
                            back.append(time.perf_counter())
                            if b"In your drawing" in (f if isinstance(f, bytes) else f.encode())
                            else None
                        ),
                    )

                page.on("websocket", on_socket)
                page.reload()
                page.get_by_role("heading", name="Your drawing").wait_for(timeout=60_000)
                times = []
                for k in range(draws):
                    sent.clear()
                    back.clear()
                    _stroke(page, k)
                    deadline = time.time() + 30
                    while time.time() < deadline and not (sent and back):
                        page.wait_for_timeout(5)
                    if sent and back:
                        times.append(back[0] - sent[0])
                    page.wait_for_timeout(300)  # the page quiet again before the next stroke
                browser.close()
    return times


def server_work(reps: int = 50) -> float:
    """Median seconds of the server's own work on one drawing: prepare, then two 784-64-10 networks."""
    from nnexplore.drawing import forward, prepare

    rng = np.random.default_rng(0)
    ink = np.zeros((112, 112))
    ink[20:90, 50:60] = 1.0
    weights = [
        (rng.normal(size=(64, 784)).astype(np.float32), np.zeros(64, np.float32)),
        (rng.normal(size=(10, 64)).astype(np.float32), np.zeros(10, np.float32)),
    ]
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        x = prepare(ink).reshape(1, -1)
        forward(weights, x, "relu", "softmax")
        forward(weights, x, "relu", "none")
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.bench_drawing", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--draws", type=int, default=10, help="drawings timed (default 10)")
    args = parser.parse_args(argv)
    if not SHARED_MNIST.exists():
        print("../shared/mnist is not present: nothing to measure", file=sys.stderr)
        return 1
    times = browser_readouts(args.draws)
    print("| measure | median | worst | drawings |")
    print("|---|---|---|---|")
    if times:
        print(
            f"| pen up → readout (ink frame sent → readout frame received) | {statistics.median(times) * 1e3:.0f} ms "
            f"| {max(times) * 1e3:.0f} ms | {len(times)} of {args.draws} |"
        )
    print(f"| the server's own work (prepare, two forward passes) | {server_work() * 1e3:.2f} ms | | |")
    return 0 if len(times) == args.draws else 1


if __name__ == "__main__":
    sys.exit(main())
