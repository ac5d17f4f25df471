"""The dashboard's back end: runs train in children of a forkserver (nnexplore.runs.process).

These start real training processes, so they are slower than test_runs_manager.py.
"""

from __future__ import annotations

import os
import threading
import time

import pytest
from fake_training import wait_until

from nnexplore.runs import JobManager, ProcessRunner
from nnexplore.runs.forkserver import forkserver_pid, stop_process_context


def test_process_mode_trains_in_a_child_and_relays_records_views_and_stop():
    """The dashboard trains in child processes: records, views and Stop must cross the pipe."""
    from nnexplore.config import RunConfig
    from nnexplore.training import expected_records

    # named, as the dashboard names it: the server never imports the view's module (torch)
    manager = JobManager(slots=1, runner=ProcessRunner(view_fn="nnexplore.snapshots:model_view"))
    try:
        cfg = RunConfig(epochs=4, n_samples=1000, device="cpu")  # 100 steps: a first and a last picture
        job = manager.submit(cfg, "s1")
        long = manager.submit(cfg.replace(epochs=50, n_samples=4000, batch_size=4), "s1")
        assert manager.queue_position(long.id) == 1
        deadline = time.monotonic() + 60
        while job.is_active and time.monotonic() < deadline:
            manager.heartbeat(job.id)
            manager.heartbeat(long.id)
            time.sleep(0.05)
        assert job.status == "done", job.error
        assert len(job.records) == expected_records(cfg, 800)
        assert job.view is not None and "grid" in job.view
        assert len(job.view["points"]["x"]) == 1000  # the decision chart's points come with the view
        # the first picture's pushes ride along with the last: a short run's start stays visible
        assert set(job.view["first_pushes"]) == {"p_right", "push"}
        assert job.view["first_pushes"]["p_right"].mean() < job.view["pushes"]["p_right"].mean()
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


def test_a_real_run_keeps_its_timeline_frames_and_the_store_serves_the_same_timeline():
    """The child marks up to FRAMES records for the timeline; their frames reach the Job in order,
    the run's first and last record among them, and a run served from the store has the same."""
    from nnexplore.config import RunConfig
    from nnexplore.moments import FRAMES, timeline_records
    from nnexplore.runs.store import RunStore

    manager = JobManager(
        slots=1, runner=ProcessRunner(view_fn="nnexplore.snapshots:model_view"), store=RunStore(10, 50)
    )
    try:
        cfg = RunConfig(dataset="moons", n_samples=400, epochs=4, batch_size=4, device="cpu")  # 32 records
        job = manager.submit(cfg, "s1")
        deadline = time.monotonic() + 60
        while job.is_active and time.monotonic() < deadline:
            manager.heartbeat(job.id)
            time.sleep(0.05)
        assert job.status == "done", job.error
        records, timeline = job.records, job.timeline_since(0)
        assert len(records) > FRAMES >= len(timeline) > FRAMES - 5
        picked = sorted(timeline_records(len(records)))
        assert [f["step"] for f in timeline] == [records[i]["step"] for i in picked]
        assert (timeline[0]["step"], timeline[-1]["step"]) == (records[0]["step"], records[-1]["step"])
        epochs = [f["epoch"] for f in timeline]
        assert epochs == sorted(set(epochs)) and epochs[-1] == cfg.epochs
        assert "grid" in timeline[-1]  # a picture of the plane, as nnexplore.moments.frame_of cuts it
        assert "frame" not in job.view  # taken off the view: the latest view holds no frame
        again = manager.submit(cfg, "s2")
        assert again.status == "done" and again.shared_from == "stored"
        assert len(again.timeline) == len(timeline)
        assert all(a is b for a, b in zip(again.timeline, timeline, strict=True))
    finally:
        assert manager.shutdown(10)


def test_process_mode_reports_a_training_error_in_words():
    import torch

    from nnexplore.config import RunConfig

    if torch.cuda.is_available():
        pytest.skip("needs a machine without a GPU")
    manager = JobManager(slots=1, runner=ProcessRunner())
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

    stop_process_context()
    manager = JobManager(slots=1, runner=ProcessRunner(worker_idle_s=0.5))
    try:
        assert forkserver_pid() is None
        pids = []
        for seed in range(2):  # the second run finds the forkserver gone and starts a new one
            # Another seed: the same run again would come back from the store, with no process at all.
            job = manager.submit(RunConfig(epochs=1, n_samples=200, device="cpu", seed=seed), "s1")
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
    from thread_runner import ThreadRunner

    stop_process_context()
    runner = ProcessRunner(worker_idle_s=0.5)
    manager = JobManager(slots=1, runner=runner)
    try:
        manager.prepare()
        assert forkserver_pid() is not None
        # The stop waits for the forkserver to finish importing torch (seconds, by machine):
        # wait for the runner to say it stopped it, then check that it is gone.
        assert runner.workers_stopped.wait(timeout=120)
        assert forkserver_pid() is None
    finally:
        assert manager.shutdown(10)
    thread_mode = JobManager(slots=1, runner=ThreadRunner())
    thread_mode.prepare()  # nothing to prepare: runs are threads
    assert forkserver_pid() is None


def _training_child() -> int:
    """The pid of the one training process (a child of the forkserver)."""
    from devtools.procmem import descendants

    assert wait_until(lambda: forkserver_pid() is not None and len(descendants(forkserver_pid())) == 1, 10)
    return next(iter(descendants(forkserver_pid())))


def test_a_hung_training_process_is_ended_with_a_message_not_waited_for():
    """A child that is alive but silent (here: frozen with SIGSTOP) must not hold its slot for ever."""
    import signal

    from nnexplore.config import RunConfig

    manager = JobManager(slots=1, runner=ProcessRunner(silence_limit_s=1.5, stop_grace_s=1.0))
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
    manager = JobManager(slots=1, runner=ProcessRunner())
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


def test_the_forkserver_loads_the_training_code_whatever_the_working_folder(tmp_path):
    """A server started elsewhere, as ``streamlit run /path/dashboard.py`` or ``python -P`` does:
    the package is on the server's sys.path but not in the working folder. The forkserver must
    still preload the training code, or every child runs the server's main script itself."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    marker = tmp_path / "main-script-ran"
    script = tmp_path / "fake_dashboard.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\n")
    code = f"""
import sys, time, types
sys.path.insert(0, {str(root)!r})
from nnexplore.config import RunConfig
from nnexplore.runs import JobManager, ProcessRunner
fake = types.ModuleType("__main__"); fake.__file__ = {str(script)!r}
manager = JobManager(slots=1, runner=ProcessRunner())
sys.modules["__main__"] = fake
job = manager.submit(RunConfig(epochs=1, n_samples=200, device="cpu"), "s1")
deadline = time.monotonic() + 90
while job.is_active and time.monotonic() < deadline:
    manager.heartbeat(job.id); time.sleep(0.05)
manager.shutdown(10)
print(job.status, job.error)
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-P", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == "done", done.stdout + done.stderr
    assert not marker.exists(), "a training process ran the server's main script: the preload failed"


def test_process_mode_start_stop_cycles_leave_no_process_thread_or_memory_behind():
    from devtools.procmem import descendants, rss_kb
    from nnexplore.config import RunConfig

    manager = JobManager(slots=1, runner=ProcessRunner(worker_idle_s=3600))
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
