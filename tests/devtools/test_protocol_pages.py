"""devtools.protocol_pages, the load test's page without a browser, against a real Streamlit server."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from devtools import local_servers
from devtools.protocol_pages import LoopThread, ProtocolPage, wait_for

T = TypeVar("T")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    log = tmp_path_factory.mktemp("protocol") / "streamlit.log"
    with local_servers.streamlit_server({}, log, script="tests/apps/protocol_app.py") as (url, _):
        yield url


def test_a_protocol_page_presses_follows_fragments_drops_stale_elements_and_downloads(app_url):
    async def visit() -> dict:
        page = ProtocolPage(app_url, "x=1")
        await page.open()
        try:
            assert await wait_for(lambda: page.button("Press") is not None, 60)
            before = page.statuses()
            assert await page.press("Press")
            assert await wait_for(lambda: "pressed" in page.statuses(), 30)
            first_tick = _tick(page)
            # The fragment's run_every is followed: its line changes without any press.
            assert await wait_for(lambda: _tick(page) > first_tick + 2, 30)
            link = page.download_url("Data")
            data = await page.fetch(link) if link else b""
            return {"before": before, "after": page.statuses(), "data": data, "closed": page.closed}
        finally:
            await page.close()

    seen = _run(visit())
    assert "not pressed yet" in seen["before"] and "pressed" not in seen["before"]
    assert "not pressed yet" not in seen["after"]  # what the full run after the press did not draw is gone
    assert seen["data"] == b"a,b\n1,2\n"
    assert not seen["closed"]


def test_a_page_without_the_button_says_so(app_url):
    async def visit() -> bool:
        page = ProtocolPage(app_url, "")
        await page.open()
        try:
            await wait_for(lambda: page.button("Press") is not None, 60)
            return await page.press("No such button")
        finally:
            await page.close()

    assert _run(visit()) is False


def test_a_synchronous_caller_drives_pages_in_a_loop_thread_and_downloads(app_url):
    with LoopThread() as loop:
        page = ProtocolPage(app_url, "")
        opening = loop.submit(page.open())
        opening.result(30)
        assert loop.run(wait_for(lambda: page.button("Press") is not None, 60))
        assert loop.run(page.press("Press"))
        assert loop.run(wait_for(lambda: "pressed" in page.statuses(), 30))
        assert "pressed" in loop.call(page.statuses)
        assert loop.run(page.download("Data")) == b"a,b\n1,2\n"
        with pytest.raises(LookupError):
            loop.run(page.download("No such download", wait_s=0.2))
        loop.submit(page.close())
    assert loop.loop.is_closed()


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an event loop
    running in the main thread for the whole session."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _tick(page: ProtocolPage) -> int:
    lines = [text for text in page.statuses() if text.startswith("tick ")]
    return int(lines[0].split()[1]) if lines else 0
