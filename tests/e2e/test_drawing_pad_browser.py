"""The drawing pad in Chromium: a stroke drawn with the mouse reaches the server as ink in the place
drawn, in one small message; a rerun keeps the drawing on the canvas, and so does a pad mounted
anew; Clear empties it."""

from __future__ import annotations

import re
import time

import pytest
from conftest import ARTIFACTS, ROOT
from playwright.sync_api import expect

from devtools import local_servers

pytestmark = pytest.mark.browser

LINE = re.compile(r"pad: ink ([\d.]+), rows (\d+)-(\d+), cols (\d+)-(\d+), shape 112x112")
#: A test page at twice the CSS pixel density (a phone, a laptop's Retina screen): the canvas's
#: backing store must follow it.
DPR = 2


@pytest.fixture(scope="module")
def app_url():
    ARTIFACTS.mkdir(exist_ok=True)
    # -P keeps the root off sys.path (Streamlit adds only tests/apps): PYTHONPATH puts it back.
    env = {"PYTHONPATH": str(ROOT), "NO_PROXY": "127.0.0.1,localhost"}
    with local_servers.streamlit_server(
        env, ARTIFACTS / "streamlit-drawing-pad.log", script="tests/apps/drawing_pad_app.py"
    ) as (url, _):
        yield url


@pytest.fixture
def pad_page(browser, request):
    context = browser.new_context(viewport={"width": 900, "height": 800}, device_scale_factor=DPR)
    page = context.new_page()
    yield page
    try:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    finally:
        context.close()


def _text(page, start: str) -> str:
    """The app's line that starts with ``start`` (stText elements), once there is one."""
    line = page.get_by_test_id("stText").filter(has_text=re.compile("^" + re.escape(start)))
    line.first.wait_for(timeout=30_000)
    return line.first.inner_text().strip()


def _runs(page) -> int:
    return int(_text(page, "runs:").split()[1])


def _wait_for(page, pattern: str, timeout: float = 30) -> str:
    expect(page.get_by_test_id("stText").filter(has_text=re.compile(pattern)).first).to_be_visible(
        timeout=timeout * 1000
    )
    return _text(page, "pad:")


def _canvas_ink(canvas) -> dict:
    """What the canvas shows, read in the browser: its size in pixels, how many pixels are ink
    (red channel > 128; the paper is black) and their box as shares of the side."""
    return canvas.evaluate(
        """(c) => {
            const { width: w, height: h } = c;
            const px = c.getContext('2d').getImageData(0, 0, w, h).data;
            let n = 0, x0 = w, x1 = -1, y0 = h, y1 = -1;
            for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
                if (px[4 * (y * w + x)] > 128) {
                    n++; x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
                }
            }
            return { w, h, cssW: c.clientWidth, n, x0: x0 / w, x1: (x1 + 1) / w, y0: y0 / h, y1: (y1 + 1) / h };
        }"""
    )


def test_a_stroke_reaches_the_server_where_it_was_drawn_a_rerun_keeps_it_and_clear_empties_it(
    pad_page, app_url
):
    page = pad_page
    sent: list[int] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    page.goto(app_url)
    canvas = page.locator("canvas.nnx-pad-canvas")  # inside the component's shadow root
    canvas.wait_for(timeout=30_000)
    assert _wait_for(page, "^pad: empty") == "pad: empty"
    expect(page.get_by_text("Draw a digit here")).to_be_visible()
    expect(page.get_by_role("button", name="Clear")).to_be_disabled()

    blank = _canvas_ink(canvas)
    assert blank["cssW"] == 280 and blank["w"] == blank["h"] == 280 * DPR  # sharp on a dense screen
    assert blank["n"] == 0

    # A vertical stroke in the right half: x at 3/4 of the width, from 20 % to 80 % of the height.
    box = canvas.bounding_box()
    x = box["x"] + 0.75 * box["width"]
    page.mouse.move(x, box["y"] + 0.2 * box["height"])
    page.mouse.down()
    page.mouse.move(x, box["y"] + 0.8 * box["height"], steps=25)
    before_up = len(sent)
    page.mouse.up()

    m = LINE.fullmatch(_wait_for(page, "^pad: ink"))
    assert m, _text(page, "pad:")
    total, r0, r1, c0, c1 = float(m[1]), *map(int, m.groups()[1:])
    # Tall and thin, in the right half: 60 % of 112 is 67 rows plus the pen's round caps; the pen
    # is 112/14 = 8 px wide, a pixel more either side for antialiasing.
    assert 67 <= r1 - r0 + 1 <= 67 + 8 + 2, (r0, r1)
    assert 8 <= c1 - c0 + 1 <= 8 + 2, (c0, c1)
    assert 56 < c0 and abs((c0 + c1 + 1) / 2 - 84) <= 1.5, (c0, c1)
    assert abs((r0 + r1 + 1) / 2 - 56) <= 1.5, (r0, r1)
    assert 0.8 * 8 * 67 < total < 1.2 * (8 * 67 + 16 * 3.14), total  # about the stroke's area
    expect(page.get_by_text("Draw a digit here")).to_be_hidden()

    # The drawing travelled in one message of about 17 kB (base64 of 12,544 bytes), not as a PNG.
    after_up = sent[before_up:]
    assert max(after_up) > 16_728, after_up
    assert sum(s > 2_000 for s in after_up) == 1, after_up
    assert max(after_up) < 16_728 + 2_000, after_up

    drawn = _canvas_ink(canvas)
    assert drawn["n"] > 0
    assert abs((drawn["x0"] + drawn["x1"]) / 2 - 0.75) < 0.02 and drawn["x1"] - drawn["x0"] < 0.1
    assert abs(drawn["y0"] - (0.2 - 0.5 / 14)) < 0.02 and abs(drawn["y1"] - (0.8 + 0.5 / 14)) < 0.02

    # A rerun (another widget changed) keeps the drawing: on the canvas and on the server.
    runs = _runs(page)
    page.get_by_role("button", name="Rerun").click()
    expect(page.get_by_test_id("stText").filter(has_text=f"runs: {runs + 1}")).to_be_visible(timeout=30_000)
    time.sleep(0.5)  # let the page settle after the rerun's deltas
    assert _text(page, "pad:") == m[0]
    assert _canvas_ink(canvas) == drawn

    # A pad taken off the page and shown again is mounted anew: it repaints the strokes the tab
    # kept, and the server still holds the drawing.
    page.get_by_text("Hide the pad").click()
    assert _wait_for(page, "^pad: hidden") == "pad: hidden"
    expect(canvas).to_have_count(0)
    page.get_by_text("Hide the pad").click()
    assert _wait_for(page, "^pad: ink") == m[0]
    canvas.wait_for(timeout=30_000)
    again = _canvas_ink(canvas)
    assert abs(again["n"] - drawn["n"]) < 0.05 * drawn["n"], (again, drawn)
    assert all(abs(again[k] - drawn[k]) < 0.01 for k in ("x0", "x1", "y0", "y1")), (again, drawn)
    expect(page.get_by_text("Draw a digit here")).to_be_hidden()

    # Clear: the canvas is black again, the hint is back, and the server says the pad is empty.
    page.get_by_role("button", name="Clear").click()
    assert _wait_for(page, "^pad: empty") == "pad: empty"
    assert _canvas_ink(canvas)["n"] == 0
    expect(page.get_by_text("Draw a digit here")).to_be_visible()

    # ... and stays empty across a rerun.
    runs = _runs(page)
    page.get_by_role("button", name="Rerun").click()
    expect(page.get_by_test_id("stText").filter(has_text=f"runs: {runs + 1}")).to_be_visible(timeout=30_000)
    assert _text(page, "pad: ") == "pad: empty"
    assert _canvas_ink(canvas)["n"] == 0


def test_a_finger_draws_too_on_a_phone(browser, app_url, request):
    """Touch input (Chrome's own touch events, through CDP) draws, and the page does not scroll."""
    context = browser.new_context(
        has_touch=True, is_mobile=True, viewport={"width": 390, "height": 800}, device_scale_factor=3
    )
    page = context.new_page()
    try:
        page.goto(app_url)
        canvas = page.locator("canvas.nnx-pad-canvas")
        canvas.wait_for(timeout=30_000)
        assert _wait_for(page, "^pad: empty") == "pad: empty"
        box = canvas.bounding_box()
        assert canvas.evaluate("(c) => c.width") == round(box["width"]) * 3
        cdp = context.new_cdp_session(page)
        x = box["x"] + 0.3 * box["width"]  # a vertical stroke in the left third, 10 % to 90 % down

        def touch(kind: str, share: float = 0.0) -> None:
            points = [] if kind == "touchEnd" else [{"x": x, "y": box["y"] + share * box["height"]}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        touch("touchStart", 0.1)
        for i in range(1, 21):
            touch("touchMove", 0.1 + 0.04 * i)
        touch("touchEnd")
        m = LINE.fullmatch(_wait_for(page, "^pad: ink"))
        assert m, _text(page, "pad:")
        r0, r1, c0, c1 = map(int, m.groups()[1:])
        assert r1 - r0 + 1 >= 0.8 * 112 - 2 and c1 - c0 + 1 <= 10, m[0]
        assert abs((c0 + c1 + 1) / 2 - 0.3 * 112) <= 1.5, m[0]
        assert page.evaluate("window.scrollY") == 0  # touch-action: none: the finger drew, not scrolled
    finally:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
