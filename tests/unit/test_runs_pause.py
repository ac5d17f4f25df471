"""Pause, Resume and Step (nnexplore.runs.pause): a run held between records, in a child process
(the dashboard's back end) and in the tests' thread runner, alone or shared by several learners.

The process tests train real toy runs, so they take a few seconds each; the rules (followers,
the pause limit, Step) are also tested with the thread runner and the fake train function.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from fake_training import FakeTrain, fake_dataset, wait_until
from thread_runner import ThreadRunner

from nnexplore.config import RunConfig
from nnexplore.runs import JobManager, ProcessRunner
from nnexplore.runs.pause import PAUSE_LIMIT_S, Hold, PauseState, pause_limit_s, paused_too_long
from nnexplore.runs.store import RunStore

#: 24 records in about a second or two: long enough to pause in the middle, short enough for a unit test.
TOY = RunConfig(dataset="moons", n_samples=400, epochs=3, batch_size=4, device="cpu", seed=3)
#: Fields that measure time, not learning: the only ones a pause may change.
TIMING = ("elapsed_s",)


def learning(records: list[dict]) -> str:
    """The records without their timing fields, comparable (NaN included)."""
    return json.dumps([{k: v for k, v in r.items() if k not in TIMING} for r in records], sort_keys=True)


def settle(manager: JobManager, job, quiet: float = 0.6, timeout: float = 20.0) -> int:
    """Heartbeat ``job`` until no record came for ``quiet`` s; returns how many it has."""
    deadline = time.monotonic() + timeout
    count, since = len(job.records), time.monotonic()
    while time.monotonic() < deadline:
        manager.heartbeat(job.id)
        time.sleep(0.02)
        if len(job.records) != count:
            count, since = len(job.records), time.monotonic()
        elif time.monotonic() - since >= quiet:
            return count
    raise AssertionError("the run never settled")


def finish(manager: JobManager, *jobs, timeout: float = 60.0) -> None:
    """Heartbeat the jobs until they all ended."""
    deadline = time.monotonic() + timeout
    while any(j.is_active for j in jobs) and time.monotonic() < deadline:
        for job in jobs:
            manager.heartbeat(job.id)
        time.sleep(0.02)
    assert not any(j.is_active for j in jobs)


def started(manager: JobManager, job, records: int = 2) -> None:
    deadline = time.monotonic() + 60
    while len(job.records) < records and time.monotonic() < deadline:
        manager.heartbeat(job.id)
        time.sleep(0.005)
    assert job.status == "running" and len(job.records) >= records


@pytest.fixture
def make(fake: FakeTrain, managers: list[JobManager]):
    """A manager over the thread runner; the fake's knob ``key`` names a shared run."""

    def _make(train_fn=fake, dataset_fn=fake_dataset, **kwargs) -> JobManager:
        kwargs.setdefault("slots", 2)
        kwargs.setdefault("key_fn", lambda cfg: cfg.get("key") if isinstance(cfg, dict) else None)
        kwargs.setdefault("store", RunStore(max_runs=10, max_mb=10))
        managers.append(JobManager(runner=ThreadRunner(train_fn, dataset_fn), **kwargs))
        return managers[-1]

    return _make


# ------------------------------------------------------------- a training process


@pytest.fixture
def process_manager():
    """The dashboard's back end; runs are never shared here, so the same settings train again."""
    made: list[JobManager] = []

    def _make(**runner_kwargs) -> JobManager:
        made.append(JobManager(slots=2, runner=ProcessRunner(**runner_kwargs), key_fn=lambda cfg: None))
        return made[-1]

    yield _make
    for manager in made:
        assert manager.shutdown(10)


def test_a_paused_stepped_and_resumed_process_run_gives_the_records_of_a_run_never_paused(process_manager):
    manager = process_manager()
    plain = manager.submit(TOY, "s1")
    finish(manager, plain)
    assert plain.status == "done", plain.error

    job = manager.submit(TOY, "s1")
    started(manager, job)
    paused_at = time.monotonic()
    assert manager.pause(job.id) and job.paused
    held = settle(manager, job)
    assert job.is_paused and job.status == "running" and job.is_active
    assert held < len(plain.records) - 2  # it really stopped in the middle
    assert manager.step(job.id)
    assert settle(manager, job, quiet=1.2) == held + 1  # exactly one more record, then held again
    assert job.is_paused
    assert manager.resume(job.id) and not job.paused
    paused_s = time.monotonic() - paused_at  # 2 s or so
    finish(manager, job)
    assert job.status == "done" and not job.is_paused
    assert learning(job.records) == learning(plain.records)  # seed for seed, every field but the time
    # the time paused is left out of elapsed_s (half of it: a margin for a busy machine's pace)
    assert job.records[-1]["elapsed_s"] < plain.records[-1]["elapsed_s"] + paused_s / 2


def test_stop_while_paused_ends_the_process_run_promptly_as_stopped(process_manager):
    manager = process_manager(stop_grace_s=5.0)
    job = manager.submit(TOY, "s1")
    started(manager, job)
    manager.pause(job.id)
    held = settle(manager, job)
    t0 = time.monotonic()
    assert manager.cancel(job.id)
    assert wait_until(lambda: not job.is_active, timeout=5.0)
    assert time.monotonic() - t0 < 2.0
    assert job.status == "stopped" and job.error == ""
    assert len(job.records) == held + 1
    last, before = job.records[-1], job.records[-2]
    assert last["status"] == "stopped" and last["step"] == before["step"]  # not one batch after the pause
    assert "Stopped by you" in last["reason"]


def test_the_relay_does_not_take_a_paused_child_for_hung(process_manager):
    manager = process_manager(silence_limit_s=0.8)
    job = manager.submit(TOY, "s1")
    started(manager, job)
    manager.pause(job.id)
    settle(manager, job)
    t0 = time.monotonic()
    while time.monotonic() - t0 < 2.0:  # more than twice the silence limit, the page open
        manager.heartbeat(job.id)
        time.sleep(0.05)
    assert job.is_active and job.is_paused and job.error == ""
    manager.resume(job.id)
    finish(manager, job)
    assert job.status == "done", job.error


# ------------------------------------------------------------------ thread runner


def test_the_thread_runner_holds_a_real_run_as_a_process_does(make):
    """The pages' fast tests use the thread runner: pausing must not change its records either."""
    mgr = make(train_fn=None, dataset_fn=None, key_fn=lambda cfg: None)
    plain = mgr.submit(TOY, "s1")
    finish(mgr, plain)
    job = mgr.submit(TOY, "s1")
    started(mgr, job)
    mgr.pause(job.id)
    held = settle(mgr, job)
    assert job.is_paused and held < len(plain.records) - 2
    mgr.resume(job.id)
    finish(mgr, job)
    assert job.status == plain.status == "done"
    assert learning(job.records) == learning(plain.records)


def test_step_lets_exactly_one_record_through_each_time(make):
    mgr = make()
    job = mgr.submit({"n": 150, "sleep": 0.005}, "s1")
    started(mgr, job, records=3)
    assert not mgr.step(job.id)  # not paused: nothing to step
    mgr.pause(job.id)
    held = settle(mgr, job, quiet=0.3)
    assert mgr.step(job.id)
    assert settle(mgr, job, quiet=0.3) == held + 1
    assert mgr.step(job.id) and mgr.step(job.id)  # two Steps: two records
    assert settle(mgr, job, quiet=0.3) == held + 3
    assert job.is_paused
    mgr.resume(job.id)
    finish(mgr, job)
    assert [r["step"] for r in job.records] == list(range(150))


def test_stop_while_paused_ends_a_thread_run_as_stopped(make):
    mgr = make()
    job = mgr.submit({"n": 500, "sleep": 0.005}, "s1")
    started(mgr, job)
    mgr.pause(job.id)
    held = settle(mgr, job, quiet=0.3)
    assert mgr.cancel(job.id)
    assert wait_until(lambda: not job.is_active, timeout=1.0)
    assert job.status == "stopped" and len(job.records) == held + 1 and not job.is_paused


def test_a_run_pauses_only_while_it_trains_and_a_paused_one_keeps_its_slot(make):
    mgr = make(slots=1)
    gate = threading.Event()
    first = mgr.submit({"n": 150, "sleep": 0.005, "gate": gate}, "s1")
    queued = mgr.submit({"n": 3}, "s1")
    assert not mgr.pause(queued.id) and not queued.paused  # waiting in the queue: nothing to pause
    gate.set()
    started(mgr, first)
    assert mgr.pause(first.id)
    settle(mgr, first, quiet=0.3)
    assert queued.status == "queued" and mgr.queue_position(queued.id) == 1  # the slot stays held
    assert mgr.stats()["running"] == 1
    mgr.resume(first.id)
    finish(mgr, first, queued)
    assert (first.status, queued.status) == ("done", "done")
    assert not mgr.pause(first.id) and not mgr.resume(first.id) and not mgr.step(first.id)  # over
    assert not mgr.pause("nope") and not mgr.resume("nope") and not mgr.step("nope")


# --------------------------------------------------------- learners who share a run


def test_a_shared_run_pauses_only_when_every_follower_asked_and_resumes_for_all_on_one_resume(make):
    mgr = make()
    cfg = {"key": "k", "n": 2000, "sleep": 0.005}
    alice, bob = mgr.submit(cfg, "alice"), mgr.submit(cfg, "bob")
    started(mgr, alice)
    assert mgr.pause(alice.id)
    assert alice.paused and not alice.is_paused and not bob.is_paused  # bob did not ask: it trains on
    count = len(bob.records)
    assert wait_until(lambda: len(bob.records) > count + 5)
    assert not mgr.step(alice.id)  # not paused for bob: nothing to step
    assert mgr.pause(bob.id)
    assert alice.is_paused and bob.is_paused
    held = settle(mgr, bob, quiet=0.3)
    assert mgr.step(alice.id)  # either follower may step a run paused for both
    assert settle(mgr, bob, quiet=0.3) == held + 1 == len(alice.records)
    assert mgr.resume(bob.id)  # one resumes: it runs for both, and neither still asks to pause
    assert not alice.paused and not bob.paused and not alice.is_paused
    assert wait_until(lambda: len(alice.records) > held + 5)
    mgr.pause(alice.id)
    mgr.pause(bob.id)
    carol = mgr.submit(cfg, "carol")  # joins the paused run: she has not asked to pause, so it goes on
    assert not alice.is_paused and not carol.is_paused
    count = len(carol.records)
    assert wait_until(lambda: len(carol.records) > count + 5)
    assert mgr.cancel(carol.id)  # she leaves; the two left both asked to pause: paused again
    assert alice.is_paused and bob.is_paused
    mgr.cancel(alice.id)
    mgr.cancel(bob.id)
    assert wait_until(lambda: not bob.is_active)


# ------------------------------------------------------------------ the pause limit


def test_a_run_paused_beyond_the_limit_is_stopped_with_a_sentence_though_its_page_is_open(make, monkeypatch):
    monkeypatch.setenv("NNEXPLORE_PAUSE_LIMIT_S", "0.5")
    mgr = make(owner_connected=lambda owner: True)  # the page is open, and heartbeats keep coming
    cfg = {"key": "k", "n": 5000, "sleep": 0.005}
    alice, bob = mgr.submit(cfg, "alice"), mgr.submit(cfg, "bob")
    started(mgr, alice)
    mgr.pause(alice.id)
    mgr.pause(bob.id)
    time.sleep(0.3)
    mgr.resume(alice.id)  # resumed before the limit: the clock starts again at the next pause
    mgr.pause(alice.id)
    mgr.pause(bob.id)
    t0 = time.monotonic()
    time.sleep(0.3)
    assert alice.is_active and alice.is_paused
    finish(mgr, alice, bob, timeout=5.0)
    assert time.monotonic() - t0 < 2.0
    sentence = "Stopped: it stayed paused for 0.5 seconds."
    for job in (alice, bob):
        assert job.status == "stopped" and job.error == sentence
        assert job.records[-1]["status"] == "stopped" and job.records[-1]["reason"] == sentence
    assert mgr.stats()["stored"] == 0 and mgr.stats()["running"] == 0


def test_the_pause_limit_is_five_minutes_unless_the_environment_says_otherwise(monkeypatch):
    assert paused_too_long(PAUSE_LIMIT_S) == "Stopped: it stayed paused for 5 minutes."
    assert paused_too_long(60) == "Stopped: it stayed paused for 1 minute."
    assert paused_too_long(90) == "Stopped: it stayed paused for 90 seconds."
    monkeypatch.delenv("NNEXPLORE_PAUSE_LIMIT_S", raising=False)
    assert pause_limit_s() == PAUSE_LIMIT_S == 300
    monkeypatch.setenv("NNEXPLORE_PAUSE_LIMIT_S", "42")
    assert pause_limit_s() == 42
    monkeypatch.setenv("NNEXPLORE_PAUSE_LIMIT_S", "-1")
    assert pause_limit_s() == PAUSE_LIMIT_S


# ------------------------------------------------------------------------ Hold


def test_hold_never_holds_a_runs_last_record_and_leaves_its_paused_time_out_of_elapsed():
    state, stop = PauseState(), threading.Event()
    state.set(True, time.monotonic())
    hold = Hold(state, stop, wait_s=0.01)
    t0 = time.monotonic()
    hold({"status": "done", "elapsed_s": 1.0})  # the run is over: nothing to wait for
    assert time.monotonic() - t0 < 0.05 and hold.timed({"elapsed_s": 1.0}) == {"elapsed_s": 1.0}
    threading.Timer(0.2, lambda: state.set(False, time.monotonic())).start()
    hold({"status": "running", "elapsed_s": 1.0})
    assert 0.15 < hold.held_s < 1.0
    assert hold.timed({"elapsed_s": 5.0, "step": 3}) == {"elapsed_s": 5.0 - hold.held_s, "step": 3}
    assert state.total_s(time.monotonic()) == pytest.approx(hold.held_s, abs=0.05)
