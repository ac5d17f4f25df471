"""How many pages of this server show live charts, or wait in the queue: the redraw budget is
shared among them.

Every page that draws runs live polls the server: its status lines a few times a
second and its charts once a second. On a one-core box the server's core is also
the training core, so thirty live pages polling at one page's pace would take
the core from training. Each page therefore notes itself here at every full run
and polls at a pace set by how many pages are live: the charts of all pages
together stay within about DRAW_SHARE of a core, the status lines within
STATUS_SHARE. Pages whose runs wait in the queue are counted apart (another
LivePages) and poll within QUEUED_SHARE.
"""

from __future__ import annotations

import threading
import time

#: A page counts as live for this long after it last drew live (a few chart ticks, a heartbeat).
WINDOW_S = 10.0
#: One status-line tick of one page costs about 10 ms of server time (measured with 4 runs):
#: 30 pages at 2 ticks a second would take 60% of a core. Together they get STATUS_SHARE.
STATUS_TICK_S = 0.01
STATUS_SHARE = 0.15
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


def status_interval(live: int, base: float) -> float:
    """Seconds between a page's status ticks with ``live`` pages live: ``base`` alone, slower
    as more pages share STATUS_SHARE of the core."""
    return max(base, live * STATUS_TICK_S / STATUS_SHARE)


def chart_interval(live: int, base: float, tick_budget: float, share: float) -> float:
    """Seconds between a page's chart ticks: each costs at most about ``tick_budget``, and all
    ``live`` pages together get ``share`` of the core (``base`` at the least)."""
    return max(base, live * tick_budget / share)


def queued_interval(waiting: int) -> float:
    """Seconds between the polls of a page whose runs wait in the queue, with ``waiting`` such
    pages: QUEUED_FASTEST_S for a few, slower as more share QUEUED_SHARE of the core."""
    return min(QUEUED_SLOWEST_S, max(QUEUED_FASTEST_S, waiting * QUEUED_TICK_S / QUEUED_SHARE))
