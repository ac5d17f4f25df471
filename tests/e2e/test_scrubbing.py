"""The timeline in Chromium: a finished card's pictures follow the slider, with nothing sent to the server."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image
from streamlit.proto.BackMsg_pb2 import BackMsg

from nnexplore.experiments import experiment_for
from nnexplore.ui.charts.timeline import END, PARAM

pytestmark = pytest.mark.browser

CARD = "softmax-hidden"


def _sent_by_the_learner(frames: list[bytes]) -> list[str]:
    """The messages among ``frames`` (the page's websocket frames to the server) that a learner's
    action sent: everything but a fragment's own timed rerun (the page's heartbeat)."""
    kinds = []
    for frame in frames:
        msg = BackMsg()
        msg.ParseFromString(frame)
        kind = msg.WhichOneof("type")
        if kind == "rerun_script" and msg.rerun_script.is_auto_rerun:
            continue
        kinds.append(kind)
    return kinds


def _first_picture(page, heading: str = "Decision regions") -> bytes:
    """What the first chart under ``heading`` shows now, as PNG bytes."""
    page.evaluate(
        """(heading) => {
            const h = [...document.querySelectorAll('h3')].find(e => e.innerText.trim() === heading);
            let el = h.closest('[data-testid=stElementContainer]').nextElementSibling;
            while (!el.querySelector('[data-testid=stVegaLiteChart]')) el = el.nextElementSibling;
            document.querySelectorAll('[data-pictured]').forEach(e => e.removeAttribute('data-pictured'));
            el.querySelector('[data-testid=stVegaLiteChart]').setAttribute('data-pictured', '1');
        }""",
        heading,
    )
    chart = page.locator("[data-pictured]")
    chart.scroll_into_view_if_needed()
    return chart.screenshot()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


def _differ(a: bytes, b: bytes) -> None:
    """Two pictures of the chart that show different regions: many pixels changed."""
    changed = (np.abs(_pixels(a) - _pixels(b)).max(axis=-1) > 30).mean()
    assert changed > 0.02, f"only {changed:.2%} of the pixels changed"


def _same(a: bytes, b: bytes) -> None:
    """The same picture again (a tooltip or antialiasing may touch a few pixels)."""
    changed = (np.abs(_pixels(a) - _pixels(b)).max(axis=-1) > 30).mean()
    assert changed < 0.005, f"{changed:.2%} of the pixels changed"


def _run_the_card(page, server, card: str = CARD) -> None:
    exp = experiment_for([card])
    page.goto(server.url + f"experiments?experiment={card}")
    page.get_by_role("heading", name=exp.title, exact=True).wait_for(timeout=30_000)
    page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Run this experiment").click()
    deadline = time.time() + 120
    statuses = page.locator("[data-testid=stAlert]")
    while time.time() < deadline and sum("done" in t for t in statuses.all_inner_texts()) < len(exp.runs):
        time.sleep(0.5)
    assert sum("done" in t for t in statuses.all_inner_texts()) == len(exp.runs)


def test_a_finished_cards_pictures_follow_the_slider_in_the_browser(page, server):
    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    _run_the_card(page, server)
    control = page.locator(".nnx-timeline")
    control.wait_for(timeout=30_000)
    slider = control.get_by_role("slider", name="epoch")
    bound = page.locator(f"input[name={PARAM}]")
    deadline = time.time() + 30
    while time.time() < deadline and bound.count() < 2:  # the regions of each run, the accuracy
        time.sleep(0.25)
    assert bound.count() >= 2
    assert not bound.first.is_visible()  # the charts' own inputs are hidden: one control per page
    assert "the newest" in control.inner_text()
    time.sleep(2)  # the finished page settles
    newest = _first_picture(page)

    before = len(sent)
    slider.focus()
    page.keyboard.press("Home")  # the first moment
    deadline = time.time() + 10
    while time.time() < deadline and float(bound.first.input_value()) >= END:
        time.sleep(0.1)
    values = {float(bound.nth(i).input_value()) for i in range(bound.count())}
    assert len(values) == 1 and values.pop() < 1  # every chart at the same early moment
    assert "of" in control.inner_text() and "the newest" not in control.inner_text()
    time.sleep(0.5)
    first = _first_picture(page)
    _differ(first, newest)  # an untrained network's regions are not the trained one's

    page.keyboard.press("End")
    time.sleep(0.5)
    assert float(bound.first.input_value()) == END
    _same(_first_picture(page), newest)
    assert _sent_by_the_learner(sent[before:]) == []  # scrubbing sent nothing to the server

    control.get_by_role("button", name="Play").click()
    time.sleep(1.0)
    assert "Pause" in control.inner_text() and "the newest" not in control.inner_text()
    deadline = time.time() + 10  # Play runs through the moments in about 5 s, then stops at the end
    while time.time() < deadline and "the newest" not in control.inner_text():
        time.sleep(0.25)
    assert "the newest" in control.inner_text() and "Play" in control.inner_text()
    assert _sent_by_the_learner(sent[before:]) == []
    assert page.locator("[data-testid=stException]").count() == 0


def test_the_hidden_units_follow_the_slider_as_they_die(page, server):
    """dying-relu shows its hidden units first: at the first moment every unit is alive, at the
    end some are dead, and the squares change with the slider, in the browser alone."""
    sent: list[bytes] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    _run_the_card(page, server, "dying-relu")
    control = page.locator(".nnx-timeline")
    control.wait_for(timeout=30_000)
    time.sleep(2)  # the finished page settles
    newest = _first_picture(page, "Hidden units")
    before = len(sent)
    control.get_by_role("slider", name="epoch").focus()
    page.keyboard.press("Home")
    time.sleep(0.5)
    _differ(_first_picture(page, "Hidden units"), newest)
    page.keyboard.press("End")
    time.sleep(0.5)
    _same(_first_picture(page, "Hidden units"), newest)
    assert _sent_by_the_learner(sent[before:]) == []
    assert page.locator("[data-testid=stException]").count() == 0
