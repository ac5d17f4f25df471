"""Every interval and budget of a live page, in one place: how often it polls and redraws.

A page that shows runs polls the server: the heartbeat keeps its runs alive,
its status lines refresh a few times a second, its charts once a second, and
a page whose runs wait in the queue polls for its place. On a one-core box the
server's core is also the training core, so thirty pages polling at one page's
pace would take the core from training. Each page therefore notes itself in a
``LivePages`` count at every tick and polls at a pace set by how many pages
are live: the charts of all pages together stay within about DRAW_SHARE of a
core, the status lines within STATUS_SHARE, waiting pages within QUEUED_SHARE.
"""

from __future__ import annotations

import threading
import time

#: Seconds between heartbeats of an open page whose browser has runs training or waiting
#: (dashboard.py): a closed tab stops sending them, and nnexplore.runs.stale stops a run nobody
#: has asked about for 30 s.
HEARTBEAT_S = 5.0
#: Seconds between heartbeats of a page with no run training or waiting: it only repairs a page
#: a lost rerun left unfinished (nnexplore.ui.live.repair), which a learner who clicks again
#: repairs too. Each heartbeat makes the browser redraw the page's tree, about 0.1-0.2 s of its
#: CPU for a finished card: an idle card took 1.8% of a core beating every 20 s, 1.4% every 30 s,
#: against 0.5% for a blank Streamlit page (devtools.browser_cost, 2026-12-08).
IDLE_HEARTBEAT_S = 60.0

#: Train waits this long for a run's first record, so that the same script run draws it
#: (nnexplore.ui.actions.start_run); a run that ends within it is drawn once, finished.
FIRST_RECORD_WAIT_S = 0.8
#: A run with less than this to go is not worth drawing live (measured from its own records):
#: it would be drawn live for a moment and then again once it ended.
ENDS_SOON_S = 2.0

#: A live page's status lines refresh this often when few pages are live.
STATUS_REFRESH_S = 0.5
#: One status-line tick of one page costs about 10 ms of server time (measured with 4 runs):
#: 30 pages at 2 ticks a second would take 60% of a core. Together they get STATUS_SHARE.
STATUS_TICK_S = 0.01
STATUS_SHARE = 0.15

#: A live page's charts are rebuilt at most this often (nnexplore.ui.live.specs).
CHART_REFRESH_S = 1.0
#: Build time one chart tick may spend: 15% of a refresh period, so drawing takes at most about
#: 15% of a core while runs train (plus one chart, when a single chart is slower than that).
TICK_BUDGET_S = 0.15
DRAW_SHARE = TICK_BUDGET_S / CHART_REFRESH_S

#: One poll of a waiting page costs about 2.3 ms of server time (devtools/page_cost.py, server on
#: one core: a waiting page took 0.54% of the core polling every 1 s, 0.36% every 5 s). Waiting
#: pages together get QUEUED_SHARE: 30 of them poll every 1.4 s, a few every QUEUED_FASTEST_S.
QUEUED_TICK_S = 0.0023
QUEUED_SHARE = 0.05
#: A waiting page polls at least this often (its place and wait change only when a run ends) and at
#: most every QUEUED_FASTEST_S: on a fast box a toy run takes a tenth of a second, and a page that
#: polled every 5 s left its learner waiting seconds for a run long done.
QUEUED_SLOWEST_S = 5.0
QUEUED_FASTEST_S = 1.0

#: A page counts as live for this long after it last drew live (a few chart ticks, a heartbeat).
WINDOW_S = 10.0


class LivePages:
    """Process-wide: which pages drew live lately (page keys are opaque strings)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def note(self, page: str) -> int:
        """``page`` draws live now; returns how many pages are live, this one included."""
        now = time.monotonic()
        with self._lock:
            self._seen[page] = now
            for key in [k for k, t in self._seen.items() if now - t > WINDOW_S]:
                del self._seen[key]
            return len(self._seen)


def status_interval(live: int) -> float:
    """Seconds between a page's status ticks with ``live`` pages live: STATUS_REFRESH_S alone,
    slower as more pages share STATUS_SHARE of the core."""
    return max(STATUS_REFRESH_S, live * STATUS_TICK_S / STATUS_SHARE)


def chart_interval(live: int) -> float:
    """Seconds between a page's chart ticks: each costs at most about TICK_BUDGET_S, and all
    ``live`` pages together get DRAW_SHARE of the core (CHART_REFRESH_S at the least)."""
    return max(CHART_REFRESH_S, live * TICK_BUDGET_S / DRAW_SHARE)


def queued_interval(waiting: int) -> float:
    """Seconds between the polls of a page whose runs wait in the queue, with ``waiting`` such
    pages: QUEUED_FASTEST_S for a few, slower as more share QUEUED_SHARE of the core."""
    return min(QUEUED_SLOWEST_S, max(QUEUED_FASTEST_S, waiting * QUEUED_TICK_S / QUEUED_SHARE))


def heartbeat_interval(active: bool) -> float:
    """Seconds between a page's heartbeats: HEARTBEAT_S while its browser has a run training or
    waiting (``active``), IDLE_HEARTBEAT_S when it has none."""
    return HEARTBEAT_S if active else IDLE_HEARTBEAT_S
