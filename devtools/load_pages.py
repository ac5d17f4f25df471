"""A learner's page as the load test sees it, and the one driver that takes every session through it.

The rule: what one session does and what its page shows lives here; what the
class is and what it costs lives in devtools.loadtest (the class's configs, the
server with its slots and cores, its memory and CPU, the report, the command
line). Here: ``Page``, a few calls any learner's page answers, and
``PageState``, one look at a page; ``drive``, which takes every session
through the same steps (open the link, press Train, press it once more if no
status shows, watch the page until its run ends, count the records of its
download, note the times and exceptions) into a ``SessionResult`` each; and
two adapters that speak ``Page``: ``ChromiumPage`` (Playwright's sync API) and
``ProtocolSessionPage`` (devtools.protocol_pages, asyncio), with
``drive_sessions`` and ``drive_protocol_sessions`` to drive a class of either.
Why apart: the steps do not depend on any one server. The load test drives
them against the server it starts and measures; tests/e2e/test_concurrency.py
drives browser pages against its own server; tests/devtools/test_loadtest_driver.py
scripts pages with no server at all.

The driver is a synchronous poll loop. Playwright's sync API is not
thread-safe and its objects work only in the thread that started Playwright,
which is the caller's: tests/e2e/test_concurrency.py passes the session's
browser from pytest's main thread, where Playwright also keeps an event loop
running, so that asyncio.run cannot run there either. An async driver would
have to send every Chromium call to that very thread; a sync one simply polls
the browser pages in turn from it. The protocol pages share one asyncio loop
in a background thread (protocol_pages.LoopThread), which the driver reaches
with run_coroutine_threadsafe: only the loop's thread touches a page's
elements. Needs the dev requirements (websockets; Playwright and Debian's
chromium for browser pages); the core never imports this module.
"""

from __future__ import annotations

import contextlib
import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from nnexplore.config import RunConfig

if TYPE_CHECKING:
    from devtools.protocol_pages import LoopThread, ProtocolPage

MNIST_TEST_ONLY_TRAIN = 8_000  # nnexplore.data.mnist.TEST_ONLY_TRAIN (not imported: it pulls in torch)

#: Seconds after pressing Train with no status on the page before Train is pressed once more.
#: Long: 30 browser pages on 2 cores can take over 30 s to show a status, and a second
#: press on a slow page starts a second run.
CLICK_CHECK_S = 90.0
WAITING_TEXT = "waiting for a free training slot"
#: Words of a status line that mean the run has ended, and the state each one stands for.
_FINAL_WORDS = (
    (": done,", "done"),
    (": stopped.", "stopped"),
    (": diverged.", "diverged"),
    (": could not run.", "error"),
)
RECORDS_LABEL = "Records (CSV)"


def expected_record_count(cfg: RunConfig) -> int:
    """Records a run of ``cfg`` that is neither stopped nor diverged yields on the load test's server.

    That server's MNIST is the test-set split (NNEXPLORE_MNIST_TEST_ONLY=1):
    8,000 training images, of which ``train_size`` are kept.
    """
    from nnexplore.training import expected_records

    if cfg.dataset == "mnist":
        n_train = min(cfg.train_size, MNIST_TEST_ONLY_TRAIN)
    else:
        from nnexplore.data import make_toy

        # The toy split rounds per class, so the exact count comes from the generator itself.
        n_train = len(make_toy(cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed).y_train)
    return expected_records(cfg, n_train)


# --------------------------------------------------------------------------- sessions


@dataclass
class SessionResult:
    """What one learner's page showed, from pressing Train to the end of the run."""

    index: int
    cfg: RunConfig
    clicked_at: float | None = None
    clicked_wall: float | None = None  # time.time() of the press: the page's clock is the wall clock
    pressed_again: bool = False  # no status appeared after the first press, so Train was pressed again
    queued: bool = False  # the page said it was waiting for a free slot at some point
    state: str = "pending"  # done | stopped | diverged | error | timeout | broken
    final_text: str = ""
    train_to_done_s: float | None = None
    exceptions: int = 0  # most stException elements seen at once
    disconnected: bool = False  # the page showed Streamlit's "Connection error" dialog
    records: int | None = None  # rows of the run's CSV download
    expected: int | None = None
    problem: str = ""
    seen_status: bool = False
    first_status_s: float | None = None  # Train → the first status line on the page
    final_page_s: float | None = None  # Train → the finished page (its charts and downloads); protocol pages

    @property
    def records_lost(self) -> int:
        """Missing records of a finished run (0 when the count is unknown or not comparable)."""
        if self.state != "done" or self.expected is None or self.records is None:
            return 0  # not checked (counted apart in the table), not "lost"
        return max(0, self.expected - self.records)


@dataclass
class PageState:
    """One look at a page."""

    statuses: list[str]  # the main area's status lines (progress bars, alerts), top to bottom
    exceptions: int  # stException elements on the page
    disconnected: bool  # the page lost the server (a browser shows Streamlit's "Connection error")
    status_at: float | None  # wall-clock time (time.time()) of the page's first status line, if it says
    ended_at: float | None  # the same for its first final status line
    closed: bool = False  # the page cannot go on (the server closed a protocol page's connection)
    records_ready: bool = False  # the records download is on the page (pages that times_final_page)


class Page(Protocol):
    """A learner's page as the driver sees it. Every call comes from the driver's one thread."""

    #: The page tells when its finished page (charts, downloads) is there (PageState.records_ready).
    times_final_page: bool

    def open(self, url: str, query: str) -> None:
        """Load the link (``url`` + "?" + ``query``); may return before the page has drawn."""

    def wait_drawn(self) -> None:
        """Return once the page shows Train; raise when it does not in time."""

    def press_train(self) -> None:
        """Press Train; raise when it cannot be pressed."""

    def state(self) -> PageState:
        """What the page shows now; raise when the page stopped answering."""

    def download_records(self) -> str:
        """The text of the run's "Records (CSV)" download; raise when there is none."""

    def screenshot(self, path: Path) -> bool:
        """Save a picture of the page at ``path``; False when the page draws nothing."""

    def close(self) -> None: ...


def drive(
    pages: Sequence[Page],
    url: str | Sequence[str],
    cfgs: Sequence[RunConfig],
    timeout_s: float = 900,
    check_records: bool = True,
    poll_s: float = 0.25,
    log: Any = None,
    before_train: Any = None,
    progress_note: Any = None,
    screenshots: Path | None = None,
    on_stuck: Any = None,
    after_train: Any = None,
) -> list[SessionResult]:
    """Open one page per config, press Train in all of them, watch every page to the end.

    Returns one SessionResult per config; every page is closed before returning. ``url``: the
    server, or several (page i opens the i-th modulo their number: a class spread over servers).
    ``before_train()``, if given, is called once every page has drawn, just before the first Train;
    ``after_train()``, once every page has ended (or timed out), before the downloads;
    ``progress_note()`` adds a few words to each progress line; pages still waiting at the
    timeout are saved as screenshots in ``screenshots`` when given (pages that draw), after
    ``on_stuck()`` is called once (the load test has the server dump its threads' stacks then).
    A page that shows no status ``CLICK_CHECK_S`` after Train was pressed gets Train pressed
    once more, and the result says so: a lost click is a finding, not a hang.
    """
    driver = _Driver(pages, cfgs, timeout_s, poll_s, log, screenshots)
    try:
        driver.open(url)
        if before_train is not None:
            before_train()
        driver.press()
        driver.watch(progress_note)
        if after_train is not None:
            after_train()
        driver.time_out(on_stuck)
        if check_records:
            driver.check_records()
        driver.last_look()
    finally:
        driver.close()
    return driver.results


class _Driver:
    """``drive``'s steps, in the order ``drive`` calls them, over its pages and their results."""

    def __init__(
        self,
        pages: Sequence[Page],
        cfgs: Sequence[RunConfig],
        timeout_s: float,
        poll_s: float,
        log: Any,
        screenshots: Path | None,
    ) -> None:
        self.deadline = time.monotonic() + timeout_s
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self.log = log
        self.screenshots = screenshots
        self.results = [SessionResult(i, cfg) for i, cfg in enumerate(cfgs)]
        self.pages = list(zip(pages, self.results, strict=True))

    def say(self, message: str) -> None:
        if self.log is not None:
            print(message, file=self.log, flush=True)

    def open(self, url: str | Sequence[str]) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        for i, (page, result) in enumerate(self.pages):
            page.open(urls[i % len(urls)], urlencode(result.cfg.to_query_params()))
        self.say(f"{len(self.pages)} sessions opened; waiting for their pages")
        for page, result in self.pages:
            try:
                page.wait_drawn()
            except Exception as exc:  # a page that never drew is a finding, not a crash
                result.state, result.problem = "broken", f"page did not load: {_first_line(exc)}"

    def press(self) -> None:
        self.say("pressing Train in every session")
        for page, result in self.pages:
            if result.state != "pending":
                continue
            result.clicked_at, result.clicked_wall = time.monotonic(), time.time()
            try:
                page.press_train()
            except Exception as exc:
                result.state, result.problem = "broken", f"Train could not be pressed: {_first_line(exc)}"

    def watch(self, progress_note: Any) -> None:
        """Look at every page in turn until its run has ended (and, on a page that tells, its
        finished page is there), or until the deadline."""
        last_report = time.monotonic()
        while time.monotonic() < self.deadline:
            watched = [(page, result) for page, result in self.pages if _watched(page, result)]
            if not watched:
                break
            for page, result in watched:
                self._look(page, result)
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                self._progress(progress_note)
            time.sleep(self.poll_s)

    def _look(self, page: Page, result: SessionResult) -> None:
        try:
            state = page.state()
        except Exception as exc:  # page crashed or closed
            if result.state == "done":  # its run had ended: its finished page is no longer awaited
                result.problem = f"page stopped answering after its run ended: {_first_line(exc)}"
                return
            result.state, result.problem = "broken", f"page stopped answering: {_first_line(exc)}"
            self._say_ended(result)
            return
        if result.state == "done":  # ended at an earlier look: only its finished page is awaited
            if state.records_ready:
                result.final_page_s = time.monotonic() - (result.clicked_at or 0.0)
            return
        _note(result, state)
        if result.state == "pending" and state.closed:
            result.state, result.problem = "broken", "the server closed the page's connection"
        if result.state != "pending":
            self._say_ended(result)
        elif (
            not result.seen_status
            and not result.pressed_again
            and time.monotonic() - (result.clicked_at or 0.0) > CLICK_CHECK_S
        ):
            result.pressed_again = True
            self.say(
                f"    session {result.index}: no status {CLICK_CHECK_S:.0f} s after Train; pressing it again"
            )
            with contextlib.suppress(Exception):
                page.press_train()

    def _say_ended(self, result: SessionResult) -> None:
        took = result.train_to_done_s
        took = _since_press(result, None) if took is None else took
        self.say(
            f"    session {result.index} ({result.cfg.dataset}): {result.state} after {took:.1f} s: "
            f"{result.final_text or result.problem}"
        )

    def _progress(self, progress_note: Any) -> None:
        pending = [result for result in self.results if result.state == "pending"]
        note = f" · {progress_note()}" if progress_note is not None else ""
        self.say(f"  {len(self.results) - len(pending)}/{len(self.results)} runs ended{note}")
        if len(pending) <= 3:
            for r in pending:
                self.say(f"    session {r.index} ({r.cfg.dataset}) shows: {r.final_text or 'no status'}")

    def time_out(self, on_stuck: Any) -> None:
        """Pages still waiting at the deadline: ``on_stuck()`` once, then each is a timeout."""
        if on_stuck is not None and any(r.state == "pending" for r in self.results):
            with contextlib.suppress(Exception):
                on_stuck()
        for page, result in self.pages:
            if result.state == "pending":
                result.state = "timeout"
                result.problem = f"still '{result.final_text}' after {self.timeout_s:.0f} s"
                self._screenshot(page, result, "session")

    def check_records(self) -> None:
        self.say("downloading every finished run's records")
        for page, result in self.pages:
            if result.state != "done":
                continue
            result.expected = expected_record_count(result.cfg)
            started = time.monotonic()
            try:
                result.records = _csv_rows(page.download_records())
            except Exception as exc:
                result.problem = f"records could not be downloaded: {_first_line(exc)}"
                self._screenshot(page, result, "download")
            took = time.monotonic() - started
            self.say(
                f"    session {result.index}: {result.records} of {result.expected} records ({took:.1f} s)"
            )

    def last_look(self) -> None:
        """A last look for exceptions."""
        for page, result in self.pages:
            with contextlib.suppress(Exception):
                result.exceptions = max(result.exceptions, page.state().exceptions)

    def close(self) -> None:
        for page, _ in self.pages:
            with contextlib.suppress(Exception):
                page.close()

    def _screenshot(self, page: Page, result: SessionResult, what: str) -> None:
        if self.screenshots is None:
            return
        shot = self.screenshots / f"loadtest-{what}-{result.index}.png"
        with contextlib.suppress(Exception):
            self.screenshots.mkdir(parents=True, exist_ok=True)
            if page.screenshot(shot):
                result.problem += f" (screenshot: {shot})"


def _watched(page: Page, result: SessionResult) -> bool:
    """Still to be looked at: a run not ended yet, or a finished one whose page tells when its
    finished page is there and has not yet."""
    if result.state == "pending":
        return True
    return (
        result.state == "done"
        and page.times_final_page
        and result.final_page_s is None
        and not result.problem
    )


def _final_state(statuses: Sequence[str]) -> tuple[str, str] | None:
    for text in statuses:
        for words, state in _FINAL_WORDS:
            if words in text:
                return state, text
    return None


def _note(result: SessionResult, state: PageState) -> None:
    """What one look at a page tells: its status lines, exceptions and connection, and, as the
    page timed them, the seconds from the press to its first status and to its run's end."""
    statuses = state.statuses
    result.exceptions = max(result.exceptions, state.exceptions)
    result.disconnected = result.disconnected or state.disconnected
    if any(WAITING_TEXT in text for text in statuses):
        result.queued = True
    if statuses and not result.seen_status:
        result.first_status_s = _since_press(result, state.status_at)
    result.seen_status = result.seen_status or bool(statuses)
    result.final_text = statuses[-1].strip() if statuses else ""  # what the page shows now
    final = _final_state(statuses)
    if final is not None:
        result.state, result.final_text = final[0], final[1].strip()
        result.train_to_done_s = _since_press(result, state.ended_at)


def _csv_rows(text: str) -> int:
    """Data rows of a CSV download (its header left out)."""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)


def _since_press(result: SessionResult, wall_s: float | None) -> float:
    """Seconds from the press to what the page noted at ``wall_s`` (wall clock); without that
    note, to now."""
    if wall_s is not None and result.clicked_wall is not None:
        return max(0.0, wall_s - result.clicked_wall)
    return time.monotonic() - (result.clicked_at or time.monotonic())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


# --------------------------------------------------------------------------- Chromium pages


#: Run status lines: progress bars and alerts of the main area (the sidebar's notes are not statuses).
STATUS_SELECTOR = (
    "[data-testid=stMainBlockContainer] [data-testid=stProgress], "
    "[data-testid=stMainBlockContainer] [data-testid=stAlert]"
)
_PAGE_STATE_JS = f"""() => ({{
  seen: window.__nnexploreSeen || {{}},
  statuses: Array.from(document.querySelectorAll('{STATUS_SELECTOR}')).map(e => e.innerText),
  exceptions: document.querySelectorAll('[data-testid=stException]').length,
  disconnected: Array.from(document.querySelectorAll('[role=dialog]'))
    .some(d => d.innerText.includes('Connection error')),
}})"""
MANAGE_SWITCH = "Manage runs: load, remove, download"  # the downloads are under it
#: Added to every page before it loads: notes the wall-clock time (ms) at which the page's DOM
#: first held a status line, and a final one. Polling thirty pages one after another on a busy
#: browser core takes tens of seconds a round: the poll only tells the state, the page the time.
_SEEN_JS = f"""(() => {{
  const seen = window.__nnexploreSeen = {{status: null, ended: null}};
  const finals = {[words for words, _ in _FINAL_WORDS]!r};
  const observer = new MutationObserver(() => {{
    const texts = Array.from(document.querySelectorAll('{STATUS_SELECTOR}')).map(e => e.textContent);
    if (texts.length && seen.status === null) seen.status = Date.now();
    if (texts.some(t => finals.some(w => t.includes(w)))) {{ seen.ended = Date.now(); observer.disconnect(); }}
  }});
  document.addEventListener('DOMContentLoaded', () =>
    observer.observe(document.body, {{childList: true, subtree: true, characterData: true}}));
}})();"""


class ChromiumPage:
    """A learner's page in a headless Chromium context of its own (Playwright's sync API: every
    call from the thread that started Playwright). The page times itself (``_SEEN_JS``)."""

    times_final_page = False

    def __init__(self, browser: Any, step_ms: int = 60_000) -> None:
        self.browser = browser
        self.step_ms = step_ms  # one page action; a loaded 2-core box can take many seconds to draw
        self._context: Any = None
        self._page: Any = None

    def open(self, url: str, query: str) -> None:
        self._context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        self._context.set_default_timeout(self.step_ms)
        self._context.add_init_script(_SEEN_JS)
        self._page = self._context.new_page()
        self._page.goto(url + "?" + query, wait_until="domcontentloaded")

    def _train_button(self) -> Any:
        return self._page.get_by_test_id("stMainBlockContainer").get_by_role(
            "button", name="Train", exact=True
        )

    def wait_drawn(self) -> None:
        self._train_button().wait_for(timeout=self.step_ms)

    def press_train(self) -> None:
        self._train_button().click(timeout=self.step_ms)

    def state(self) -> PageState:
        state = self._page.evaluate(_PAGE_STATE_JS)
        seen = state.get("seen") or {}
        return PageState(
            statuses=state["statuses"],
            exceptions=state["exceptions"],
            disconnected=state["disconnected"],
            status_at=_wall_s(seen.get("status")),
            ended_at=_wall_s(seen.get("ended")),
        )

    def download_records(self) -> str:
        """The run's "Records (CSV)" download (the page shows no record count itself)."""
        page, timeout_ms = self._page, self.step_ms
        switch = page.get_by_test_id("stMainBlockContainer").get_by_text(MANAGE_SWITCH, exact=True)
        button = page.get_by_role("button", name=RECORDS_LABEL, exact=True)
        attempts = 3  # the page may redraw between finding the button and clicking it: try again
        for attempt in range(attempts):
            try:
                if not button.is_visible():
                    switch.click(timeout=timeout_ms)
                with page.expect_download(timeout=timeout_ms // attempts) as info:
                    button.click(timeout=timeout_ms // attempts)
                return Path(info.value.path()).read_text(encoding="utf-8")
            except Exception:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def screenshot(self, path: Path) -> bool:
        self._page.screenshot(path=str(path), full_page=True, timeout=self.step_ms)
        return True

    def close(self) -> None:
        if self._context is not None:
            self._context.close()


def _wall_s(page_ms: float | None) -> float | None:
    """The page's Date.now() (ms) as time.time() seconds."""
    return None if page_ms is None else page_ms / 1000


def drive_sessions(browser: Any, url: str, cfgs: Sequence[RunConfig], **options: Any) -> list[SessionResult]:
    """``drive`` with one Chromium context of ``browser`` per config (``options``: drive's)."""
    return drive([ChromiumPage(browser) for _ in cfgs], url, cfgs, **options)


# --------------------------------------------------------------------------- protocol pages


class ProtocolSessionPage:
    """A learner's page without a browser (protocol_pages.ProtocolPage) in ``loop``'s thread:
    each call waits there for the page, so that only that thread touches its elements. The page
    is watched closely (every 50 ms), so a look's time is when it showed what it shows."""

    times_final_page = True

    def __init__(self, loop: LoopThread, load_s: float = 120) -> None:
        self.loop = loop
        self.load_s = load_s
        self._page: ProtocolPage | None = None
        self._opening: Any = None

    def open(self, url: str, query: str) -> None:
        from devtools.protocol_pages import ProtocolPage

        self._page = ProtocolPage(url, query)
        self._opening = self.loop.submit(self._page.open())  # the class's pages connect at once

    def wait_drawn(self) -> None:
        from devtools.protocol_pages import wait_for

        page = self._page
        self._opening.result(self.load_s)
        if not self.loop.run(wait_for(lambda: page.button("Train") is not None, self.load_s)):
            raise TimeoutError(f"no Train button after {self.load_s:.0f} s")

    def press_train(self) -> None:
        if not self.loop.run(self._page.press("Train")):
            raise LookupError("the page has no Train button to press")

    def state(self) -> PageState:
        page = self._page
        # The learner turns Manage runs on as soon as it shows, for the downloads that tell when
        # the finished page is there (times_final_page).
        self.loop.run(page.turn_on(MANAGE_SWITCH))
        statuses, exceptions, closed, ready = self.loop.call(
            lambda: (
                page.statuses(),
                page.exceptions(),
                page.closed,
                page.download_url(RECORDS_LABEL) is not None,
            )
        )
        now = time.time()
        return PageState(statuses, exceptions, closed, now, now, closed=closed, records_ready=ready)

    def download_records(self) -> str:
        # The final page (with its downloads) is drawn once the status fragment asks for it.
        return self.loop.run(self._page.download(RECORDS_LABEL, wait_s=60)).decode("utf-8")

    def screenshot(self, path: Path) -> bool:
        return False  # nothing is drawn

    def close(self) -> None:
        if self._page is not None:
            self.loop.submit(self._page.close())  # the loop waits for them all when it stops


def drive_protocol_sessions(
    url: str | Sequence[str], cfgs: Sequence[RunConfig], **options: Any
) -> list[SessionResult]:
    """``drive`` with devtools.protocol_pages instead of browser pages: the same steps and the same
    results, for the app's cost with the browsers' left out (``options``: drive's; looked at
    every 50 ms unless ``poll_s`` says otherwise)."""
    from devtools.protocol_pages import LoopThread

    with LoopThread() as loop:
        return drive([ProtocolSessionPage(loop) for _ in cfgs], url, cfgs, **{"poll_s": 0.05, **options})
