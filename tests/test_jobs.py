"""Behaviour of the background job manager (slots, queue, cancel, heartbeats).

A fake train function stands in for the real one so the tests are fast and can
control timing; one test drives the real ``nnexplore.train.train`` when present.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from nnexplore.jobs import JobManager, TooManyRuns


def wait_until(pred: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Poll ``pred`` until true or ``timeout`` s passed; returns its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    return pred()


class FakeTrain:
    """Generator-based stand-in for ``train``: ``cfg`` is a dict of knobs.

    Knobs: n (records), sleep (s between records), gate (Event to wait for
    before the first record), name (logged in ``started``), fail (raise after
    this many records).
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.concurrent = 0
        self.max_concurrent = 0
        self.started: list[str] = []

    def __call__(self, cfg: dict, dataset=None, stop=None, on_record=None) -> Iterator[dict]:
        with self.lock:
            self.concurrent += 1
            self.max_concurrent = max(self.max_concurrent, self.concurrent)
            self.started.append(cfg.get("name", ""))
        try:
            gate = cfg.get("gate")
            if gate is not None:
                while not gate.wait(0.01):
                    if stop.is_set():
                        break
            n = cfg.get("n", 5)
            for step in range(n):
                if step == cfg.get("fail"):
                    raise ValueError("boom\nTraceback (most recent call last): secret")
                status = "stopped" if stop.is_set() else ("done" if step == n - 1 else "running")
                record = {"step": step, "status": status, "dataset": dataset}
                if on_record is not None:
                    on_record("model", record)
                yield record
                if status != "running":
                    return
                stop.wait(cfg.get("sleep", 0.0))
        finally:
            with self.lock:
                self.concurrent -= 1


def fake_dataset(cfg: dict, progress=None) -> str:
    if progress is not None:
        progress(0.5, "Downloading MNIST")
        progress(1.0, "Ready")
    if "dataset_error" in cfg:
        raise RuntimeError(cfg["dataset_error"])
    return "DATA"


@pytest.fixture
def fake() -> FakeTrain:
    return FakeTrain()


@pytest.fixture
def make(fake: FakeTrain):
    managers: list[JobManager] = []

    def _make(**kwargs) -> JobManager:
        kwargs.setdefault("train_fn", fake)
        kwargs.setdefault("dataset_fn", fake_dataset)
        kwargs.setdefault("slots", 2)
        mgr = JobManager(**kwargs)
        managers.append(mgr)
        return mgr

    yield _make
    for mgr in managers:
        assert mgr.shutdown(timeout=3.0), "worker threads did not end"


def test_records_delivered_in_order_and_status_follows_last_record(make) -> None:
    mgr = make()
    job = mgr.submit({"n": 50}, "s1", label="first")
    assert wait_until(lambda: not job.is_active)
    assert job.status == "done"
    assert [r["step"] for r in job.records] == list(range(50))
    assert job.records_since(45) == job.records[45:]
    assert job.records_since(50) == []
    assert job.records[0]["dataset"] == "DATA"
    assert job.label == "first" and job.session_id == "s1"
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
    assert wait_until(lambda: mgr.stats() == {"running": 0, "queued": 0, "slots": 2, "threads": 0})


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
    assert JobManager().slots == 3
    monkeypatch.setenv("NNEXPLORE_SLOTS", "0")
    assert JobManager().slots >= 1


def test_real_train_on_tiny_moons() -> None:
    train_mod = pytest.importorskip("nnexplore.train")
    config = pytest.importorskip("nnexplore.config")
    data = pytest.importorskip("nnexplore.data")
    if hasattr(data, "load_dataset"):
        dataset_fn = None  # the manager's default: nnexplore.data.load_dataset
    elif hasattr(data, "make_toy"):

        def dataset_fn(cfg, progress=None):
            return data.make_toy(cfg.dataset, cfg.n_samples, cfg.noise, cfg.seed)

    else:
        pytest.skip("nnexplore.data cannot load a data set yet")
    cfg = config.RunConfig().replace(dataset="moons", n_samples=200, epochs=2, hidden=(8,))
    views = []

    def view_fn(model, dataset, cfg, record):
        views.append(record["step"])
        return {"step": record["step"]}

    mgr = JobManager(slots=1, train_fn=train_mod.train, dataset_fn=dataset_fn, view_fn=view_fn)
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


# --------------------------------------------------------------------------- process mode (the dashboard's)


def test_process_mode_trains_in_a_child_and_relays_records_views_and_stop():
    """The dashboard trains in child processes: records, views and Stop must cross the pipe."""
    from nnexplore.config import RunConfig
    from nnexplore.snapshots import model_view
    from nnexplore.train import expected_records

    manager = JobManager(slots=1, processes=True, view_fn=model_view)
    try:
        cfg = RunConfig(epochs=2, n_samples=200, device="cpu")
        job = manager.submit(cfg, "s1")
        long = manager.submit(cfg.replace(epochs=50, n_samples=4000, batch_size=4), "s1")
        assert manager.queue_position(long.id) == 1
        deadline = time.monotonic() + 60
        while job.is_active and time.monotonic() < deadline:
            manager.heartbeat(job.id)
            manager.heartbeat(long.id)
            time.sleep(0.05)
        assert job.status == "done", job.error
        assert len(job.records) == expected_records(cfg, 160)
        assert job.view is not None and "grid" in job.view
        while not long.records and time.monotonic() < deadline:
            manager.heartbeat(long.id)
            time.sleep(0.05)
        assert long.status == "running"
        stopped_at = time.monotonic()
        manager.cancel(long.id)
        while long.is_active and time.monotonic() < deadline:
            time.sleep(0.02)
        assert long.status == "stopped"
        assert time.monotonic() - stopped_at < 2.0
        assert long.records[-1]["status"] == "stopped"
    finally:
        assert manager.shutdown(10)


def test_process_mode_reports_a_training_error_in_words():
    import torch

    from nnexplore.config import RunConfig

    if torch.cuda.is_available():
        pytest.skip("needs a machine without a GPU")
    manager = JobManager(slots=1, processes=True)
    try:
        job = manager.submit(RunConfig(device="cuda"), "s1")
        deadline = time.monotonic() + 60
        while job.is_active and time.monotonic() < deadline:
            manager.heartbeat(job.id)
            time.sleep(0.05)
        assert job.status == "error"
        assert "no CUDA GPU" in job.error and "Traceback" not in job.error
    finally:
        manager.shutdown(10)


def test_process_mode_starts_the_forkserver_with_the_first_run_and_stops_it_when_idle():
    """An idle server holds no preloaded-torch process; a run starts one, idleness ends it."""
    from nnexplore.config import RunConfig
    from nnexplore.jobs import forkserver_pid, stop_process_context

    stop_process_context()
    manager = JobManager(slots=1, processes=True, worker_idle_s=0.5)
    try:
        assert forkserver_pid() is None
        pids = []
        for _ in range(2):  # the second run finds the forkserver gone and starts a new one
            job = manager.submit(RunConfig(epochs=1, n_samples=200, device="cpu"), "s1")
            deadline = time.monotonic() + 60
            seen = None
            while job.is_active and time.monotonic() < deadline:
                manager.heartbeat(job.id)
                seen = seen or forkserver_pid()
                time.sleep(0.02)
            assert job.status == "done", job.error
            assert seen is not None
            pids.append(seen)
            assert wait_until(lambda: forkserver_pid() is None, timeout=5.0)
            assert not os.path.exists(f"/proc/{pids[-1]}")  # gone, not a zombie
        assert len(pids) == 2 and pids[0] != pids[1]
    finally:
        assert manager.shutdown(10)


def test_prepare_starts_the_forkserver_ahead_of_a_run_and_lets_it_stop_if_none_comes():
    from nnexplore.jobs import forkserver_pid, stop_process_context

    stop_process_context()
    manager = JobManager(slots=1, processes=True, worker_idle_s=0.5)
    try:
        manager.prepare()
        assert forkserver_pid() is not None
        # The stop waits for the forkserver to finish importing torch (seconds, by machine):
        # wait for the manager to say it stopped it, then check that it is gone.
        assert manager.workers_stopped.wait(timeout=120)
        assert forkserver_pid() is None
    finally:
        assert manager.shutdown(10)
    thread_mode = JobManager(slots=1)
    thread_mode.prepare()  # nothing to prepare: runs are threads
    assert forkserver_pid() is None


def _training_child() -> int:
    """The pid of the one training process (a child of the forkserver)."""
    from nnexplore.jobs import forkserver_pid
    from nnexplore.procmem import descendants

    assert wait_until(lambda: forkserver_pid() is not None and len(descendants(forkserver_pid())) == 1, 10)
    return next(iter(descendants(forkserver_pid())))


def test_a_hung_training_process_is_ended_with_a_message_not_waited_for():
    """A child that is alive but silent (here: frozen with SIGSTOP) must not hold its slot for ever."""
    import signal

    from nnexplore.config import RunConfig

    manager = JobManager(slots=1, processes=True, silence_limit_s=1.5, stop_grace_s=1.0)
    long = RunConfig(epochs=50, n_samples=4000, batch_size=4, device="cpu")
    try:
        for how in ("silent", "ignores Stop"):
            job = manager.submit(long, "s1")
            assert wait_until(lambda job=job: len(job.records) >= 1, timeout=30)
            child = _training_child()
            os.kill(child, signal.SIGSTOP)
            if how == "ignores Stop":
                manager.cancel(job.id)
            deadline = time.monotonic() + 10
            while job.is_active and time.monotonic() < deadline:
                manager.heartbeat(job.id)
                time.sleep(0.05)
            if how == "silent":
                assert job.status == "error" and "stopped responding" in job.error
            else:
                assert job.status == "stopped"
            assert wait_until(lambda child=child: not os.path.exists(f"/proc/{child}"), timeout=5)
        assert manager.stats()["running"] == 0
    finally:
        assert manager.shutdown(10)


def test_a_run_whose_thread_cannot_start_fails_in_words_and_frees_its_slot(monkeypatch):
    fake = FakeTrain()
    mgr = JobManager(slots=1, train_fn=fake, dataset_fn=fake_dataset)

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


def test_training_processes_never_run_the_servers_main_script(tmp_path):
    """Streamlit makes the dashboard script ``__main__`` at every script run; a child must not import it."""
    import sys
    import types

    from nnexplore.config import RunConfig

    marker = tmp_path / "main-script-ran"
    script = tmp_path / "fake_dashboard.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    real_main = sys.modules["__main__"]
    manager = JobManager(slots=1, processes=True)
    sys.modules["__main__"] = fake_main  # as a Streamlit script run leaves it
    try:
        job = manager.submit(RunConfig(epochs=1, n_samples=200, device="cpu"), "s1")
        deadline = time.monotonic() + 60
        while job.is_active and time.monotonic() < deadline:
            manager.heartbeat(job.id)
            time.sleep(0.02)
    finally:
        sys.modules["__main__"] = real_main
        assert manager.shutdown(10)
    assert job.status == "done", job.error
    assert not marker.exists()


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


def test_process_mode_start_stop_cycles_leave_no_process_thread_or_memory_behind():
    from nnexplore.config import RunConfig
    from nnexplore.jobs import forkserver_pid
    from nnexplore.procmem import descendants, rss_kb

    manager = JobManager(slots=1, processes=True, worker_idle_s=3600)
    long = RunConfig(epochs=50, n_samples=4000, batch_size=4, device="cpu")
    try:
        warm = manager.submit(long, "s1")  # the first run pays for imports and the forkserver
        assert wait_until(lambda: len(warm.records) >= 1, timeout=60)
        manager.cancel(warm.id)
        assert wait_until(lambda: not warm.is_active, timeout=10)
        threads, rss = threading.active_count(), rss_kb(os.getpid())
        for i in range(20):
            job = manager.submit(long.replace(seed=i), "s1")
            if i % 2:
                assert wait_until(lambda job=job: len(job.records) >= 1, timeout=30)
            manager.cancel(job.id)
            assert wait_until(lambda job=job: not job.is_active, timeout=10)
            assert job.status == "stopped"
        assert wait_until(lambda: not descendants(forkserver_pid()), timeout=5)  # no training process left
        assert wait_until(lambda: threading.active_count() <= threads, timeout=5)
        assert rss_kb(os.getpid()) - rss < 30_000  # KiB: records of 20 short runs, nothing more
    finally:
        assert manager.shutdown(10)
