"""Classroom load test (python -m devtools.loadtest): a whole class presses Train at once.

One real ``streamlit run`` on loopback with the training slots limited (1 by
default, as on Streamlit Community Cloud's single small core), pinned with its
training processes to one core, and many sessions on the other cores: by
default pages without a browser (devtools.protocol_pages: Streamlit's own
websocket protocol, nothing drawn), so the figures are the app's; with
``--client browser``, one headless Chromium context per learner, whose drawing
on a shared core bounded the figures themselves. Every
session opens the Playground with a short run, most on toy data and a few on
MNIST from a loopback mirror of ../shared/mnist, and they all press Train
within a few seconds of each other. Then every page is watched until its run
ends, and the figures the classroom issue asks for are printed: did every run
finish (or wait in the queue and then finish), did any page show an exception,
did any run lose records, how much memory did the server take, and how long
did learners wait from Train to done.

Playwright's sync API is not thread-safe, so browser pages are driven from one
thread, polled in turn; protocol pages share one asyncio loop. Only the
memory sampler runs in a second thread, and it only reads /proc. Needs the dev
requirements (websockets; Playwright and Debian's chromium for --client
browser); the core never imports this module.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

from devtools import local_servers, procmem
from nnexplore.config import RunConfig

ROOT = Path(__file__).resolve().parents[1]
MNIST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
MNIST_TEST_ONLY_TRAIN = 8_000  # nnexplore.data.mnist.TEST_ONLY_TRAIN (not imported: it pulls in torch)

#: A short toy run (about a second of training on one core) and the MNIST run of the issue.
TOY_BASE = RunConfig(n_samples=1000, epochs=15, device="cpu")
MNIST_CFG = RunConfig(dataset="mnist", hidden=(32,), train_size=2000, epochs=1, batch_size=64, device="cpu")
_TOY_VARIANTS = [
    ("moons", "relu"),
    ("circles", "tanh"),
    ("xor", "relu"),
    ("blobs", "gelu"),
    ("moons", "elu"),
    ("spiral", "tanh"),
    ("circles", "leaky_relu"),
]

#: Run status lines: progress bars and alerts of the main area (the sidebar's notes are not statuses).
STATUS_SELECTOR = (
    "[data-testid=stMainBlockContainer] [data-testid=stProgress], "
    "[data-testid=stMainBlockContainer] [data-testid=stAlert]"
)
#: Seconds after pressing Train with no status on the page before Train is pressed once more.
#: Long: 30 browser pages on 2 cores can take over 30 s to show a status, and a second
#: press on a slow page starts a second run.
CLICK_CHECK_S = 90.0
_PAGE_STATE_JS = f"""() => ({{
  seen: window.__nnexploreSeen || {{}},
  statuses: Array.from(document.querySelectorAll('{STATUS_SELECTOR}')).map(e => e.innerText),
  exceptions: document.querySelectorAll('[data-testid=stException]').length,
  disconnected: Array.from(document.querySelectorAll('[role=dialog]'))
    .some(d => d.innerText.includes('Connection error')),
}})"""
WAITING_TEXT = "waiting for a free training slot"
#: Words of a status line that mean the run has ended, and the state each one stands for.
_FINAL_WORDS = (
    (": done,", "done"),
    (": stopped.", "stopped"),
    (": diverged.", "diverged"),
    (": could not run.", "error"),
)
MANAGE_EXPANDER = "Manage runs: load, remove, download"
RECORDS_LABEL = "Records (CSV)"
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


def toy_configs(n: int) -> list[RunConfig]:
    """``n`` short toy runs, varied a little (dataset, activation, seed) as a class would."""
    return [
        TOY_BASE.replace(dataset=dataset, hidden_activation=act, seed=i % 5)
        for i, (dataset, act) in ((i, _TOY_VARIANTS[i % len(_TOY_VARIANTS)]) for i in range(n))
    ]


def worksheet_configs(sessions: int, links: int, mnist_links: int) -> list[RunConfig]:
    """``sessions`` learners following a worksheet of ``links`` shared links, in turn: session i
    opens link i % links. Identical links are one computation on the server (nnexplore.runs.shared)."""
    distinct = class_configs(links, mnist_links)
    return [distinct[i % links] for i in range(sessions)]


def class_configs(sessions: int, mnist_sessions: int) -> list[RunConfig]:
    """``sessions`` distinct runs, ``mnist_sessions`` of them on MNIST, spread through the class
    rather than all at the end of the queue."""
    cfgs = toy_configs(sessions - mnist_sessions)
    for k in range(mnist_sessions):
        cfgs.insert(min(len(cfgs), (k + 1) * sessions // (mnist_sessions + 1)), MNIST_CFG.replace(seed=k))
    return cfgs


def expected_record_count(cfg: RunConfig) -> int:
    """Records a run of ``cfg`` that is neither stopped nor diverged yields on this server.

    The server's MNIST is the test-set split (NNEXPLORE_MNIST_TEST_ONLY=1):
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


def _final_state(statuses: Sequence[str]) -> tuple[str, str] | None:
    for text in statuses:
        for words, state in _FINAL_WORDS:
            if words in text:
                return state, text
    return None


def _open_session(browser: Any, url: str, cfg: RunConfig, timeout_ms: int) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(timeout_ms)
    context.add_init_script(_SEEN_JS)
    page = context.new_page()
    page.goto(url + "?" + urlencode(cfg.to_query_params()), wait_until="domcontentloaded")
    return context, page


def _train_button(page: Any) -> Any:
    return page.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train", exact=True)


def _download_records(page: Any, timeout_ms: int) -> int:
    """Rows of the run's "Records (CSV)" download (the page shows no record count itself)."""
    expander = page.get_by_test_id("stExpander").filter(has_text=MANAGE_EXPANDER)
    button = page.get_by_role("button", name=RECORDS_LABEL, exact=True)
    attempts = 3  # the page may redraw between finding the button and clicking it: try again
    for attempt in range(attempts):
        try:
            if not button.is_visible():
                expander.locator("summary").click(timeout=timeout_ms)
            with page.expect_download(timeout=timeout_ms // attempts) as info:
                button.click(timeout=timeout_ms // attempts)
            text = Path(info.value.path()).read_text(encoding="utf-8")
            return _csv_rows(text)
        except Exception:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def drive_sessions(
    browser: Any,
    url: str,
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
    """Open one browser context per config, press Train in all of them, watch every page to the end.

    Returns one SessionResult per config; every context is closed before returning.
    ``before_train()``, if given, is called once every page has drawn, just before the first Train;
    ``after_train()``, once every page has ended (or timed out), before the downloads;
    ``progress_note()`` adds a few words to each progress line; pages still waiting at the
    timeout are saved as screenshots in ``screenshots`` when given, after ``on_stuck()`` is
    called once (the load test has the server dump its threads' stacks then).
    A page that shows no status ``CLICK_CHECK_S`` after Train was pressed gets Train pressed
    once more, and the result says so: a lost click is a finding, not a hang.
    """
    deadline = time.monotonic() + timeout_s
    step_ms = 60_000  # one page action; a loaded 2-core box can take many seconds to draw
    results = [SessionResult(i, cfg) for i, cfg in enumerate(cfgs)]
    sessions: list[tuple[Any, Any]] = []

    def say(message: str) -> None:
        if log is not None:
            print(message, file=log, flush=True)

    try:
        for cfg in cfgs:
            sessions.append(_open_session(browser, url, cfg, step_ms))
        say(f"{len(sessions)} sessions opened; waiting for their pages")
        for (_, page), result in zip(sessions, results):
            try:
                _train_button(page).wait_for(timeout=step_ms)
            except Exception as exc:  # a page that never drew is a finding, not a crash
                result.state, result.problem = "broken", f"page did not load: {_first_line(exc)}"
        if before_train is not None:
            before_train()
        say("pressing Train in every session")
        for (_, page), result in zip(sessions, results):
            if result.state != "pending":
                continue
            result.clicked_at, result.clicked_wall = time.monotonic(), time.time()
            try:
                _train_button(page).click(timeout=step_ms)
            except Exception as exc:
                result.state, result.problem = "broken", f"Train could not be pressed: {_first_line(exc)}"
        last_report = time.monotonic()
        while time.monotonic() < deadline:
            pending = [(s, r) for s, r in zip(sessions, results) if r.state == "pending"]
            if not pending:
                break
            for (_, page), result in pending:
                _poll(page, result)
                if result.state != "pending":
                    took = result.train_to_done_s
                    took = _since_press(result, None) if took is None else took
                    say(
                        f"    session {result.index} ({result.cfg.dataset}): {result.state} after {took:.0f} s: "
                        f"{result.final_text or result.problem}"
                    )
                if (
                    result.state == "pending"
                    and not result.seen_status
                    and not result.pressed_again
                    and time.monotonic() - (result.clicked_at or 0.0) > CLICK_CHECK_S
                ):
                    result.pressed_again = True
                    say(
                        f"    session {result.index}: no status {CLICK_CHECK_S:.0f} s after Train; pressing it again"
                    )
                    with contextlib.suppress(Exception):
                        _train_button(page).click(timeout=step_ms)
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                note = f" · {progress_note()}" if progress_note is not None else ""
                say(f"  {len(results) - len(pending)}/{len(results)} runs ended{note}")
                if len(pending) <= 3:
                    for _, r in pending:
                        say(f"    session {r.index} ({r.cfg.dataset}) shows: {r.final_text or 'no status'}")
            time.sleep(poll_s)
        if after_train is not None:
            after_train()
        if on_stuck is not None and any(r.state == "pending" for r in results):
            with contextlib.suppress(Exception):
                on_stuck()
        for (_, page), result in zip(sessions, results):
            if result.state == "pending":
                result.state, result.problem = (
                    "timeout",
                    f"still '{result.final_text}' after {timeout_s:.0f} s",
                )
                if screenshots is not None:
                    with contextlib.suppress(Exception):
                        screenshots.mkdir(parents=True, exist_ok=True)
                        shot = screenshots / f"loadtest-session-{result.index}.png"
                        page.screenshot(path=str(shot), full_page=True, timeout=step_ms)
                        result.problem += f" (screenshot: {shot})"
        if check_records:
            say("downloading every finished run's records")
            for (_, page), result in zip(sessions, results):
                if result.state != "done":
                    continue
                result.expected = expected_record_count(result.cfg)
                started = time.monotonic()
                try:
                    result.records = _download_records(page, step_ms)
                except Exception as exc:
                    result.problem = f"records could not be downloaded: {_first_line(exc)}"
                    if screenshots is not None:
                        with contextlib.suppress(Exception):
                            shot = screenshots / f"loadtest-download-{result.index}.png"
                            page.screenshot(path=str(shot), full_page=True, timeout=step_ms)
                            result.problem += f" (screenshot: {shot})"
                took = time.monotonic() - started
                say(
                    f"    session {result.index}: {result.records} of {result.expected} records ({took:.1f} s)"
                )
        for (_, page), result in zip(sessions, results):  # a last look for exceptions
            with contextlib.suppress(Exception):
                result.exceptions = max(result.exceptions, page.evaluate(_PAGE_STATE_JS)["exceptions"])
    finally:
        for context, _ in sessions:
            with contextlib.suppress(Exception):
                context.close()
    return results


def _poll(page: Any, result: SessionResult) -> None:
    try:
        state = page.evaluate(_PAGE_STATE_JS)
    except Exception as exc:  # page crashed or closed
        result.state, result.problem = "broken", f"page stopped answering: {_first_line(exc)}"
        return
    seen = state.get("seen") or {}
    pressed = result.clicked_at is not None
    _note(
        result,
        state["statuses"],
        state["exceptions"],
        state["disconnected"],
        _since_press(result, seen.get("status")) if pressed else None,
        _since_press(result, seen.get("ended")) if pressed else None,
    )


def _note(
    result: SessionResult,
    statuses: Sequence[str],
    exceptions: int,
    disconnected: bool,
    status_s: float | None,
    ended_s: float | None,
) -> None:
    """What one look at a page (browser or protocol) tells: its status lines, exceptions and
    connection; ``status_s``/``ended_s``: seconds from the press to the page's first status and
    to its run's end, as the page timed them."""
    result.exceptions = max(result.exceptions, exceptions)
    result.disconnected = result.disconnected or disconnected
    if any(WAITING_TEXT in text for text in statuses):
        result.queued = True
    if statuses and not result.seen_status:
        result.first_status_s = status_s
    result.seen_status = result.seen_status or bool(statuses)
    result.final_text = statuses[-1].strip() if statuses else ""  # what the page shows now
    final = _final_state(statuses)
    if final is not None:
        result.state, result.final_text = final[0], final[1].strip()
        result.train_to_done_s = ended_s


def _csv_rows(text: str) -> int:
    """Data rows of a CSV download (its header left out)."""
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)


def _since_press(result: SessionResult, page_ms: float | None) -> float:
    """Seconds from the press to what the page noted at ``page_ms`` (wall clock, ms); without
    that note, to now."""
    if page_ms is not None and result.clicked_wall is not None:
        return max(0.0, page_ms / 1000 - result.clicked_wall)
    return time.monotonic() - (result.clicked_at or time.monotonic())


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


# --------------------------------------------------------------------------- protocol pages


def drive_protocol_sessions(
    url: str,
    cfgs: Sequence[RunConfig],
    timeout_s: float = 900,
    check_records: bool = True,
    log: Any = None,
    before_train: Any = None,
    progress_note: Any = None,
    after_train: Any = None,
) -> list[SessionResult]:
    """drive_sessions with devtools.protocol_pages instead of browser pages: the same steps (open
    every link, press Train in every session at once, watch every page to its end, download every
    finished run's records) and the same results, for the app's cost with the browsers' left out."""
    return asyncio.run(
        _drive_protocol(url, cfgs, timeout_s, check_records, log, before_train, progress_note, after_train)
    )


async def _drive_protocol(
    url: str,
    cfgs: Sequence[RunConfig],
    timeout_s: float,
    check_records: bool,
    log: Any,
    before_train: Any,
    progress_note: Any,
    after_train: Any,
) -> list[SessionResult]:
    from devtools.protocol_pages import ProtocolPage, wait_for

    def say(message: str) -> None:
        if log is not None:
            print(message, file=log, flush=True)

    deadline = time.monotonic() + timeout_s
    results = [SessionResult(i, cfg) for i, cfg in enumerate(cfgs)]
    pages = [ProtocolPage(url, urlencode(cfg.to_query_params())) for cfg in cfgs]
    try:
        await asyncio.gather(*(page.open() for page in pages))
        say(f"{len(pages)} protocol sessions opened; waiting for their pages")
        for page, result in zip(pages, results):
            if not await wait_for(lambda page=page: page.button("Train") is not None, 120):
                result.state, result.problem = "broken", "page did not load"
        if before_train is not None:
            before_train()
        say("pressing Train in every session")
        for page, result in zip(pages, results):
            if result.state == "pending":
                result.clicked_at, result.clicked_wall = time.monotonic(), time.time()
                if not await page.press("Train"):
                    result.state, result.problem = "broken", "Train could not be pressed"
        last_report = time.monotonic()

        def waiting() -> bool:
            return any(
                r.state == "pending" or (r.state == "done" and r.final_page_s is None) for r in results
            )

        while time.monotonic() < deadline and waiting():
            for page, result in zip(pages, results):
                if (
                    result.state == "done"
                    and result.final_page_s is None
                    and page.download_url(RECORDS_LABEL)
                ):
                    result.final_page_s = time.monotonic() - result.clicked_at
                if result.state == "pending":
                    _observe(page, result)
                    if result.state != "pending":
                        say(
                            f"    session {result.index} ({result.cfg.dataset}): {result.state} after "
                            f"{_since_press(result, None):.1f} s: {result.final_text or result.problem}"
                        )
            if time.monotonic() - last_report > 10:
                last_report = time.monotonic()
                note = f" · {progress_note()}" if progress_note is not None else ""
                ended = sum(r.state != "pending" for r in results)
                say(f"  {ended}/{len(results)} runs ended{note}")
            await asyncio.sleep(0.05)
        if after_train is not None:
            after_train()
        for result in results:
            if result.state == "pending":
                result.state, result.problem = (
                    "timeout",
                    f"still '{result.final_text}' after {timeout_s:.0f} s",
                )
        if check_records:
            say("downloading every finished run's records")
            for page, result in zip(pages, results):
                if result.state == "done":
                    await _download_protocol_records(page, result)
        for page, result in zip(pages, results):
            result.exceptions = max(result.exceptions, page.exceptions())
    finally:
        await asyncio.gather(*(page.close() for page in pages), return_exceptions=True)
    return results


def _observe(page: Any, result: SessionResult) -> None:
    """One look at a protocol page: it is watched closely, so now is when it showed what it shows."""
    since = time.monotonic() - result.clicked_at
    _note(result, page.statuses(), page.exceptions(), page.closed, since, since)
    if result.state == "pending" and page.closed:
        result.state, result.problem = "broken", "the server closed the page's connection"


async def _download_protocol_records(page: Any, result: SessionResult) -> None:
    from devtools.protocol_pages import wait_for

    result.expected = expected_record_count(result.cfg)
    # The final page (with its downloads) is drawn once the status fragment asks for it.
    await wait_for(lambda: page.download_url(RECORDS_LABEL) is not None, 60)
    attempts = 3  # each full run of the page serves its file under a new address: a link read
    for attempt in range(attempts):  # just before a redraw can be gone: read it again
        link = page.download_url(RECORDS_LABEL)
        if link is None:
            result.problem = "the page has no records download"
            return
        try:
            text = (await page.fetch(link)).decode("utf-8")
        except Exception as exc:
            if attempt == attempts - 1:
                result.problem = f"records could not be downloaded: {_first_line(exc)}"
                return
            await asyncio.sleep(1.0)
        else:
            result.records = _csv_rows(text)
            return


# --------------------------------------------------------------------------- memory


class MemorySampler:
    """Samples the server's memory every ``interval`` s: its own RSS, and PSS summed with its children.

    The children are the forkserver and the training processes it forks: on
    the Cloud box they share the app's memory limit, so they count. PSS, not
    RSS, for the sum: those processes share torch's pages (see procmem). Every
    descendant ever seen is remembered, so that anything left over can be
    stopped at the end.

    A toy run can train for less than one interval, so the runs trained are
    also counted every WATCH_S from the forkserver's list of its children
    (one small read of /proc, where a memory sample walks all of it).
    """

    #: How often the forkserver's children are read: a training process lives 50 ms at the least.
    WATCH_S = 0.01

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_server_kb = 0
        self.peak_total_kb = 0
        self.last_server_kb = 0
        self.last_total_kb = 0
        self.training_processes = 0
        self.most_training = 0  # training processes alive at once, at most: runs spread over slots
        self.trained: set[int] = set()  # every training process seen: one per run trained
        self.seen: dict[int, int] = {}
        self.forkserver: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="loadtest-memory", daemon=True)
        self._watch = threading.Thread(target=self._watch_training, name="loadtest-runs", daemon=True)

    def start(self) -> MemorySampler:
        self._thread.start()
        self._watch.start()
        return self

    def sample(self) -> None:
        children = procmem.descendants(self.pid)
        self.seen.update(children)
        reading = procmem.tree_memory(self.pid)
        self.last_server_kb = reading.root_rss_kb
        self.last_total_kb = reading.total_pss_kb
        self.forkserver = procmem.forkserver(self.pid, children)
        training = procmem.training_processes(self.pid, children)
        self.training_processes = len(training)
        self.most_training = max(self.most_training, self.training_processes)
        self.trained.update(training)
        self.peak_server_kb = max(self.peak_server_kb, self.last_server_kb)
        self.peak_total_kb = max(self.peak_total_kb, self.last_total_kb)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def _watch_training(self) -> None:
        """The forkserver's children every WATCH_S (Linux's /proc/<pid>/task/<pid>/children)."""
        while not self._stop.wait(self.WATCH_S):
            forkserver = self.forkserver
            if forkserver is None:
                continue
            try:
                with open(f"/proc/{forkserver}/task/{forkserver}/children") as f:
                    self.trained.update(int(pid) for pid in f.read().split())
            except OSError:  # the forkserver has just stopped, or this kernel has no such file
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._watch.join(5)


# --------------------------------------------------------------------------- server and mirror


@contextlib.contextmanager
def streamlit_server(
    env: dict[str, str], log_path: Path, app_cores: int = 1
) -> Iterator[tuple[str, MemorySampler]]:
    """The dashboard server with a (not yet started) memory sampler; its children are stopped too.
    The app gets ``app_cores`` cores and the clients the rest (all of them share every core when
    none would be left)."""
    with (
        local_servers.streamlit_server(env, log_path) as (url, proc),
        local_servers.app_pinned(proc.pid, app_cores),
    ):
        sampler = MemorySampler(proc.pid)
        try:
            yield url, sampler
        finally:
            with contextlib.suppress(Exception):
                sampler.seen.update(procmem.descendants(proc.pid))
    _stop_leftovers(sampler.seen)


def _stop_leftovers(seen: dict[int, int]) -> None:
    """Kill the server's children that outlived it (only if still the very same processes)."""
    time.sleep(0.5)
    for pid, started in seen.items():
        ident = procmem.process_identity(pid)
        if ident is not None and ident[1] == started:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)


# --------------------------------------------------------------------------- the load test


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def _dump_server_stacks(pid: int) -> None:
    """Ask the server to write every thread's stack to its log (nnexplore.ui.state registers SIGUSR1)."""
    os.kill(pid, signal.SIGUSR1)
    time.sleep(1.0)


def _seconds(values: list[float], fn: Any) -> str:
    return f"{fn(values):.1f} s" if values else "-"


def _cores(app_cores: int) -> str:
    """The app's cores, in words, as pinned by local_servers.app_pinned."""
    total = len(os.sched_getaffinity(0))
    if app_cores >= total:
        return f"all {total} cores, shared with the clients"
    return f"{app_cores} of {total} cores"


def run_load_test(
    sessions: int = 30,
    mnist_sessions: int = 5,
    slots: int = 1,
    timeout_s: float = 900,
    links: int = 0,
    client: str = "protocol",
    app_cores: int = 1,
) -> int:
    """Run the classroom load test and print its table. 0 when every run finished cleanly, else 1.

    ``links`` > 0: the class follows a worksheet of that many shared links (``mnist_sessions`` of
    them on MNIST) instead of every learner opening a link of their own. ``client``: "protocol"
    (devtools.protocol_pages: the app's cost alone) or "browser" (headless Chromium pages, which
    on the test's one core for clients bound the figures themselves)."""
    if client == "browser" and not Path(local_servers.CHROMIUM).exists():
        print("The browser load test needs Debian's chromium: apt-get install chromium", file=sys.stderr)
        return 2
    if client == "browser":
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            print(
                "The browser load test needs Playwright: pip install -r requirements-dev.txt", file=sys.stderr
            )
            return 2
    mnist_sessions = max(0, min(mnist_sessions, sessions))
    have_mnist = all((local_servers.SHARED_MNIST / name).exists() for name in MNIST_FILES)
    if mnist_sessions and not have_mnist:
        print(
            f"No MNIST files in {local_servers.SHARED_MNIST}: every session trains on toy data.",
            file=sys.stderr,
        )
        mnist_sessions = 0
    if links:
        links = min(links, sessions)
        cfgs = worksheet_configs(sessions, links, min(mnist_sessions, links))
    else:
        cfgs = class_configs(sessions, mnist_sessions)

    app_cores_text = _cores(app_cores)  # before the pinning narrows this process's cores
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="nnexplore-loadtest-"))
        env = {
            "NNEXPLORE_SLOTS": str(slots),
            "NNEXPLORE_DATA_DIR": data_dir,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        if mnist_sessions:
            env["NNEXPLORE_MNIST_MIRRORS"] = stack.enter_context(
                local_servers.serve_folder(local_servers.SHARED_MNIST)
            )
            env["NNEXPLORE_MNIST_TEST_ONLY"] = "1"
        log_path = Path(data_dir) / "streamlit.log"
        url, sampler = stack.enter_context(streamlit_server(env, log_path, app_cores))
        client_cores = len(os.sched_getaffinity(0))  # as pinned, while the server runs
        sampler.sample()
        idle_kb = sampler.last_server_kb
        cpu_at_start = procmem.cpu_seconds(sampler.pid)
        sampler.start()
        stack.callback(sampler.stop)
        print(
            f"server up at {url} with {slots} slot(s) on {app_cores_text}, {_mb(idle_kb)};"
            f" opening {sessions} {client} sessions"
        )
        opened: dict[str, int] = {}

        browser_cpu: list[tuple[float, float]] = []  # (CPU seconds, time) of the test's browsers

        def note_browsers() -> None:
            browser_cpu.append((_browsers_cpu_s(sampler.pid), time.monotonic()))

        def note_memory() -> None:
            sampler.sample()
            opened.update(server=sampler.last_server_kb, total=sampler.last_total_kb)
            note_browsers()

        common = dict(
            timeout_s=timeout_s,
            log=sys.stdout,
            before_train=note_memory,
            progress_note=lambda: f"training processes alive: {sampler.training_processes}",
            after_train=note_browsers,
        )
        if client == "browser":
            pw = stack.enter_context(sync_playwright())
            browser = pw.chromium.launch(
                executable_path=local_servers.CHROMIUM, args=local_servers.CHROMIUM_ARGS
            )
            stack.callback(browser.close)
            results = drive_sessions(
                browser,
                url,
                cfgs,
                screenshots=ROOT / "test-artifacts",
                on_stuck=lambda: _dump_server_stacks(sampler.pid),
                **common,
            )
        else:
            results = drive_protocol_sessions(url, cfgs, **common)
        sampler.stop()
        sampler.sample()
        server_cpu_s = procmem.cpu_seconds(sampler.pid) - cpu_at_start
        with mock.patch.dict(os.environ, env):  # the MNIST files the server fetched, for the headless runs
            headless_s = headless_seconds(list(dict.fromkeys(cfgs)))
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        with contextlib.suppress(OSError):  # kept for a look after the run (stacks of a stuck server)
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            (ROOT / "test-artifacts" / "loadtest-server.log").write_text(log_text, encoding="utf-8")
    browsers = _browser_share(browser_cpu, client_cores)
    return _report(
        results,
        f"{slots} on {app_cores_text}",
        idle_kb,
        opened,
        sampler,
        server_cpu_s,
        log_text,
        time.monotonic() - started,
        browsers,
        headless_s,
    )


def headless_seconds(cfgs: Sequence[RunConfig]) -> float:
    """Seconds the distinct runs take one after another with train() alone (one torch thread, as a
    training slot has): what the class's runs would cost with no pages at all."""
    import torch

    from nnexplore.training import train

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        total = 0.0
        for cfg in cfgs:
            started = time.perf_counter()
            for _ in train(cfg):
                pass
            total += time.perf_counter() - started
        return total
    finally:
        torch.set_num_threads(threads)


def _browsers_cpu_s(server_pid: int) -> float:
    """CPU seconds so far of this test's own clients: this process (the protocol pages, or
    Playwright's driver) and the processes below it (Chromium), the server's tree left out."""
    server_tree = set(procmem.descendants(server_pid)) | {server_pid}
    mine = [os.getpid(), *(pid for pid in procmem.descendants(os.getpid()) if pid not in server_tree)]
    return sum(procmem.cpu_seconds(pid) for pid in mine)


def _browser_share(readings: list[tuple[float, float]], cores: int) -> str:
    """The browsers' CPU from the first Train to the last page's end, as a share of their cores:
    near 100%, the test's figures are bounded by its own browsers, not by the app."""
    if len(readings) < 2:
        return "-"
    (cpu0, t0), (cpu1, t1) = readings[0], readings[-1]
    return f"{cpu1 - cpu0:.0f} s, {(cpu1 - cpu0) / max(t1 - t0, 1e-9) / cores:.0%} of {cores} core(s)"


def _report(
    results: list[SessionResult],
    slots: str,
    idle_kb: int,
    opened: dict[str, int],
    sampler: MemorySampler,
    server_cpu_s: float,
    server_log: str,
    wall_s: float,
    browsers: str = "-",
    headless_s: float | None = None,
) -> int:
    finished = [r for r in results if r.state == "done"]
    times = [r.train_to_done_s for r in finished if r.train_to_done_s is not None]
    firsts = [r.first_status_s for r in results if r.first_status_s is not None]
    finals = [r.final_page_s for r in results if r.final_page_s is not None]
    exceptions = sum(r.exceptions for r in results)
    lost = sum(r.records_lost for r in results)
    unchecked = sum(1 for r in finished if r.records is None)
    tracebacks = server_log.count("Traceback")
    n_mnist = sum(r.cfg.dataset == "mnist" for r in results)
    rows = [
        ("sessions (toy + MNIST)", f"{len(results)} ({len(results) - n_mnist} + {n_mnist})"),
        ("training slots, on the app's cores", slots),
        ("runs finished (done)", f"{len(finished)} of {len(results)}"),
        (
            f"Train pressed again (no status {CLICK_CHECK_S:.0f} s after the first press)",
            str(sum(r.pressed_again for r in results)),
        ),
        ("queued, then finished", str(sum(r.queued for r in finished))),
        ("pages showing an exception", str(sum(r.exceptions > 0 for r in results))),
        ("records lost", str(lost) + (f" ({unchecked} runs not checked)" if unchecked else "")),
        ("tracebacks in the server log", str(tracebacks)),
        ("pages that lost the server (Connection error)", str(sum(r.disconnected for r in results))),
        ("server memory at start, no page open (RSS)", _mb(idle_kb)),
        (
            "every page open before Train: server RSS / whole app PSS",
            f"{_mb(opened.get('server', 0))} / {_mb(opened.get('total', 0))}",
        ),
        ("peak server RSS", _mb(sampler.peak_server_kb)),
        ("peak whole app PSS (server, forkserver, training processes)", _mb(sampler.peak_total_kb)),
        ("Train → first status on the page, median", _seconds(firsts, statistics.median)),
        ("Train → first status on the page, worst", _seconds(firsts, max)),
        ("Train → done, median", _seconds(times, statistics.median)),
        ("Train → done, worst", _seconds(times, max)),
        ("Train → the finished page drawn (charts, downloads), median", _seconds(finals, statistics.median)),
        ("Train → the finished page drawn, worst", _seconds(finals, max)),
        (
            "the distinct runs one after another, train() alone (headless) / 1.3 × that + 15 s",
            "-" if headless_s is None else f"{headless_s:.1f} s / {1.3 * headless_s + 15:.1f} s",
        ),
        (
            "runs trained (training processes seen, every 10 ms) / distinct runs asked",
            f"{len(sampler.trained)} / {len({r.cfg for r in results})}",
        ),
        ("most runs training at once (training processes, same samples)", str(sampler.most_training)),
        (
            "server process CPU (Streamlit: pages and redraws), share of one core",
            f"{server_cpu_s:.0f} s, {server_cpu_s / max(wall_s, 1e-9):.0%}",
        ),
        (
            "the test's own clients (this process, any Chromium), first Train to last end: CPU, share",
            browsers,
        ),
        ("whole load test", f"{wall_s:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"\nnnexplore load test · {os.cpu_count()} CPUs")
    print(f"| {'measure':<{width}} | result")
    print(f"|{'-' * (width + 2)}|-------")
    for name, value in rows:
        print(f"| {name:<{width}} | {value}")
    problems = [
        r
        for r in results
        if r.state != "done" or r.exceptions or r.records_lost or r.problem or r.disconnected
    ]
    for r in problems:
        detail = r.problem or r.final_text
        counts = f", records {r.records}/{r.expected}" if r.expected is not None else ""
        print(
            f"session {r.index} ({r.cfg.dataset}): {r.state}, queued {r.queued}, exceptions {r.exceptions}, "
            f"lost the server {r.disconnected}{counts}. {detail}",
            file=sys.stderr,
        )
    ok = len(finished) == len(results) and exceptions == 0 and lost == 0 and unchecked == 0
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.loadtest``: many browser sessions press Train at once."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.loadtest",
        description="A whole class presses Train at once (--client browser needs chromium and Playwright).",
    )
    parser.add_argument("--sessions", type=int, default=30, help="learners' sessions (default 30)")
    parser.add_argument("--mnist", type=int, default=5, help="how many of them train on MNIST (default 5)")
    parser.add_argument("--slots", type=int, default=1, help="training slots of the server (default 1)")
    parser.add_argument(
        "--app-cores",
        type=int,
        default=1,
        help="cores for the app (server and training processes), the clients get the rest; all of them "
        "share every core when none is left (default 1, as on a Cloud box)",
    )
    parser.add_argument(
        "--links",
        type=int,
        default=0,
        help="a worksheet: the sessions open this many shared links in turn, --mnist of them on MNIST "
        "(default 0: every session its own run)",
    )
    parser.add_argument(
        "--client",
        choices=("protocol", "browser"),
        default="protocol",
        help="protocol: each session speaks Streamlit's websocket protocol from Python and draws "
        "nothing (the app's cost alone); browser: one headless Chromium page per session (default protocol)",
    )
    args = parser.parse_args(argv)
    return run_load_test(
        sessions=args.sessions,
        mnist_sessions=args.mnist,
        slots=args.slots,
        links=args.links,
        client=args.client,
        app_cores=args.app_cores,
    )


if __name__ == "__main__":
    sys.exit(main())
