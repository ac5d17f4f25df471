"""The chart cache: a live tick builds charts within its budget (new ones first, shown as a line
of text until then; then the longest-waiting), in turn; a finished page rebuilds them all."""

from __future__ import annotations

import json
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
    from test_live_specs import BUILT as built
    from test_live_specs import JOB

    from nnexplore.ui.live import pace, specs

    pace.CHART_REFRESH_S, pace.DRAW_SHARE = 0.0, 1.0  # every test run is a due tick
    cache = specs.ChartCache([JOB], "t")
    for i in range(5):

        def build(i=i) -> alt.Chart:
            time.sleep(0.1)  # a chart that costs 100 ms: one fits a tick's 150 ms budget
            built.append(i)
            return alt.Chart(pd.DataFrame({"x": [i]})).mark_point().encode(x="x")

        cache.show(f"chart {i}", build)
    cache.close()


def _placeholders(at: AppTest) -> int:
    """Charts on the page that are the placeholder line of text (the test's charts are points)."""
    specs = [json.loads(chart.proto.spec) for chart in at.get("vega_lite_chart")]
    return sum(spec["mark"]["type"] == "text" for spec in specs)


def test_live_ticks_rebuild_the_longest_waiting_charts_in_turn_and_the_end_rebuilds_all():
    JOB.status = RUNNING
    at = AppTest.from_function(_page, default_timeout=30)
    at.run()
    # First live draw: two 100 ms charts fit the 150 ms budget (the second starts at 100 ms);
    # the other three are a line of text for now, and are built first on the next ticks.
    assert BUILT == [0, 1]
    assert len(at.get("vega_lite_chart")) == 5 and _placeholders(at) == 3
    for expected, waiting in (([2, 3], 1), ([4], 0)):
        BUILT.clear()
        at.run()  # no new records: only the charts never built are built
        assert BUILT == expected and _placeholders(at) == waiting
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
