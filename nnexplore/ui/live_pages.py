"""How many pages of this server show live charts: the redraw budget is shared among them.

Every page that draws runs live polls the server: its status lines a few times a
second and its charts once a second. On a one-core box the server's core is also
the training core, so thirty live pages polling at one page's pace would take
the core from training. Each page therefore notes itself here at every full run
and polls at a pace set by how many pages are live: the charts of all pages
together stay within about DRAW_SHARE of a core, the status lines within
STATUS_SHARE.
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
