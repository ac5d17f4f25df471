"""Chart specs kept between redraws, so a live page spends little of the server's time drawing.

Building an Altair chart and turning it into a spec costs 10 to 60 ms of Python
per chart, and every millisecond a page spends holding the GIL is taken from
training. A page with four runs pictured side by side has two dozen charts
(0.9 to 1.3 s to rebuild them all on this project's machine), so a live tick
never rebuilds them all:

* specs are rebuilt only when new records or snapshots arrived, and at most
  once per CHART_REFRESH_S (nnexplore.ui.live.pace);
* a tick rebuilds the charts that have waited longest, until their measured
  build times add up to TICK_BUDGET_S; the others are sent again as they were
  (cheap, and the browser sees the same chart: no flicker). They take their turn
  on the next ticks, so each chart is at most a few seconds behind;
* once every run has ended, everything is rebuilt once: the final page is exact.

A chart never built before is built within the same budget: while runs
train, the first tick builds the first charts of the page part and shows a
line of text in place of the others, and the next ticks build those first. A
toy run often ends within a second, so a first live draw that built every
chart would have done it twice (measured: 0.8 s of a toy page's 1.5 s).
Once every run has ended, every chart is built, unless another page already
drew the same finished runs (or is drawing them: it is waited for): then its spec
comes from nnexplore.ui.live.shared.

A spec keeps its data as Arrow bytes (``to_spec``), the form Streamlit sends
to the browser: Altair's own JSON rows would be converted to Arrow again on
every send (measured with devtools/bench_draw: a quarter of a full draw).

The paces are nnexplore.ui.live.pace's; a part's cache lives in the tab's
PageState (nnexplore.ui.page_state.ChartCacheState).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import altair as alt
import streamlit as st
from streamlit import dataframe_util
from streamlit.elements import vega_charts

from nnexplore.runs import Job
from nnexplore.ui.live import pace
from nnexplore.ui.live.shared import job_names, normalise, part_key
from nnexplore.ui.page_state import page_state
from nnexplore.ui.state import shared_charts

#: Altair's data transformer is one global setting: Streamlit's st.altair_chart switches it
#: under this lock, so a spec built here must hold the same lock.
_ALTAIR_LOCK: Any = getattr(vega_charts, "_altair_globals_lock", None) or threading.Lock()


def _to_arrow(data: Any, datasets: dict[str, bytes]) -> dict[str, str]:
    """Altair data transformer: the table as Arrow bytes in ``datasets``, named by its hash."""
    table = dataframe_util.convert_anything_to_arrow_bytes(data)
    name = hashlib.sha1(table).hexdigest()
    datasets[name] = table
    return {"name": name}


alt.data_transformers.register("nnexplore_arrow", _to_arrow)


#: Shown where a live chart waits for its first build: a line of text, nothing for the server or
#: the browser to compute.
PLACEHOLDER = {
    "data": {"values": [{"text": "This chart is drawn in a moment."}]},
    "mark": {"type": "text", "color": "gray", "fontSize": 13},
    "encoding": {"text": {"field": "text", "type": "nominal"}},
    "height": 60,
}


def to_spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec, its tables as Arrow bytes under ``datasets`` (st.vega_lite_chart
    sends those as they are)."""
    datasets: dict[str, bytes] = {}
    with _ALTAIR_LOCK, alt.data_transformers.enable("nnexplore_arrow", datasets=datasets):
        spec = chart.to_dict(validate=False)
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


class ChartCache:
    """One page part's chart specs: ``show(slot, build)`` draws a slot, rebuilt when its turn comes."""

    def __init__(self, jobs: Sequence[Job], key: str, labels: Sequence[str] | None = None) -> None:
        """``labels``: the runs' names on the page; without them nothing is shared with other pages."""
        self.state = page_state().chart_cache(key)
        sig = tuple((j.id, len(j.records), (j.view or {}).get("step"), j.status) for j in jobs)
        now = time.monotonic()
        self.finished = not any(job.is_active for job in jobs)
        self.due = self.finished or now >= self.state.next
        self.rebuild = sig != self.state.sig and self.due
        if self.rebuild:
            self.state.sig, self.state.fresh = sig, set()
        self.allowed = self._turns()
        self.shown: set[str] = set()
        self.started = now
        self.spent = 0.0  # build time of this tick
        self.waiting = 0  # slots this tick showed a placeholder for
        # A finished page part drawn anew: its charts may already exist, drawn for another page.
        self.names = job_names(jobs)
        self.shared_key = (
            part_key(jobs, labels, key, st.session_state)
            if self.rebuild and self.finished and labels
            else None
        )
        self.shared, self.claimed = shared_charts().claim(self.shared_key) if self.shared_key else ({}, False)
        self.new_shared = False

    def _turns(self) -> set[str] | None:
        """The known slots this tick may rebuild (None: all), the longest-waiting first, within the
        budget; none while charts never built wait for their first build (they go first)."""
        if not self.rebuild or self.finished:
            return None
        if self.state.waiting:
            return set()
        built, cost = self.state.built, self.state.cost
        allowed: set[str] = set()
        spent = 0.0
        for slot in sorted(built, key=built.get):
            if allowed and spent + cost.get(slot, 0.0) > pace.TICK_BUDGET_S:
                break
            allowed.add(slot)
            spent += cost.get(slot, 0.0)
        return allowed

    def show(self, slot: str, build: Callable[[], alt.TopLevelMixin]) -> None:
        specs = self.state.specs
        self.shown.add(slot)
        if slot not in specs:
            # Never built: built now if the page is final or this tick has budget left (the
            # first chart of a tick always), else a placeholder until a later tick.
            if not (self.finished or (self.due and self.spent < pace.TICK_BUDGET_S)):
                self.waiting += 1
                st.vega_lite_chart(PLACEHOLDER, width="stretch")
                return
        elif not (
            self.rebuild and slot not in self.state.fresh and (self.allowed is None or slot in self.allowed)
        ):
            st.vega_lite_chart(specs[slot], width="stretch")
            return
        started = time.perf_counter()
        spec = self.shared.get(normalise(slot, self.names)) if self.shared else None
        if spec is None:
            spec = to_spec(build())
            # Fit the width to the column but keep the plot's own height: Streamlit's default
            # ("fit") squeezes the plot to make room for the title and legend.
            spec.setdefault("autosize", {"type": "fit-x", "contains": "padding"})
            self.new_shared = self.shared_key is not None
        specs[slot] = spec
        cost = time.perf_counter() - started
        self.spent += cost
        self.state.cost[slot] = cost
        self.state.built[slot] = time.monotonic()
        self.state.fresh.add(slot)
        st.vega_lite_chart(spec, width="stretch")

    def release(self) -> None:
        """Let go of this page part's claim (nnexplore.ui.live.shared), if this page holds it:
        called by ``close``, and where a draw is cut short, so that no page waits for it."""
        if self.claimed:
            self.claimed = False
            shared_charts().release(self.shared_key)

    def close(self) -> None:
        """End of the tick: pace the next rebuild, forget the charts this tick did not show, and
        share a finished page part's new charts with the other pages."""
        if self.new_shared:
            specs = self.state.specs
            shown = {normalise(slot, self.names): specs[slot] for slot in self.shown if slot in specs}
            shared_charts().put(self.shared_key, {**self.shared, **shown})
        self.release()
        if self.spent:
            cost = time.monotonic() - self.started
            self.state.next = self.started + max(pace.CHART_REFRESH_S, cost / pace.DRAW_SHARE)
        self.state.waiting = self.waiting
        for table in (self.state.specs, self.state.built, self.state.cost):
            for slot in [s for s in table if s not in self.shown]:
                del table[slot]
