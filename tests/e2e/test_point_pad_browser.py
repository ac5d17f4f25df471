"""The point pad in Chromium, on the real dashboard: clicks place points of the chosen class where
clicked, and the page's link carries them; a click in the margin does nothing; Undo takes the last
back, Clear empties the plane; at 200 points a click is refused with a sentence."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from conftest import ARTIFACTS
from playwright.sync_api import expect

from devtools import local_servers
from nnexplore import own_points
from nnexplore.ui.charts.style import CLASS_PALETTE
from nnexplore.ui.point_pad import FULL, MARGIN_CSS_PX, PAD_CSS_PX

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The dashboard on its own server: only toy data, so no MNIST mirror is needed."""
    ARTIFACTS.mkdir(exist_ok=True)
    env = {"NNEXPLORE_DATA_DIR": str(tmp_path_factory.mktemp("data")), "NO_PROXY": "127.0.0.1,localhost"}
    with local_servers.streamlit_server(env, ARTIFACTS / "streamlit-point-pad.log") as (url, _):
        yield url


def _open(page, app_url: str, points: str):
    page.goto(app_url + "?" + urlencode({"dataset": "own", "points": points, "batch_size": "4"}))
    canvas = page.locator("canvas.nnx-pp-canvas")  # inside the component's shadow root
    canvas.wait_for(timeout=30_000)
    return canvas


def _link_points(page) -> str | None:
    """The points the page's address carries now (``page.url`` follows the address bar as
    Playwright's events are handled: a short wait lets them in)."""
    page.wait_for_timeout(50)
    values = parse_qs(urlsplit(page.url).query, keep_blank_values=True).get("points")
    return values[-1] if values else None


def _wait_for_link(page, expected_chars: int, timeout: float = 30) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = _link_points(page)
        if text is not None and len(text) == expected_chars:
            return text
    raise AssertionError(f"the link's points stayed {_link_points(page)!r}")


def _click_plane(page, canvas, fx: float, fy: float) -> None:
    """A click at (fx, fy) of the plane (0..1 from its left and top edges, inside the margin)."""
    box = canvas.bounding_box()
    margin = MARGIN_CSS_PX * box["width"] / PAD_CSS_PX
    side = box["width"] - 2 * margin
    page.mouse.click(box["x"] + margin + fx * side, box["y"] + margin + fy * side)


def _pixel(canvas, fx: float, fy: float) -> str:
    """The colour the canvas shows at (fx, fy) of the plane, as #rrggbb."""
    return canvas.evaluate(
        f"""(c) => {{
            const m = {MARGIN_CSS_PX} * c.width / {PAD_CSS_PX}, side = c.width - 2 * m;
            const [r, g, b] = c.getContext('2d').getImageData(
                Math.round(m + {fx} * side), Math.round(m + {fy} * side), 1, 1).data;
            return '#' + [r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('').toUpperCase();
        }}"""
    )


def _choose_class(page, cls: int) -> None:
    """Pick the class of the next point in the sidebar's control above the pad."""
    group = page.get_by_test_id("stSidebar").get_by_test_id("stButtonGroup")
    group.locator("button", has_text=re.compile(f"^{cls}$")).click()


def _sidebar_says(page, text: str) -> None:
    expect(page.get_by_test_id("stSidebar").get_by_text(text)).to_be_visible(timeout=30_000)


def test_clicks_place_points_of_the_chosen_class_in_the_link_undo_and_clear(page, app_url):
    canvas = _open(page, app_url, "")
    _sidebar_says(page, "No points yet (up to 200).")
    expect(page.get_by_text("Click the plane to place a point of class 0")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_disabled()
    expect(page.get_by_role("button", name="Clear")).to_be_disabled()
    assert page.get_by_role("button", name="Train", exact=True).is_disabled()  # the plane is empty

    # Class 0 at a quarter from the left and the top: (-1, 1).
    _click_plane(page, canvas, 0.25, 0.25)
    first = _wait_for_link(page, 3)
    ((x, y, c),) = own_points.parse(first)[0]
    assert abs(x + 1) < 0.05 and abs(y - 1) < 0.05 and c == 0, (x, y, c)
    _sidebar_says(page, "1 point (1 of class 0)")

    # Class 2, at three quarters: (1, -1).
    _choose_class(page, 2)
    expect(page.get_by_text("Click the plane to place a point of class 2")).to_be_visible(timeout=30_000)
    _click_plane(page, canvas, 0.75, 0.75)
    both = _wait_for_link(page, 6)
    assert both.startswith(first)
    (_, (x, y, c)) = own_points.parse(both)[0]
    assert abs(x - 1) < 0.05 and abs(y + 1) < 0.05 and c == 2, (x, y, c)
    _sidebar_says(page, "2 points (1 of class 0, 1 of class 2)")
    assert _pixel(canvas, 0.25, 0.25) == CLASS_PALETTE[0].upper()  # each dot in its class's colour
    assert _pixel(canvas, 0.75, 0.75) == CLASS_PALETTE[2].upper()
    expect(page.get_by_text("2 of 200 points")).to_be_visible()
    page.get_by_test_id("stSidebar").screenshot(path=str(ARTIFACTS / "point_pad_sidebar_two_points.png"))

    # A click in the margin, outside the plane, does nothing.
    box = canvas.bounding_box()
    page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)
    page.wait_for_timeout(1500)
    assert _link_points(page) == both
    expect(page.get_by_text("2 of 200 points")).to_be_visible()

    # Undo takes the last point back; Clear empties the plane.
    page.get_by_role("button", name="Undo").click()
    assert _wait_for_link(page, 3) == first
    _sidebar_says(page, "1 point (1 of class 0)")
    assert _pixel(canvas, 0.75, 0.75) != CLASS_PALETTE[2].upper()
    page.get_by_role("button", name="Clear").click()
    assert _wait_for_link(page, 0) == ""
    _sidebar_says(page, "No points yet (up to 200).")
    assert _pixel(canvas, 0.25, 0.25) != CLASS_PALETTE[0].upper()

    # The link opens the same plane elsewhere: a new tab of the link with points.
    page.goto(app_url + "?" + urlencode({"dataset": "own", "points": both}))
    canvas = page.locator("canvas.nnx-pp-canvas")
    canvas.wait_for(timeout=30_000)
    _sidebar_says(page, "2 points (1 of class 0, 1 of class 2)")
    expect(page.get_by_text("2 of 200 points")).to_be_visible()


def test_quick_clicks_all_land_and_a_sidebar_picture_with_a_few_points(page, app_url):
    """Clicks faster than the page's reruns: every one reaches the link, none is undone by the
    rerun of an earlier one. Then a picture of the sidebar with the pad, for the eye."""
    canvas = _open(page, app_url, "")
    spots = [(0.2, 0.3), (0.3, 0.2), (0.25, 0.4), (0.4, 0.3), (0.35, 0.15), (0.15, 0.2)]
    for fx, fy in spots:
        _click_plane(page, canvas, fx, fy)
    text = _wait_for_link(page, 3 * len(spots))
    placed = own_points.parse(text)[0]
    for (fx, fy), (x, y, _) in zip(spots, placed):
        assert abs(x - (4 * fx - 2)) < 0.05 and abs(y - (2 - 4 * fy)) < 0.05
    _choose_class(page, 1)
    expect(page.get_by_text("Click the plane to place a point of class 1")).to_be_visible(timeout=30_000)
    for fx, fy in [(0.7, 0.7), (0.8, 0.6), (0.65, 0.85), (0.85, 0.8)]:
        _click_plane(page, canvas, fx, fy)
    _wait_for_link(page, 3 * 10)
    _sidebar_says(page, "10 points (6 of class 0, 4 of class 1)")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_enabled(timeout=30_000)
    page.get_by_test_id("stSidebar").screenshot(path=str(ARTIFACTS / "point_pad_sidebar.png"))


def test_at_200_points_a_click_is_refused_with_a_sentence(page, app_url):
    full = own_points.format([(-2 + 0.02 * i, 2 - 0.02 * i, i % 4) for i in range(own_points.MAX_POINTS)])
    canvas = _open(page, app_url, full)
    expect(page.get_by_text("200 of 200 points")).to_be_visible(timeout=30_000)
    _click_plane(page, canvas, 0.9, 0.1)
    expect(page.get_by_text(FULL)).to_be_visible()
    page.wait_for_timeout(1000)
    assert _link_points(page) == full
