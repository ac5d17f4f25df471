"""Several learners press Train at once on a server with one training slot.

A small version of the classroom load test (python -m devtools.loadtest): the
runs must queue, each page must say it is waiting, and then every run must
finish with all its records and no page may show an exception.
"""

from __future__ import annotations

import pytest
from conftest import StreamlitServer

from devtools.load_pages import drive_sessions
from devtools.loadtest import toy_configs

pytestmark = pytest.mark.browser

SESSIONS = 4


@pytest.fixture(scope="module")
def one_slot_server():
    srv = StreamlitServer({"NNEXPLORE_SLOTS": "1"})
    yield srv
    srv.stop()


def test_concurrent_sessions_queue_then_all_finish(browser, one_slot_server):
    # about 2,000 steps each: a run lasts long enough that the pages behind it see the queue
    cfgs = [cfg.replace(epochs=20, n_samples=4000) for cfg in toy_configs(SESSIONS)]
    # A guard against a hang, not a speed target (those are the load test's): the four Chromium
    # pages share the cores with the server, so on a slow machine the last page takes a while.
    results = drive_sessions(browser, one_slot_server.url, cfgs, timeout_s=120)
    summary = [(r.index, r.state, r.queued, r.exceptions, r.records, r.expected, r.problem) for r in results]
    assert all(r.state == "done" for r in results), summary
    assert any(r.queued for r in results), f"no page said it was waiting for a slot: {summary}"
    assert all(r.exceptions == 0 for r in results), summary
    assert all(r.records == r.expected for r in results), summary
