"""The chart cache: a live tick rebuilds the longest-waiting charts within its budget, in turn;
a finished page rebuilds them all."""

from __future__ import annotations

import threading

from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.runs.job import DONE, RUNNING, Job

#: The page's run, shared by reference (AppTest copies what goes through session_state).
JOB = Job(RunConfig(), "s", "", threading.Lock())
BUILT: list[int] = []


def _page() -> None:
    import time

    import altair as alt
    import pandas as pd
    from test_chart_cache import BUILT as built
    from test_chart_cache import JOB

    from nnexplore.ui import chart_cache

    chart_cache.CHART_REFRESH_S, chart_cache.DRAW_SHARE = 0.0, 1.0  # every test run is a due tick
    cache = chart_cache.ChartCache([JOB], "t")
    for i in range(5):

        def build(i=i) -> alt.Chart:
            time.sleep(0.1)  # a chart that costs 100 ms: one fits a tick's 150 ms budget
            built.append(i)
            return alt.Chart(pd.DataFrame({"x": [i]})).mark_point().encode(x="x")

        cache.show(f"chart {i}", build)
    cache.close()


def test_live_ticks_rebuild_the_longest_waiting_charts_in_turn_and_the_end_rebuilds_all():
    JOB.status = RUNNING
    at = AppTest.from_function(_page, default_timeout=30)
    at.run()
    assert BUILT == [0, 1, 2, 3, 4]  # first draw: nothing to send instead
    turns = []
    for step in range(5):
        JOB.records.append({"step": step})  # new records: the charts are out of date
        BUILT.clear()
        at.run()
        assert not at.exception
        turns.append(list(BUILT))
        assert len(at.get("vega_lite_chart")) == 5  # every chart is still on the page
    assert all(len(t) == 1 for t in turns), turns  # one 100 ms chart per 150 ms tick
    assert sorted(i for t in turns for i in t) == [0, 1, 2, 3, 4]  # each took its turn once

    BUILT.clear()
    at.run()  # no new records: nothing to rebuild
    assert BUILT == []

    JOB.status = DONE
    JOB.records.append({"step": 99})
    at.run()
    assert sorted(BUILT) == [0, 1, 2, 3, 4]  # the final page is exact
