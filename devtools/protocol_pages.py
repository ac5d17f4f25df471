"""A learner's page without a browser: Streamlit's websocket protocol, spoken from Python.

Thirty headless Chromium pages on one core spent most of a load test drawing
charts (70–86% of their core against the server's 6–8%), so the figures measured
the test's own browsers more than the app. A ProtocolPage does for the server
what a browser tab does and nothing else: it opens the app with a link's query
string, keeps the page's elements by their place (delta path) the way the
frontend does, presses a button, runs the fragments' auto-reruns (``run_every``)
at the intervals the server asks, offers the server the hashes of the big
elements it already holds (as the browser does, so that the server may send a
reference instead), and fetches a download button's file. It draws nothing.

One asyncio event loop can hold a whole class of them in one thread
(``LoopThread`` runs it beside a synchronous caller, such as the load test's
driver, which polls Chromium pages from its own thread). Only what the load
test reads is kept: alerts, progress bars, buttons, download buttons and
exceptions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
import urllib.request
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

#: The element kinds a page keeps (everything else is drawn by a browser and read by nobody here).
KEPT = frozenset({"alert", "progress", "button", "checkbox", "download_button", "exception"})
MAIN = 0  # delta_path[0]: 0 is the main area, 1 the sidebar
T = TypeVar("T")


class ProtocolPage:
    """One open page of the app at ``url`` (``http://host:port/``), opened with ``query``.

    ``elements`` maps a delta path to (run, kind, element): ``run`` counts the full
    script runs, so that what a finished full run did not redraw is dropped, as the
    frontend drops it.
    """

    def __init__(self, url: str, query: str) -> None:
        self.url = url
        self.query = query
        self.elements: dict[tuple[int, ...], tuple[int, str, Any]] = {}
        self.run = 0
        self.closed = False  # the server closed the connection (a browser would say "Connection error")
        self._page_hash = ""
        self._cache: dict[str, ForwardMsg] = {}  # cacheable messages by hash, as the frontend keeps them
        self._timers: dict[str, asyncio.Task] = {}
        self._switches: dict[str, bool] = {}  # widget id -> value, sent with every rerun as a browser does
        self._ws: Any = None
        self._reader: asyncio.Task | None = None

    async def open(self) -> None:
        """Connect and ask for the page, as a browser does when it loads the link."""
        stream = self.url.replace("http://", "ws://", 1) + "_stcore/stream"
        self._ws = await websockets.connect(stream, subprotocols=["streamlit"], max_size=None)
        self._reader = asyncio.create_task(self._read())
        await self._rerun()

    async def close(self) -> None:
        for task in self._timers.values():
            task.cancel()
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()

    # ------------------------------------------------------------------ what the page shows

    def _main(self, kind: str) -> list[Any]:
        return [el for path, (_, k, el) in sorted(self.elements.items()) if k == kind and path[0] == MAIN]

    def statuses(self) -> list[str]:
        """The texts of the main area's alerts and progress bars, top to bottom."""
        return [
            el.alert.body if kind == "alert" else el.progress.text
            for path, (_, kind, el) in sorted(self.elements.items())
            if path[0] == MAIN and kind in ("alert", "progress")
        ]

    def exceptions(self) -> int:
        return sum(1 for _, kind, _el in self.elements.values() if kind == "exception")

    def button(self, label: str) -> Any | None:
        """The main area's button with this label (its proto), or None."""
        return next((el.button for el in self._main("button") if el.button.label == label), None)

    def switch(self, label: str) -> Any | None:
        """The main area's switch or checkbox with this label (its proto), or None."""
        return next((el.checkbox for el in self._main("checkbox") if el.checkbox.label == label), None)

    def download_url(self, label: str) -> str | None:
        found = [
            el.download_button.url
            for el in self._main("download_button")
            if el.download_button.label == label
        ]
        return found[0] if found else None

    # ------------------------------------------------------------------ what the page does

    async def press(self, label: str) -> bool:
        """Press the main area's button ``label``; False when the page has none (or it is disabled)."""
        button = self.button(label)
        if button is None or button.disabled:
            return False
        await self._rerun(trigger=button.id)
        return True

    async def turn_on(self, label: str) -> bool:
        """Turn the main area's switch ``label`` on, once; False while the page has none."""
        switch = self.switch(label)
        if switch is None:
            return False
        if not self._switches.get(switch.id):
            self._switches[switch.id] = True
            await self._rerun()
        return True

    async def fetch(self, url: str) -> bytes:
        """A file the page links to (a download button's ``url``), over plain HTTP."""
        full = url if url.startswith("http") else self.url.rstrip("/") + "/" + url.lstrip("/")
        return await asyncio.to_thread(lambda: urllib.request.urlopen(full, timeout=60).read())

    async def download(self, label: str, wait_s: float = 60, attempts: int = 3) -> bytes:
        """The file of the main area's download button ``label``, once the page shows the button
        (within ``wait_s``); LookupError when it does not."""
        await wait_for(lambda: self.download_url(label) is not None, wait_s)
        # Each full run of the page serves its file under a new address: a link read just before
        # a redraw can be gone, so a failed fetch reads the link again.
        for attempt in range(attempts):
            link = self.download_url(label)
            if link is None:
                raise LookupError(f"the page has no {label!r} download")
            try:
                return await self.fetch(link)
            except Exception:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(1.0)
        raise AssertionError("unreachable")

    async def _rerun(self, trigger: str | None = None, fragment_id: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_script_hash = self._page_hash
        state.cached_message_hashes.extend(self._cache)
        if fragment_id:
            state.fragment_id, state.is_auto_rerun = fragment_id, True
        if trigger is not None:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        for widget_id, value in self._switches.items():
            widget = state.widget_states.widgets.add()
            widget.id, widget.bool_value = widget_id, value
        with contextlib.suppress(Exception):  # a closed page sends nothing, as a closed tab
            await self._ws.send(msg.SerializeToString())

    async def _every(self, fragment_id: str, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._rerun(fragment_id=fragment_id)

    # ------------------------------------------------------------------ what the server sends

    async def _read(self) -> None:
        try:
            async for raw in self._ws:
                msg = ForwardMsg()
                msg.ParseFromString(raw)
                self._apply(msg)
        except Exception:
            pass
        self.closed = True

    def _apply(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        if kind == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if cached is None:
                return
            delta_path = list(msg.metadata.delta_path)
            msg = ForwardMsg()
            msg.CopyFrom(cached)
            msg.metadata.ClearField("delta_path")
            msg.metadata.delta_path.extend(delta_path)
            kind = "delta"
        if kind == "new_session" and not msg.metadata.run.fragment_ids:
            # A full script run starts (a fragment's run starts with a new_session too, naming
            # its fragments): its fragments register again.
            self.run += 1
            self._page_hash = msg.new_session.page_script_hash
            for task in self._timers.values():
                task.cancel()
            self._timers.clear()
        elif kind == "page_info_changed":
            self.query = msg.page_info_changed.query_string
        elif kind == "auto_rerun":
            fragment_id = msg.auto_rerun.fragment_id
            if fragment_id in self._timers:
                self._timers[fragment_id].cancel()
            self._timers[fragment_id] = asyncio.create_task(self._every(fragment_id, msg.auto_rerun.interval))
        elif kind == "stop_auto_rerun":
            for fragment_id in msg.stop_auto_rerun.fragment_ids:
                task = self._timers.pop(fragment_id, None)
                if task is not None:
                    task.cancel()
        elif kind == "script_finished":
            if msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                self.elements = {p: e for p, e in self.elements.items() if e[0] == self.run}
        elif kind == "delta":
            if msg.metadata.cacheable and msg.hash:
                self._cache[msg.hash] = msg
            path = tuple(msg.metadata.delta_path)
            if msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                element_kind = element.WhichOneof("type")
                if element_kind in KEPT:
                    self.elements[path] = (self.run, element_kind, element)
                else:
                    self.elements.pop(path, None)
            else:  # a block at this place: what was kept there is replaced
                self.elements.pop(path, None)


async def wait_for(condition: Any, timeout_s: float, poll_s: float = 0.05) -> bool:
    """Wait until ``condition()`` is true; False at the timeout."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(poll_s)
    return True


class LoopThread:
    """One asyncio event loop in a daemon thread of its own, for a synchronous caller (a context
    manager). ``run`` waits for a coroutine's result, ``submit`` does not, ``call`` runs a plain
    function in the loop: a ProtocolPage's elements change in its loop, so another thread reads
    them through ``call``. On exit, what was submitted is waited for (15 s at most), then
    every task left is cancelled and the loop closed, as asyncio.run does."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="protocol-pages", daemon=True)
        self._submitted: list[concurrent.futures.Future] = []

    def __enter__(self) -> LoopThread:
        self._thread.start()
        return self

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        self._submitted = [f for f in self._submitted if not f.done()] + [future]
        return future

    def run(self, coroutine: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout_s)

    def call(self, fn: Callable[[], T]) -> T:
        async def in_loop() -> T:
            return fn()

        return self.run(in_loop())

    def __exit__(self, *exc: object) -> None:
        concurrent.futures.wait(self._submitted, timeout=15)
        with contextlib.suppress(Exception):
            self.run(_cancel_the_rest(), 15)
            self.run(self.loop.shutdown_asyncgens(), 15)
            self.run(self.loop.shutdown_default_executor(), 15)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(15)
        if not self._thread.is_alive():
            self.loop.close()


async def _cancel_the_rest() -> None:
    tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
