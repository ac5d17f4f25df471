"""Behaviour of the job manager (slots, queue, cancel, heartbeats, stale runs).

The runs train in the manager's run threads (tests/thread_runner.py), and a
fake train function stands in for the real one so the tests are fast and can
control timing; one test drives the real ``nnexplore.training.train``. The
dashboard's back end, child processes, is tested in test_runs_process.py.
"""

from __future__ import annotations

import threading
import time

import pytest
from fake_training import FakeTrain, fake_dataset, wait_until
from thread_runner import ThreadRunner

from nnexplore.runs import JobManager, TooManyRuns


@pytest.fixture
def make(fake: FakeTrain, managers: list[JobManager]):
    def _make(train_fn=fake, dataset_fn=fake_dataset, view_fn=None, **kwargs) -> JobManager:
        kwargs.setdefault("slots", 2)
        managers.append(JobManager(runner=ThreadRunner(train_fn, dataset_fn, view_fn), **kwargs))
        return managers[-1]

    return _make


def test_records_delivered_in_order_and_status_follows_last_record(make) -> None:
    mgr = make()
    job = mgr.submit({"n": 50}, "s1", label="first")
    assert wait_until(lambda: not job.is_active)
    assert job.status == "done"
    assert [r["step"] for r in job.records] == list(range(50))
    assert job.records_since(45) == job.records[45:]
    assert job.records_since(50) == []
    assert job.records[0]["dataset"] == "DATA"
    assert job.label == "first" and job.owner == "s1"
    assert job.started is not None and job.finished >= job.started >= job.created
    assert job.progress == (1.0, "Ready")


def test_view_fn_sees_model_dataset_cfg_and_record(make) -> None:
    calls = []

    def view_fn(model, dataset, cfg, record):
        calls.append((model, dataset, record["step"]))
        return {"step": record["step"]}

    mgr = make(view_fn=view_fn)
    job = mgr.submit({"n": 3}, "s1")
    assert wait_until(lambda: not job.is_active)
    assert job.view == {"step": 2}
    assert calls == [("model", "DATA", 0), ("model", "DATA", 1), ("model", "DATA", 2)]


def test_broken_view_fn_does_not_kill_the_run(make) -> None:
    def view_fn(model, dataset, cfg, record):
        raise ZeroDivisionError

    mgr = make(view_fn=view_fn)
    job = mgr.submit({"n": 4}, "s1")
    assert wait_until(lambda: not job.is_active)
    assert job.status == "done" and len(job.records) == 4 and job.view is None


def test_never_more_than_slots_running(make, fake: FakeTrain) -> None:
    mgr = make(slots=2)
    jobs = [mgr.submit({"n": 5, "sleep": 0.01}, f"s{i}") for i in range(7)]
    seen = []
    while any(j.is_active for j in jobs):
        stats = mgr.stats()
        seen.append(stats)
        assert stats["running"] <= 2 and stats["threads"] <= 2
        time.sleep(0.002)
    assert fake.max_concurrent == 2
    assert max(s["queued"] for s in seen) >= 4
    assert all(j.status == "done" for j in jobs)
    idle = {"running": 0, "queued": 0, "slots": 2, "threads": 0, "jobs": 0, "stored": 0, "stored_mb": 0}
    assert wait_until(lambda: mgr.stats() == idle)


def test_fifo_order_and_queue_positions(make, fake: FakeTrain) -> None:
    mgr = make(slots=1)
    gate = threading.Event()
    first = mgr.submit({"gate": gate, "name": "a"}, "s1")
    rest = [mgr.submit({"name": name}, f"s{name}") for name in "bcd"]
    assert wait_until(lambda: fake.started == ["a"])
    assert mgr.queue_position(first.id) is None
    assert [mgr.queue_position(j.id) for j in rest] == [1, 2, 3]
    assert [j.status for j in rest] == ["queued"] * 3
    assert mgr.estimate_wait_s(rest[0].id) is None  # nothing finished yet
    gate.set()
    assert wait_until(lambda: all(not j.is_active for j in [first, *rest]))
    assert fake.started == ["a", "b", "c", "d"]
    assert all(mgr.queue_position(j.id) is None for j in rest)


def test_estimate_wait_grows_with_queue_position(make) -> None:
    mgr = make(slots=1)
    done = mgr.submit({"n": 3, "sleep": 0.02}, "s0")
    assert wait_until(lambda: not done.is_active)
    gate = threading.Event()
    mgr.submit({"gate": gate}, "s1")
    queued = [mgr.submit({}, f"q{i}") for i in range(3)]
    waits = [mgr.estimate_wait_s(j.id) for j in queued]
    assert all(w is not None and w >= 0 for w in waits)
    assert waits[0] < waits[1] < waits[2]
    gate.set()


def test_before_any_run_finished_the_wait_is_estimated_from_the_run_training_now(make) -> None:
    """A fresh server: nothing has finished to average over, so the run in the slot stands in,
    as long as its pace so far makes it (1,000 steps of 5 ms: about 5 s)."""
    mgr = make(slots=1)
    running = mgr.submit({"n": 1000, "sleep": 0.005}, "s0")
    queued = mgr.submit({}, "s1")
    assert wait_until(lambda: len(running.records) >= 20)
    wait = mgr.estimate_wait_s(queued.id)
    elapsed = running.last_record["elapsed_s"]
    pace = elapsed / running.last_record["step"]
    assert wait is not None and wait == pytest.approx(pace * 999 - elapsed, rel=0.5)
    assert mgr.estimate_wait_s(running.id) is None  # training, not waiting
    mgr.cancel(running.id)
    mgr.cancel(queued.id)


def test_cancel_queued_and_running(make) -> None:
    mgr = make(slots=1)
    running = mgr.submit({"n": 10_000, "sleep": 0.01}, "s1")
    queued = mgr.submit({"n": 3}, "s1")
    later = mgr.submit({"n": 3}, "s1")
    assert wait_until(lambda: len(running.records) > 2)
    assert mgr.queue_position(later.id) == 2

    assert mgr.cancel(queued.id)
    assert queued.status == "stopped" and not queued.is_active
    assert queued.records == []
    assert mgr.queue_position(later.id) == 1

    t0 = time.monotonic()
    assert mgr.cancel(running.id)
    assert wait_until(lambda: not running.is_active, timeout=1.0)
    assert time.monotonic() - t0 < 1.0
    assert running.status == "stopped"
    assert running.records[-1]["status"] == "stopped"
    assert wait_until(lambda: later.status == "done")
    assert not mgr.cancel(running.id)  # already finished
    assert not mgr.cancel("nope")


def test_per_session_limit_in_plain_words(make) -> None:
    mgr = make(slots=1, max_per_session=4)
    gate = threading.Event()
    jobs = [mgr.submit({"gate": gate}, "alice") for _ in range(4)]
    with pytest.raises(TooManyRuns) as info:
        mgr.submit({}, "alice")
    assert str(info.value) == (
        "You already have 4 runs training or waiting. Stop one or wait for it to finish."
    )
    mgr.submit({"gate": gate}, "bob")  # another session is not affected
    mgr.cancel(jobs[-1].id)
    mgr.submit({"gate": gate}, "alice")  # room again after stopping one
    gate.set()


def test_a_bounded_batch_may_go_past_the_limit_up_to_its_own_size(make) -> None:
    """A card's seeds (5 per recipe) are one known batch: allowed up to its size, not past it."""
    mgr = make(slots=1, max_per_session=4)
    gate = threading.Event()
    batch = [mgr.submit({"gate": gate, "n": i}, "alice", allowance=6) for i in range(6)]
    assert all(job.is_active for job in batch)
    with pytest.raises(TooManyRuns) as info:
        mgr.submit({"gate": gate}, "alice", allowance=6)
    assert "6 runs training or waiting" in str(info.value)
    with pytest.raises(TooManyRuns):
        mgr.submit({"gate": gate}, "alice")  # past the usual limit too
    gate.set()


def test_heartbeat_timeout_stops_abandoned_run(make) -> None:
    mgr = make(slots=2, heartbeat_timeout=0.3)
    abandoned = mgr.submit({"n": 10_000, "sleep": 0.01}, "gone")
    watched = mgr.submit({"n": 10_000, "sleep": 0.01}, "here")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.8:
        assert mgr.heartbeat(watched.id)
        time.sleep(0.05)
    assert abandoned.status == "stopped"
    assert abandoned.records[-1]["status"] == "stopped"
    assert watched.status == "running"
    mgr.cancel(watched.id)
    assert not mgr.heartbeat("unknown")


def test_heartbeat_timeout_drops_abandoned_queued_run(make) -> None:
    mgr = make(slots=1, heartbeat_timeout=0.3)
    busy = mgr.submit({"n": 10_000, "sleep": 0.01}, "here")
    queued = mgr.submit({"n": 3}, "gone")
    t0 = time.monotonic()
    while time.monotonic() - t0 < 0.6:
        mgr.heartbeat(busy.id)
        time.sleep(0.05)
    assert queued.status == "stopped" and queued.records == []
    assert mgr.stats()["queued"] == 0
    mgr.cancel(busy.id)


def test_dataset_error_is_shown_in_plain_words(make) -> None:
    mgr = make()
    msg = "MNIST could not be downloaded. Check the internet connection and try again."
    job = mgr.submit({"dataset_error": msg}, "s1")
    assert wait_until(lambda: not job.is_active)
    assert job.status == "error"
    assert job.error == msg
    assert job.records == []


def test_train_error_gives_short_message(make, caplog) -> None:
    mgr = make()
    job = mgr.submit({"n": 5, "fail": 2}, "s1")
    assert wait_until(lambda: not job.is_active)
    assert job.status == "error"
    assert len(job.records) == 2  # what arrived before the failure is kept
    assert "boom" in job.error and "Traceback" not in job.error
    assert any("Traceback" in (r.exc_text or "") for r in caplog.records)
    other = mgr.submit({"n": 2}, "s1")  # the slot was given back
    assert wait_until(lambda: other.status == "done")


def test_no_threads_leak_after_many_submit_stop_cycles(make) -> None:
    baseline = threading.active_count()
    mgr = make(slots=2, max_per_session=4)
    for i in range(100):
        job = mgr.submit({"n": 10_000, "sleep": 0.01}, "s1")
        if i % 3:
            assert wait_until(lambda j=job: j.status == "running" and j.records)
        mgr.cancel(job.id)
    assert wait_until(lambda: threading.active_count() == baseline, timeout=3.0)
    assert mgr.stats()["threads"] == 0
    assert all(not j.is_active for j in mgr.jobs_for("s1"))
    assert {j.status for j in mgr.jobs_for("s1")} == {"stopped"}


def test_forget_and_finished_cap(make) -> None:
    mgr = make(slots=2)
    mgr.max_finished = 3
    jobs = [mgr.submit({"n": 1}, "s1") for _ in range(4)]
    assert wait_until(lambda: all(not j.is_active for j in jobs))
    kept = mgr.jobs_for("s1")
    assert len(kept) == 3
    assert mgr.forget(kept[0].id)
    assert mgr.get(kept[0].id) is None
    assert not mgr.forget(kept[0].id)
    assert len(mgr.jobs_for("s1")) == 2


def test_submit_after_shutdown_refused(make) -> None:
    mgr = make()
    job = mgr.submit({"n": 10_000, "sleep": 0.01}, "s1")
    assert mgr.shutdown(timeout=2.0)
    assert job.status == "stopped"
    with pytest.raises(RuntimeError):
        mgr.submit({}, "s1")


def test_slots_default_from_environment(monkeypatch) -> None:
    monkeypatch.setenv("NNEXPLORE_SLOTS", "3")
    assert JobManager(runner=ThreadRunner()).slots == 3
    monkeypatch.setenv("NNEXPLORE_SLOTS", "0")
    assert JobManager(runner=ThreadRunner()).slots >= 1


def test_real_train_on_tiny_moons() -> None:
    from nnexplore.config import RunConfig

    # 800 points: 20 steps an epoch, so 2 epochs give several records (at least 10 steps apart).
    cfg = RunConfig().replace(dataset="moons", n_samples=800, epochs=2, hidden=(8,))

    def view_fn(model, dataset, cfg, record):
        return {"step": record["step"]}

    # No train_fn, no dataset_fn: the real nnexplore.training.train and nnexplore.data.load_dataset.
    mgr = JobManager(slots=1, runner=ThreadRunner(view_fn=view_fn))
    try:
        job = mgr.submit(cfg, "s1")
        long = mgr.submit(cfg.replace(epochs=50, n_samples=5000), "s1")
        assert wait_until(lambda: not job.is_active, timeout=10.0)
        assert job.status == "done", job.error
        steps = [r["step"] for r in job.records]
        assert steps == sorted(steps) and len(steps) >= 2
        assert job.records[-1]["status"] == "done"
        assert job.view == {"step": steps[-1]}

        assert wait_until(lambda: len(long.records) >= 1, timeout=10.0)
        t0 = time.monotonic()
        mgr.cancel(long.id)
        assert wait_until(lambda: not long.is_active, timeout=2.0)
        assert time.monotonic() - t0 < 1.0
        assert long.status == "stopped"
    finally:
        assert mgr.shutdown(timeout=3.0)


def test_a_run_whose_thread_cannot_start_fails_in_words_and_frees_its_slot(monkeypatch):
    fake = FakeTrain()
    mgr = JobManager(slots=1, runner=ThreadRunner(fake, fake_dataset))

    def no_thread(self):
        raise RuntimeError("can't start new thread")

    with monkeypatch.context() as patch:
        patch.setattr(threading.Thread, "start", no_thread)
        job = mgr.submit({"n": 2}, "s1")
    assert job.status == "error" and "too busy" in job.error
    assert mgr.stats()["running"] == 0
    again = mgr.submit({"n": 2}, "s1")
    assert wait_until(lambda: again.status == "done")
    assert mgr.shutdown(3)


def test_a_run_without_heartbeats_goes_on_while_its_owner_still_has_a_page_connected(make) -> None:
    connected = {"alice": True}
    mgr = make(slots=2, heartbeat_timeout=0.3, owner_connected=lambda owner: connected.get(owner, False))
    stalled_page = mgr.submit({"n": 10_000, "sleep": 0.01}, "alice")
    time.sleep(0.8)
    mgr.stats()  # any call sweeps
    assert stalled_page.status == "running"
    connected["alice"] = False  # the tab is closed now
    assert wait_until(lambda: (mgr.stats(), stalled_page.status)[1] == "stopped", timeout=2.0)


def test_a_failing_connection_check_falls_back_to_heartbeats(make) -> None:
    def broken(owner: str) -> bool:
        raise RuntimeError("no runtime")

    mgr = make(slots=1, heartbeat_timeout=0.2, owner_connected=broken)
    job = mgr.submit({"n": 10_000, "sleep": 0.01}, "alice")
    assert wait_until(lambda: (mgr.stats(), job.status)[1] == "stopped", timeout=2.0)


def test_owner_connected_is_asked_without_the_managers_lock(make) -> None:
    """Streamlit's check takes Streamlit's locks; asked under ours, a page thread could deadlock us."""
    lock_free: list[bool] = []
    mgr: JobManager

    def connected(owner: str) -> bool:
        # Under the manager's lock (not reentrant) this times out: the lock is held by this very thread.
        got = mgr._lock.acquire(timeout=1.0)
        if got:
            mgr._lock.release()
        lock_free.append(got)
        return True

    mgr = make(slots=1, heartbeat_timeout=0.2, owner_connected=connected)
    job = mgr.submit({"n": 10_000, "sleep": 0.01}, "alice")
    assert wait_until(lambda: (mgr.stats(), len(lock_free))[1] >= 3, timeout=5.0)
    assert all(lock_free), lock_free
    assert job.status == "running"  # the owner is connected: the run goes on without heartbeats
    mgr.cancel(job.id)


def test_a_heartbeat_that_comes_while_the_owner_is_asked_keeps_the_run(make) -> None:
    """The check runs outside the lock, so each run is checked again under it before it is cancelled."""
    mgr: JobManager
    job = None
    asked = threading.Event()

    def connected(owner: str) -> bool:
        if not asked.is_set():
            asked.set()
            beat = threading.Thread(target=mgr.heartbeat, args=(job.id,))  # the page catches up meanwhile
            beat.start()
            beat.join(timeout=2.0)
        return False  # and yet the owner's page looks closed

    mgr = make(slots=1, heartbeat_timeout=0.3, owner_connected=connected)
    gate = threading.Event()  # holds the run before its first record: only this test's calls sweep
    job = mgr.submit({"gate": gate}, "alice")
    time.sleep(0.4)
    mgr.stats()  # sweeps: asks, hears the heartbeat meanwhile, checks again
    assert asked.is_set()
    assert not job.stop_event.is_set() and job.is_active
    time.sleep(0.4)
    mgr.stats()  # no heartbeat this time
    assert job.stop_event.is_set()
    assert wait_until(lambda: job.status == "stopped")


class CountingRunner(ThreadRunner):
    """A ThreadRunner that records the manager's hook calls and its runs in use."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.in_use = 0
        self.lowest_between_runs: int | None = None
        self.calls: list[str] = []

    def prepare(self) -> None:
        self.calls.append("prepare")

    def slot_taken(self) -> None:
        self.in_use += 1

    def slot_freed(self) -> None:
        self.in_use -= 1
        if self.in_use == 0:
            self.calls.append("idle")

    def shutdown(self) -> None:
        self.calls.append("shutdown")


def test_the_runner_hears_of_each_slot_and_is_idle_only_when_no_run_is_left(fake: FakeTrain) -> None:
    """The forkserver's idle stop leans on this: a queue served back to back is never idle in between."""
    runner = CountingRunner(fake, fake_dataset)
    mgr = JobManager(slots=1, runner=runner)
    gate = threading.Event()
    first = mgr.submit({"gate": gate}, "s1")
    rest = [mgr.submit({"n": 2}, f"s{i}") for i in range(3)]
    mgr.prepare()  # a run trains: nothing to prepare
    assert runner.in_use == 1 and runner.calls == []
    gate.set()
    assert wait_until(lambda: all(not j.is_active for j in [first, *rest]))
    assert wait_until(lambda: runner.in_use == 0)
    assert runner.calls == ["idle"]
    mgr.prepare()
    assert runner.calls == ["idle", "prepare"]
    assert mgr.shutdown(3)
    assert runner.calls[-1] == "shutdown"
    mgr.prepare()  # shut down: nothing to prepare for
    assert runner.calls.count("prepare") == 1


def test_a_runner_that_raises_ends_the_run_in_words_and_frees_the_slot() -> None:
    class Broken(ThreadRunner):
        def run(self, job, report):
            raise RuntimeError("the back end broke")

    mgr = JobManager(slots=1, runner=Broken())
    jobs = [mgr.submit({}, "s1") for _ in range(2)]
    assert wait_until(lambda: all(not j.is_active for j in jobs))
    assert [j.status for j in jobs] == ["error", "error"]
    assert jobs[0].error == "The run failed because of an unexpected error."
    assert mgr.shutdown(3)


def test_the_wait_estimate_gives_each_queued_run_the_slot_that_frees_first() -> None:
    from nnexplore.runs.shared import estimate_start_s

    # Runs take 4 s; one slot, its run 1 s along: the next starts in 3 s, the one after in 7 s.
    assert [estimate_start_s(4.0, [1.0], 1, position) for position in (1, 2)] == [3.0, 7.0]
    # Two slots, one free: the next starts at once, the second when the busy one ends.
    assert [estimate_start_s(4.0, [3.0], 2, position) for position in (1, 2, 3)] == [0.0, 1.0, 4.0]
    assert estimate_start_s(4.0, [9.0], 1, 1) == 0.0  # overdue: expected to end any moment
