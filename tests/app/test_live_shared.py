"""Finished page parts' charts are built once per server and sent to every page showing the same
runs; anything that changes what the charts show gives another name."""

from __future__ import annotations

import threading
import time

import pytest
from streamlit.testing.v1 import AppTest

from nnexplore.config import RunConfig
from nnexplore.lru import LRU
from nnexplore.runs.job import DONE, RUNNING, STOPPED, Job
from nnexplore.ui.live.shared import part_key

#: The runs the test page shows, set per test (AppTest copies what goes through session_state).
PAGE_JOBS: list[Job] = []
BUILT: list[str] = []


def finished(cfg: RunConfig = RunConfig(), records: int = 3, status: str = DONE) -> Job:
    """A finished run as a learner's page holds it: its own id, the computation's records."""
    job = Job(cfg, "learner", "", threading.Lock())
    job.records = [{"step": i, "elapsed_s": 1.5} for i in range(records)]
    job.status = status
    return job


def _page() -> None:
    import altair as alt
    import pandas as pd
    import streamlit as st
    from test_live_shared import BUILT as built
    from test_live_shared import PAGE_JOBS as jobs

    from nnexplore.ui.live import specs

    cache = specs.ChartCache(jobs, "part", [f"run {i}" for i in range(len(jobs))])
    for i, job in enumerate(jobs):

        def build(i=i) -> alt.Chart:
            built.append(f"chart {i}")
            return alt.Chart(pd.DataFrame({"x": [i, i + 1]})).mark_point().encode(x="x")

        cache.show(f"chart {job.id}", build)  # slot names carry the learner's job ids
    cache.close()
    st.session_state["drawn"] = True


@pytest.fixture(autouse=True)
def _empty_shared_charts():
    from nnexplore.ui.state import shared_charts

    shared_charts.clear()
    BUILT.clear()
    yield
    PAGE_JOBS.clear()


def _open_page() -> AppTest:
    at = AppTest.from_function(_page, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def test_a_second_page_showing_the_same_finished_runs_builds_no_chart():
    PAGE_JOBS[:] = [finished(), finished(RunConfig(seed=1))]
    first = _open_page()
    assert BUILT == ["chart 0", "chart 1"]
    PAGE_JOBS[:] = [finished(), finished(RunConfig(seed=1))]  # another learner: other job ids
    BUILT.clear()
    second = _open_page()
    assert BUILT == []
    assert [c.spec for c in second.get("vega_lite_chart")] == [c.spec for c in first.get("vega_lite_chart")]


def test_another_seed_or_label_or_a_stop_elsewhere_is_another_page_part():
    PAGE_JOBS[:] = [finished()]
    _open_page()
    for jobs in ([finished(RunConfig(seed=7))], [finished(records=2, status=STOPPED)]):
        PAGE_JOBS[:] = jobs
        BUILT.clear()
        _open_page()
        assert BUILT == ["chart 0"], jobs


def test_runs_still_training_are_never_shared():
    job = finished()
    job.status = RUNNING
    PAGE_JOBS[:] = [job]
    _open_page()
    BUILT.clear()
    other = finished()
    other.status = RUNNING
    PAGE_JOBS[:] = [other]
    _open_page()
    assert BUILT == ["chart 0"]


def test_part_key_names_runs_by_content_and_widgets_by_place_not_by_job_id():
    a, b = finished(), finished()
    assert a.id != b.id
    assert part_key([a], ["x"], "part", {}) == part_key([b], ["x"], "part", {})
    assert part_key([a], ["x"], "part", {}) != part_key([a], ["y"], "part", {})
    # a section widget whose key and value hold the job id: the same choice on both pages
    choice_a = {f"part_units_layer_{a.id}": 1, "part_units_run": a.id, "other_widget": 5}
    choice_b = {f"part_units_layer_{b.id}": 1, "part_units_run": b.id}
    assert part_key([a], ["x"], "part", choice_a) == part_key([b], ["x"], "part", choice_b)
    assert part_key([a], ["x"], "part", choice_a) != part_key(
        [b], ["x"], "part", {**choice_b, "part_units_run": 0}
    )
    assert part_key([a], ["x"], "part", {}) != part_key([a], ["x"], "other", {})


def test_runs_without_a_fingerprint_are_never_shared():
    job = finished()
    job.cfg = object()  # a test's knob: no to_dict, no fingerprint
    assert part_key([job], ["x"], "part", {}) is None


def test_the_lru_drops_the_least_recently_used_beyond_either_limit():
    lru: LRU[str] = LRU(max_items=2, max_bytes=100)
    lru.put("a", "A", 10)
    lru.put("b", "B", 10)
    assert lru.get("a") == "A"  # a is now the most recent
    lru.put("c", "C", 10)
    assert ("a" in lru, "b" in lru, "c" in lru) == (True, False, True)
    lru.put("d", "D", 85)  # three entries: the oldest, a, goes
    assert ("a" in lru, "c" in lru, "d" in lru) == (False, True, True)
    lru.put("e", "E", 50)  # over 100 bytes until only e is left
    assert len(lru) == 1 and lru.get("e") == "E"
    assert not lru.put("huge", "H", 101)
    assert "huge" not in lru and lru.size_mb == pytest.approx(50 / 2**20)


def test_pages_asking_for_a_part_being_built_wait_for_it_instead_of_building_it_too():
    from nnexplore.ui.live.shared import SharedCharts

    charts = SharedCharts()
    assert charts.claim("part") == ({}, True)  # the first page builds it
    seen: list[tuple[dict, bool]] = []
    waiter = threading.Thread(target=lambda: seen.append(charts.claim("part", wait_s=30)))
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive() and not seen  # waits, does not build
    charts.put("part", {"chart": {"mark": "line"}})
    waiter.join(5)
    assert seen == [({"chart": {"mark": "line"}}, False)]
    assert charts.claim("part") == ({"chart": {"mark": "line"}}, False)  # kept: nobody waits


def test_a_claim_given_up_or_left_too_long_is_not_waited_for_again():
    from nnexplore.ui.live.shared import SharedCharts

    charts = SharedCharts()
    assert charts.claim("cut short") == ({}, True)
    charts.release("cut short")  # its draw was interrupted: the next page builds it
    assert charts.claim("cut short") == ({}, True)
    assert charts.claim("left", wait_s=0.0) == ({}, True)
    time.sleep(0.01)
    assert charts.claim("left", wait_s=0.0) == ({}, True)  # its builder took longer than wait_s
