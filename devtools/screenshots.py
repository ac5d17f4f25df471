"""Screenshots of every experiment card after its runs end: python -m devtools.screenshots.

A real ``streamlit run`` on loopback (MNIST from a loopback mirror of
../shared/mnist, the 8,000/2,000 test-set split) and Debian's Chromium at
1400 px. Each card is run with its button, waited on until every run is done,
and saved whole, scaled to 700 px wide, as tests/screenshots/<slug>.png for the
README. Needs the dev requirements and chromium.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

from devtools.local_servers import CHROMIUM, CHROMIUM_ARGS, ROOT, SHARED_MNIST, serve_folder, streamlit_server

OUT = ROOT / "tests" / "screenshots"
WIDTH = 700  # half the 1400 px window: readable in a README, a few hundred kB a card


def shoot(page, url: str, slug: str, runs: int, timeout_s: float = 240) -> Path:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{url}experiments?experiment={slug}")
    button = page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Run this experiment")
    button.wait_for(timeout=60_000)
    button.click()
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        texts = page.locator("[data-testid=stAlert], [data-testid=stProgress]").all_inner_texts()
        if sum(": done" in t for t in texts) >= runs:
            break
        time.sleep(1)
    else:
        raise RuntimeError(f"{slug}: the runs did not end within {timeout_s:.0f} s")
    time.sleep(5)  # the page's final redraw
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height), 16_000)})
    page.mouse.move(1390, 5)  # no tooltip from the last button pressed
    time.sleep(3)
    from PIL import Image

    shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
    shot = shot.resize((WIDTH, round(shot.height * WIDTH / shot.width)), Image.LANCZOS)
    path = OUT / f"{slug}.png"
    shot.convert("RGB").quantize(colors=128).save(path, optimize=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.screenshots", description=__doc__.splitlines()[0]
    )
    parser.add_argument("slugs", nargs="*", help="experiments to shoot (default: all)")
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
        for exp in cards:
            page = browser.new_context().new_page()
            path = shoot(page, url, exp.slug, len(exp.runs))
            print(f"{exp.slug}: {path.relative_to(ROOT)} ({path.stat().st_size / 1e3:.0f} kB)")
            page.context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
