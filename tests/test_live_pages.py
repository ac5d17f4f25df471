"""The shared redraw budget: pages poll slower as more pages draw live."""

from __future__ import annotations

import time

from nnexplore.ui import live_pages
from nnexplore.ui.chart_cache import CHART_REFRESH_S, DRAW_SHARE, TICK_BUDGET_S
from nnexplore.ui.live_pages import LivePages, chart_interval, status_interval


def test_pages_are_counted_once_and_forgotten_after_the_window(monkeypatch):
    pages = LivePages()
    assert pages.note("a") == 1
    assert pages.note("a") == 1  # the same page again
    assert pages.note("b") == 2
    now = time.monotonic()
    monkeypatch.setattr(live_pages.time, "monotonic", lambda: now + live_pages.WINDOW_S + 1)
    assert pages.note("c") == 1  # a and b stopped drawing live


def test_one_page_keeps_its_pace_and_thirty_share_the_core():
    assert chart_interval(1, CHART_REFRESH_S, TICK_BUDGET_S, DRAW_SHARE) == CHART_REFRESH_S
    assert status_interval(1, 0.5) == 0.5
    for live in (1, 5, 30):
        charts = chart_interval(live, CHART_REFRESH_S, TICK_BUDGET_S, DRAW_SHARE)
        status = status_interval(live, 0.5)
        # all live pages together: at most DRAW_SHARE of a core for charts, STATUS_SHARE for status
        assert live * TICK_BUDGET_S / charts <= DRAW_SHARE + 1e-9
        assert live * live_pages.STATUS_TICK_S / status <= live_pages.STATUS_SHARE + 1e-9
    assert chart_interval(30, CHART_REFRESH_S, TICK_BUDGET_S, DRAW_SHARE) == 30 * CHART_REFRESH_S
