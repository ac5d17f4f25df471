"""Screenshots of every experiment card after its runs end: python -m devtools.screenshots.

A real ``streamlit run`` on loopback (MNIST from a loopback mirror of
../shared/mnist, the 8,000/2,000 test-set split) and Debian's Chromium at
1400 px. Each card is run with its button, waited on until every run is done,
and saved whole, scaled to 700 px wide, as docs/screenshots/<slug>.png for the
README. ``playground`` (also among the defaults) is the README's first picture:
two Playground runs side by side, the top 1500 x 1500 px of the page. Needs the
dev requirements and chromium.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from devtools.local_servers import CHROMIUM, CHROMIUM_ARGS, ROOT, SHARED_MNIST, serve_folder, streamlit_server
from nnexplore.config import RunConfig

OUT = ROOT / "docs" / "screenshots"
WIDTH = 700  # half the 1400 px window: readable in a README, about 0.5 MB a card
#: Colours kept in a screenshot's PNG; 0: all of them. Any palette of 256 or fewer merged the
#: run colours' blue and green on a card with four runs.
PNG_COLORS = 0


#: The README's first picture: the learner's question of whether softmax can sit in the hidden
#: layers with no output activation, answered on three spiral arms (blue against orange).
PLAYGROUND_RUNS = (
    RunConfig(dataset="spiral3", hidden=(32, 32), epochs=30),
    RunConfig(
        dataset="spiral3",
        hidden=(32, 32),
        epochs=30,
        hidden_activation="softmax",
        output_activation="none",
        loss="mse",
    ),
)


#: How a status line begins once its run has ended (nnexplore.ui.live.view's words).
ENDED = ("done", "diverged", "stopped")


def _save(shot, path: Path) -> None:
    shot = shot.convert("RGB")
    (shot.quantize(colors=PNG_COLORS) if PNG_COLORS else shot).save(path, optimize=True)


def _wait_done(page, what: str, runs: int, timeout_s: float) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        texts = page.locator("[data-testid=stAlert], [data-testid=stProgress]").all_inner_texts()
        # A card may show a run that breaks on purpose (why-log's raw outputs + cross-entropy).
        if sum(any(f": {end}" in t for end in ENDED) for t in texts) >= runs:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"{what}: the runs did not end within {timeout_s:.0f} s")
    time.sleep(5)  # the page's final redraw


def shoot_playground(page, url: str, timeout_s: float = 240) -> Path:
    """The Playground with PLAYGROUND_RUNS trained one after the other in one session."""
    page.set_viewport_size({"width": 1500, "height": 1500})
    for done, cfg in enumerate(PLAYGROUND_RUNS):
        page.goto(url + "?" + urlencode(cfg.to_query_params()))
        train = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True)
        train.wait_for(timeout=60_000)
        time.sleep(2)  # the earlier run's charts drawn: Train is pressed on a settled page
        train.click()
        _wait_done(page, "playground", done + 1, timeout_s)
    page.mouse.move(1490, 5)  # no tooltip from the button pressed
    time.sleep(3)
    path = OUT / "playground.png"
    from PIL import Image

    shot = Image.open(io.BytesIO(page.screenshot()))
    _save(shot, path)
    return path


def shoot(page, url: str, slug: str, runs: int, timeout_s: float = 240) -> Path:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{url}experiments?experiment={slug}")
    button = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Run this experiment")
    button.wait_for(timeout=60_000)
    button.click()
    _wait_done(page, slug, runs, timeout_s)
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height), 16_000)})
    page.mouse.move(1390, 5)  # no tooltip from the last button pressed
    time.sleep(3)
    from PIL import Image

    shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    shot = shot.resize((WIDTH, round(shot.height * WIDTH / shot.width)), Image.LANCZOS)
    path = OUT / f"{slug}.png"
    _save(shot, path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("slugs", nargs="*", help="experiments to shoot, or playground (default: all)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from nnexplore.experiments import EXPERIMENTS

    cards = [e for e in EXPERIMENTS.values() if not args.slugs or e.slug in args.slugs]
    with (
        tempfile.TemporaryDirectory(prefix="nnexplore-shots-") as data_dir,
        serve_folder(SHARED_MNIST) as mirror,
        streamlit_server(
            {
                "NNEXPLORE_DATA_DIR": data_dir,
                "NNEXPLORE_MNIST_MIRRORS": mirror,
                "NNEXPLORE_MNIST_TEST_ONLY": "1",
                "NO_PROXY": "127.0.0.1,localhost",
            }
        ) as (url, _),
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        if not args.slugs or "playground" in args.slugs:
            page = browser.new_context().new_page()
            path = shoot_playground(page, url)
            print(f"playground: {path.relative_to(ROOT)} ({path.stat().st_size / 1e3:.0f} kB)")
            page.context.close()
        for exp in cards:
            page = browser.new_context().new_page()
            path = shoot(page, url, exp.slug, len(exp.runs))
            print(f"{exp.slug}: {path.relative_to(ROOT)} ({path.stat().st_size / 1e3:.0f} kB)")
            page.context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
