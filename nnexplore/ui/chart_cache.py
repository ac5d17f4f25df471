"""Chart specs kept between redraws, so a live page spends little of the server's time drawing.

Building an Altair chart and turning it into a spec costs tens of milliseconds
of Python per chart, and every millisecond the page spends holding the GIL is
taken from training. So specs are rebuilt only when new records arrived *and*
the last rebuild is far enough behind that drawing uses at most DRAW_SHARE of
the time; in between, the cached specs are sent again (cheap, and the browser
sees the same chart: no flicker).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import altair as alt
import streamlit as st

from nnexplore.runs import Job

CHART_REFRESH_S = 1.0
DRAW_SHARE = 0.15  # at most this share of the time goes to rebuilding charts while runs train


class ChartCache:
    """One page part's chart specs: ``show(slot, build)`` draws a slot, rebuilt only when due."""

    def __init__(self, jobs: Sequence[Job], key: str) -> None:
        self.state = st.session_state.setdefault("chart_cache", {}).setdefault(
            key, {"sig": None, "next": 0.0, "specs": {}}
        )
        sig = tuple((j.id, len(j.records), (j.view or {}).get("step"), j.status) for j in jobs)
        now = time.monotonic()
        finished = not any(job.is_active for job in jobs)
        self.rebuild = sig != self.state["sig"] and (finished or now >= self.state["next"])
        if self.rebuild:
            self.state.update(sig=sig, specs={})
        self.started = now

    def show(self, slot: str, build: Callable[[], alt.TopLevelMixin]) -> None:
        specs = self.state["specs"]
        if slot not in specs:
            spec = build().to_dict(validate=False)
            # Fit the width to the column but keep the plot's own height: Streamlit's default
            # ("fit") squeezes the plot to make room for the title and legend.
            spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
            specs[slot] = spec
        st.vega_lite_chart(specs[slot], width="stretch")

    def close(self) -> None:
        if self.rebuild:
            cost = time.monotonic() - self.started
            self.state["next"] = self.started + max(CHART_REFRESH_S, cost / DRAW_SHARE)
