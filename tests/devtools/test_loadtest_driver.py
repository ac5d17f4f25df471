"""devtools.load_pages.drive: the load test's steps over any Page, here scripted ones (no server)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from devtools import load_pages
from devtools.load_pages import PageState, drive
from devtools.loadtest import toy_configs

DONE = "**ReLU · sigmoid · BCE**: done, test accuracy 90.0% in 1.0 s."


class ScriptedPage:
    """A page that shows ``shows`` in turn, one list of status lines per look after Train."""

    def __init__(self, shows: list[list[str]], times_final_page: bool = False, **faults: bool) -> None:
        self.shows = shows
        self.times_final_page = times_final_page
        self.faults = faults
        self.looks = 0
        self.presses = 0
        self.closed = False
        self.status_at: float | None = None

    def open(self, url: str, query: str) -> None:
        assert url.startswith("http://app") and "dataset=" in query
        self.url = url

    def wait_drawn(self) -> None:
        if self.faults.get("never_drawn"):
            raise TimeoutError("no Train button")

    def press_train(self) -> None:
        self.presses += 1

    def state(self) -> PageState:
        if self.faults.get("crashes"):
            raise RuntimeError("Target page, context or browser has been closed")
        statuses = self.shows[min(self.looks, len(self.shows) - 1)]
        self.looks += 1
        if statuses and self.status_at is None:
            self.status_at = time.time()
        return PageState(
            statuses,
            exceptions=0,
            disconnected=bool(self.faults.get("cut")),
            status_at=self.status_at,
            ended_at=time.time() if any(": done," in text for text in statuses) else None,
            closed=bool(self.faults.get("cut")),
            records_ready=self.looks > len(self.shows),
        )

    def download_records(self) -> str:
        return "step,loss\n" + "".join(f"{i},0.5\n" for i in range(3))

    def screenshot(self, path: Path) -> bool:
        return False

    def close(self) -> None:
        self.closed = True


def test_every_page_is_driven_to_its_end_and_each_fault_is_a_finding(monkeypatch):
    monkeypatch.setattr(load_pages, "expected_record_count", lambda cfg: 3)
    monkeypatch.setattr(load_pages, "CLICK_CHECK_S", 0.05)
    pages = [
        ScriptedPage([["Run 1: waiting for a free training slot (1st in line)"], ["training 50%"], [DONE]]),
        ScriptedPage([[], [], [], [], [], [DONE]], times_final_page=True),  # the first press was lost
        ScriptedPage([[]], never_drawn=True),
        ScriptedPage([["training 10%"]], crashes=True),
        ScriptedPage([["training 10%"]], cut=True),
    ]
    calls: list[str] = []
    log = io.StringIO()
    results = drive(
        pages,
        "http://app/",
        toy_configs(len(pages)),
        timeout_s=10,
        poll_s=0.02,
        log=log,
        before_train=lambda: calls.append("before"),
        after_train=lambda: calls.append("after"),
    )
    done, lost_click, never_drawn, crashed, cut = results
    assert (done.state, done.queued, done.records, done.expected, done.records_lost) == (
        "done",
        True,
        3,
        3,
        0,
    )
    assert done.first_status_s is not None and done.train_to_done_s is not None
    assert done.final_page_s is None  # this page does not tell when its finished page is there
    assert (lost_click.state, lost_click.pressed_again, pages[1].presses) == ("done", True, 2)
    assert lost_click.final_page_s is not None
    assert (never_drawn.state, never_drawn.problem) == ("broken", "page did not load: no Train button")
    assert pages[2].presses == 0
    assert crashed.state == "broken" and crashed.problem.startswith("page stopped answering: Target page")
    assert (cut.state, cut.disconnected, cut.problem) == (
        "broken",
        True,
        "the server closed the page's connection",
    )
    assert calls == ["before", "after"]
    assert all(page.closed for page in pages)
    assert "pressing it again" in log.getvalue()


def test_a_page_still_running_at_the_deadline_is_a_timeout_after_on_stuck(monkeypatch):
    stuck: list[bool] = []
    results = drive(
        [ScriptedPage([["training 10%"]])],
        "http://app/",
        toy_configs(1),
        timeout_s=0.2,
        poll_s=0.02,
        on_stuck=lambda: stuck.append(True),
    )
    assert results[0].state == "timeout" and results[0].problem == "still 'training 10%' after 0 s"
    assert results[0].records is None and stuck == [True]


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("**ReLU**: stopped.", "stopped"),
        ("**ReLU**: diverged.", "diverged"),
        ("**ReLU**: could not run.", "error"),
    ],
)
def test_a_run_that_ends_otherwise_is_not_downloaded(status, state):
    (result,) = drive([ScriptedPage([[status]])], "http://app/", toy_configs(1), timeout_s=5, poll_s=0.01)
    assert (result.state, result.final_text, result.expected, result.records) == (state, status, None, None)


def test_a_class_spread_over_several_servers_opens_them_in_turn():
    pages = [ScriptedPage([[DONE]]) for _ in range(5)]
    servers = ["http://app-a/", "http://app-b/"]
    results = drive(pages, servers, toy_configs(5), timeout_s=5, poll_s=0.01)
    assert [page.url for page in pages] == [servers[i % 2] for i in range(5)]
    assert [r.state for r in results] == ["done"] * 5
