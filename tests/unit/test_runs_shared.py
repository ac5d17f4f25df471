"""One computation per distinct run: learners asking for the same run share it, live or finished.

Runs train in the manager's run threads (tests/thread_runner.py) with the fake
train function of test_runs_manager.py, whose settings are a dict of knobs: there
the knob ``key`` names the run (``key_fn``), so a test says which runs are
the same. The real fingerprint, ``run_key`` of a RunConfig, is tested on its
own and through one run of each back end.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from fake_training import FakeTrain, fake_dataset, wait_until
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from thread_runner import ThreadRunner

from nnexplore.config import FIELDS, RunConfig
from nnexplore.runs import JobManager, ProcessRunner
from nnexplore.runs import store as store_module
from nnexplore.runs.job import JOINED, STORED
from nnexplore.runs.store import RunStore, run_key


class Counting:
    """Mixed into a runner: counts the computations it is asked to train."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.runs = 0

    def run(self, job, report):
        self.runs += 1
        return super().run(job, report)


class CountingThreadRunner(Counting, ThreadRunner):
    pass


def step_view(model, dataset, cfg, record):
    return {"step": record["step"]}


def frame_view(model, dataset, cfg, record):
    """A view with a timeline frame of ``cfg["frame_kb"]`` kB (default 1) at every ``cfg["frame_every"]``-th record."""
    view = {"step": record["step"]}
    if record["step"] % cfg.get("frame_every", 1) == 0:
        view["frame"] = {"step": record["step"], "pixels": np.zeros(cfg.get("frame_kb", 1) * 1024, np.uint8)}
    return view


@pytest.fixture
def make(fake: FakeTrain, managers: list[JobManager]):
    def _make(train_fn=fake, view_fn=step_view, **kwargs) -> JobManager:
        kwargs.setdefault("slots", 2)
        kwargs.setdefault("key_fn", lambda cfg: cfg.get("key"))
        kwargs.setdefault("store", RunStore(max_runs=10, max_mb=10))
        managers.append(JobManager(runner=CountingThreadRunner(train_fn, fake_dataset, view_fn), **kwargs))
        return managers[-1]

    return _make


def test_the_same_run_asked_for_while_it_trains_is_one_computation_joined_from_its_first_record(make):
    mgr = make()
    first = mgr.submit({"key": "k", "n": 40, "sleep": 0.01}, "alice", label="mine")
    assert wait_until(lambda: len(first.records) >= 3)
    second = mgr.submit({"key": "k", "n": 40, "sleep": 0.01}, "bob", label="yours")
    assert second.is_active and second.records[0]["step"] == 0  # the whole run so far, at once
    stats = mgr.stats()
    assert (stats["running"], stats["jobs"]) == (1, 2)
    assert wait_until(lambda: not first.is_active and not second.is_active)
    assert mgr.runner.runs == 1
    assert first.status == second.status == "done"
    assert second.records == first.records and len(first.records) == 40
    assert second.view == first.view == {"step": 39}
    assert (first.id != second.id, first.owner, second.owner) == (True, "alice", "bob")
    assert (first.label, second.label) == ("mine", "yours")
    assert (first.shared_from, second.shared_from) == ("", JOINED)  # the page tells the joiner


def test_timeline_frames_are_taken_off_the_view_and_shared_by_followers_and_the_store(make):
    mgr = make(view_fn=frame_view)
    cfg = {"key": "k", "n": 40, "sleep": 0.01, "frame_every": 2}
    first = mgr.submit(cfg, "alice")
    assert wait_until(lambda: len(first.timeline) >= 3)
    second = mgr.submit(cfg, "bob")  # joins live: the frames so far at once, then the new ones
    assert second.timeline[0]["step"] == 0
    assert wait_until(lambda: not first.is_active and not second.is_active)
    assert [f["step"] for f in first.timeline] == list(range(0, 40, 2))
    assert second.timeline == first.timeline and second.timeline[5] is first.timeline[5]
    assert first.view == {"step": 39} and "frame" not in first.view  # the last view had no frame
    assert first.timeline_since(17) == first.timeline[17:] and first.timeline_since(20) == []
    stored = mgr.submit(cfg, "carol")
    assert stored.shared_from == STORED and stored.status == "done"
    assert [f["step"] for f in stored.timeline] == list(range(0, 40, 2))
    assert all(a is b for a, b in zip(stored.timeline, first.timeline, strict=True))


def test_the_same_run_asked_for_after_it_ended_comes_back_whole_at_once(make):
    mgr = make()
    first = mgr.submit({"key": "k", "n": 20}, "alice")
    assert wait_until(lambda: not first.is_active)
    again = mgr.submit({"key": "k", "n": 20}, "bob")
    assert again.status == "done"  # no queue, no waiting: finished on return
    assert (first.shared_from, again.shared_from) == ("", STORED)
    assert again.records == first.records and again.view == first.view
    assert mgr.runner.runs == 1
    assert mgr.stats()["stored"] == 1
    assert mgr.queue_position(again.id) is None and mgr.estimate_wait_s(again.id) is None


def test_stopping_one_copy_leaves_the_other_training_to_the_end(make):
    mgr = make()
    cfg = {"key": "k", "n": 60, "sleep": 0.01}
    mine, yours = mgr.submit(cfg, "alice"), mgr.submit(cfg, "bob")
    assert wait_until(lambda: len(yours.records) >= 3)
    assert mgr.cancel(mine.id)
    assert mine.status == "stopped" and not mine.is_active  # at once: nothing to wait for
    kept = len(mine.records)
    assert wait_until(lambda: not yours.is_active)
    assert yours.status == "done" and len(yours.records) == 60
    assert len(mine.records) == kept and mine.records == yours.records[:kept]
    assert not mgr.cancel(mine.id)
    assert mgr.runner.runs == 1


def test_stopping_every_copy_cancels_the_computation_and_nothing_is_stored(make, fake: FakeTrain):
    mgr = make()
    cfg = {"key": "k", "n": 10_000, "sleep": 0.01}
    mine, yours = mgr.submit(cfg, "alice"), mgr.submit(cfg, "bob")
    assert wait_until(lambda: len(yours.records) >= 2)
    mgr.cancel(mine.id)
    mgr.cancel(yours.id)
    assert wait_until(lambda: not yours.is_active, timeout=1.0)
    assert (
        yours.status == "stopped" and yours.records[-1]["status"] == "stopped"
    )  # the last copy hears the end
    assert wait_until(lambda: fake.concurrent == 0)
    assert mgr.stats()["stored"] == 0
    fresh = mgr.submit(cfg, "carol")  # asked for again: trained again, from the start
    assert fresh.is_active
    assert wait_until(lambda: mgr.runner.runs == 2)
    mgr.cancel(fresh.id)


def test_a_run_asked_for_while_it_stops_is_trained_afresh(make):
    mgr = make(slots=1)
    gate = threading.Event()
    busy = mgr.submit({"gate": gate}, "someone")
    cfg = {"key": "k", "n": 3}
    stopped = mgr.submit(cfg, "alice")
    mgr.cancel(stopped.id)  # queued: gone at once
    again = mgr.submit(cfg, "bob")
    assert again.status == "queued" and stopped.status == "stopped"
    gate.set()
    assert wait_until(lambda: again.status == "done" and not busy.is_active)
    assert len(again.records) == 3


def test_a_follower_of_a_queued_run_waits_in_its_place(make):
    mgr = make(slots=1)
    gate = threading.Event()
    mgr.submit({"gate": gate}, "someone")
    other = mgr.submit({"key": "other"}, "someone")
    leader = mgr.submit({"key": "k"}, "alice")
    follower = mgr.submit({"key": "k"}, "bob")
    assert follower.status == "queued"
    assert [mgr.queue_position(j.id) for j in (other, leader, follower)] == [1, 2, 2]
    assert mgr.estimate_wait_s(follower.id) == mgr.estimate_wait_s(leader.id)
    stats = mgr.stats()
    assert (stats["queued"], stats["jobs"]) == (2, 4)
    mgr.cancel(leader.id)  # the follower keeps the place
    assert mgr.queue_position(follower.id) == 2 and follower.status == "queued"
    gate.set()
    assert wait_until(lambda: follower.status == "done")
    assert mgr.runner.runs == 3


def test_the_per_owner_limit_counts_followers_but_not_stored_runs(make):
    mgr = make(slots=1, max_per_session=1)
    done = mgr.submit({"key": "k", "n": 2}, "alice")
    assert wait_until(lambda: not done.is_active)
    gate = threading.Event()
    mgr.submit({"gate": gate, "key": "long"}, "alice")
    from nnexplore.runs import TooManyRuns

    with pytest.raises(TooManyRuns):
        mgr.submit({"gate": gate, "key": "long"}, "alice")  # following costs a slot's worth of watching
    assert mgr.submit({"key": "k", "n": 2}, "alice").status == "done"  # stored: costs nothing
    gate.set()


def test_forgetting_one_copy_keeps_the_other(make):
    mgr = make()
    cfg = {"key": "k", "n": 30, "sleep": 0.01}
    mine, yours = mgr.submit(cfg, "alice"), mgr.submit(cfg, "bob")
    assert wait_until(lambda: len(yours.records) >= 2)
    assert mgr.forget(mine.id)
    assert mgr.get(mine.id) is None
    assert wait_until(lambda: not yours.is_active)
    assert yours.status == "done" and len(yours.records) == 30
    assert mgr.get(yours.id) is yours


def test_a_copy_whose_page_went_stale_stops_alone(make):
    mgr = make(heartbeat_timeout=0.3)
    cfg = {"key": "k", "n": 10_000, "sleep": 0.01}
    gone, here = mgr.submit(cfg, "gone"), mgr.submit(cfg, "here")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.8:
        mgr.heartbeat(here.id)
        time.sleep(0.05)
    assert gone.status == "stopped" and here.status == "running"
    mgr.cancel(here.id)
    assert wait_until(lambda: not here.is_active)
    assert mgr.runner.runs == 1


def ending_train(cfg, dataset=None, stop=None, on_record=None):
    """Two records, the last ending as ``cfg["end"]`` says (``fail``: raises instead)."""
    for step, status in enumerate(("running", cfg["end"])):
        if status == "fail":
            raise ValueError("boom")
        record = {"step": step, "status": status}
        on_record("model", record)
        yield record


@pytest.mark.parametrize(("end", "status", "stored"), [("done", "done", 1), ("diverged", "diverged", 1)])
def test_a_finished_or_diverged_run_is_stored(make, end, status, stored):
    mgr = make(train_fn=ending_train)
    job = mgr.submit({"key": "k", "end": end}, "alice")
    assert wait_until(lambda: not job.is_active)
    assert job.status == status and mgr.stats()["stored"] == stored
    again = mgr.submit({"key": "k", "end": end}, "bob")
    assert again.status == status and again.records == job.records


def test_an_errored_run_is_not_stored(make):
    mgr = make(train_fn=ending_train)
    job = mgr.submit({"key": "k", "end": "fail"}, "alice")
    assert wait_until(lambda: not job.is_active)
    assert job.status == "error" and mgr.stats()["stored"] == 0
    again = mgr.submit({"key": "k", "end": "fail"}, "bob")
    assert wait_until(lambda: not again.is_active)
    assert mgr.runner.runs == 2


def test_runs_without_a_key_are_never_shared(make):
    mgr = make()
    jobs = [mgr.submit({"n": 3}, "alice") for _ in range(2)]
    assert wait_until(lambda: all(not j.is_active for j in jobs))
    assert mgr.runner.runs == 2 and mgr.stats()["stored"] == 0


# ------------------------------------------------------------------ the store


def test_the_store_drops_the_least_recently_used_beyond_its_run_limit():
    store = RunStore(max_runs=2, max_mb=1)
    store.put("a", "done", [{"step": 0}], None, 10)
    store.put("b", "done", [], None, 10)
    assert store.get("a") is not None  # a is now the most recently used
    store.put("c", "done", [], None, 10)
    assert ("a" in store, "b" in store, "c" in store) == (True, False, True)
    assert store.get("a").records == ({"step": 0},)
    assert store.get("b") is None and store.get(None) is None


def test_the_store_drops_the_least_recently_used_beyond_its_size_limit():
    mb = 1024 * 1024
    store = RunStore(max_runs=100, max_mb=1)
    store.put("a", "done", [], None, mb // 2)
    store.put("b", "done", [], None, mb // 4)
    store.get("a")
    store.put("c", "done", [], None, mb // 2)  # 1.25 MB in all: the oldest use (b) goes
    assert ("a" in store, "b" in store, "c" in store) == (True, False, True)
    assert store.size_mb == 1.0
    assert not store.put("huge", "done", [], None, 2 * mb)  # more than the whole store: not kept
    assert len(store) == 2
    store.put("a", "done", [], None, 10)  # stored again: counted once
    assert store.size_mb == pytest.approx(0.5 + 10 / mb)


def test_the_store_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("NNEXPLORE_STORE_RUNS", "7")
    monkeypatch.setenv("NNEXPLORE_STORE_MB", "0.5")
    store = RunStore()
    assert (store.max_items, store.max_bytes) == (7, 512 * 1024)
    monkeypatch.setenv("NNEXPLORE_STORE_RUNS", "lots")
    assert RunStore().max_items == store_module.STORE_RUNS


def test_the_manager_evicts_from_its_store_as_runs_finish(make):
    mgr = make(store=RunStore(max_runs=2, max_mb=10))
    for key in ("a", "b", "c"):
        job = mgr.submit({"key": key, "n": 2}, "alice")
        assert wait_until(lambda j=job: not j.is_active)
    assert mgr.stats()["stored"] == 2
    assert mgr.submit({"key": "a", "n": 2}, "bob").is_active  # dropped: trained again
    assert mgr.submit({"key": "c", "n": 2}, "bob").status == "done"


def test_timelines_count_against_the_stores_size_limit(make):
    """Frames are most of a run's size: a store of 1 MB keeps three runs of 4 small records, but
    only two once each carries 4 frames of 100 kB, and none whose timeline alone is 1.2 MB."""
    mgr = make(view_fn=frame_view, store=RunStore(max_runs=100, max_mb=1))

    def finish(cfg):
        job = mgr.submit(cfg, "alice")
        assert wait_until(lambda: not job.is_active)
        return job

    for key in ("a", "b", "c"):
        finish({"key": key, "n": 4, "frame_every": 1000})  # a frame at step 0 only, of 1 kB
    assert mgr.stats()["stored"] == 3
    for key in ("d", "e", "f"):
        finish({"key": key, "n": 4, "frame_kb": 100})
    assert mgr.stats()["stored"] == 2 and 0.75 < mgr.stats()["stored_mb"] <= 1.0
    assert mgr.submit({"key": "f", "n": 4, "frame_kb": 100}, "bob").status == "done"
    assert finish({"key": "d", "n": 4, "frame_kb": 100}).shared_from == ""  # dropped: trained again
    huge = {"key": "huge", "n": 12, "frame_kb": 100}
    assert len(finish(huge).timeline) == 12
    assert finish(huge).shared_from == ""  # never kept: trained again


# ------------------------------------------------------------ the fingerprint


def test_seed_and_device_are_part_of_the_fingerprint(monkeypatch):
    cfg = RunConfig(device="cpu")
    assert run_key(cfg) == run_key(RunConfig(device="cpu")) and len(run_key(cfg)) == 64
    assert run_key(cfg.replace(seed=1)) != run_key(cfg)
    assert run_key(cfg.replace(device="cuda")) != run_key(cfg)
    monkeypatch.setattr(store_module, "auto_device", lambda: "cpu")
    assert run_key(cfg.replace(device="auto")) == run_key(cfg)  # auto trains on the CPU here
    monkeypatch.setattr(store_module, "auto_device", lambda: "cuda")
    assert run_key(cfg.replace(device="auto")) == run_key(cfg.replace(device="cuda"))
    assert run_key({"n": 3}) is None


def test_your_own_points_count_in_the_fingerprint_of_a_run_on_them_only():
    drawn = "AAA__9"  # two points, the pad's code
    moons = RunConfig(device="cpu")
    assert run_key(moons.replace(points=drawn)) == run_key(moons)  # moons is moons for everyone
    own = RunConfig(device="cpu", dataset="own")
    assert run_key(own.replace(points=drawn)) != run_key(own)


def _other_value(field, draw):
    meta = field.metadata
    if meta.get("choices"):
        return draw(st.sampled_from(list(meta["choices"])))
    if field.name == "hidden":
        return tuple(draw(st.lists(st.integers(1, 64), min_size=0, max_size=3)))
    low = 0 if meta.get("low") is None else meta["low"]
    high = 100 if meta.get("high") is None else meta["high"]
    if isinstance(field.default, bool):
        return draw(st.booleans())
    if isinstance(field.default, int):
        return draw(st.integers(int(low), int(min(high, 10_000))))
    return draw(st.floats(low, min(high, 1e3), allow_nan=False))


@st.composite
def two_configs(draw):
    cfg = RunConfig(device="cpu")
    field = draw(st.sampled_from([f for f in FIELDS if f.name != "device"]))
    value = _other_value(field, draw)
    try:
        other = cfg.replace(**{field.name: value})
    except (ValueError, TypeError):
        assume(False)
    return cfg, other


@settings(max_examples=60, deadline=None)
@given(two_configs())
def test_the_fingerprint_changes_exactly_when_a_setting_does(pair):
    cfg, other = pair
    assert run_key(cfg) == run_key(RunConfig(**cfg.to_dict() | {"hidden": tuple(cfg.hidden)}))
    assert (run_key(other) == run_key(cfg)) == (other.to_dict() == cfg.to_dict())


# --------------------------------------------------------- the real back ends


class CountingProcessRunner(Counting, ProcessRunner):
    pass


def test_two_learners_asking_for_one_run_get_one_training_process():
    from nnexplore.snapshots import model_view

    runner = CountingProcessRunner(view_fn=model_view)
    manager = JobManager(slots=2, runner=runner, store=RunStore(max_runs=5, max_mb=50))
    try:
        cfg = RunConfig(epochs=2, n_samples=200, device="cpu")
        mine, yours = manager.submit(cfg, "alice"), manager.submit(cfg, "bob")
        deadline = time.monotonic() + 60
        while (mine.is_active or yours.is_active) and time.monotonic() < deadline:
            manager.heartbeat(mine.id)
            manager.heartbeat(yours.id)
            time.sleep(0.05)
        assert mine.status == yours.status == "done", (mine.error, yours.error)
        assert runner.runs == 1
        assert mine.records == yours.records and yours.view is mine.view and "grid" in mine.view
        later = manager.submit(cfg, "carol")
        assert later.status == "done" and later.records == mine.records and later.view is mine.view
        assert runner.runs == 1 and manager.stats()["stored_mb"] > 0
    finally:
        assert manager.shutdown(10)
