"""Runs on a Ray cluster (nnexplore.runs.ray_runner, ray_registry, ray_task), on a real local cluster.

The cluster (tests/conftest.py's ``ray_cluster``) is started once for the session and
stopped by its own processes. Each test asks for runs of its own seed, so that none is
joined or served from another test's runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nnexplore.config import RunConfig
from nnexplore.runs import JobManager, ProcessRunner, RunStore
from nnexplore.runs.job import JOINED, STORED

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[2]
VIEW_FN = "nnexplore.snapshots:model_view"
#: Record fields that measure time: the same run gives the same values of every other field.
TIMED = ("elapsed_s",)


def ray_manager(slots: int = 2) -> JobManager:
    from nnexplore.runs.ray_runner import RayRunner

    return JobManager(slots=slots, runner=RayRunner(view_fn=VIEW_FN), store=RunStore(20, 50))


def registry_stats() -> dict:
    import ray

    from nnexplore.runs.ray_runner import registry

    return ray.get(registry().stats.remote(), timeout=20)


def run_to_end(manager: JobManager, job, limit_s: float = 120.0) -> None:
    deadline = time.monotonic() + limit_s
    while job.is_active and time.monotonic() < deadline:
        manager.heartbeat(job.id)
        time.sleep(0.05)
    assert not job.is_active, f"still {job.status} after {limit_s} s"


def wait_for_records(manager: JobManager, job, n: int = 1, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while len(job.records) < n and job.is_active and time.monotonic() < deadline:
        manager.heartbeat(job.id)
        time.sleep(0.02)
    assert len(job.records) >= n, (job.status, job.error)


def untimed(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in TIMED} for r in records]


def long_run(seed: int) -> RunConfig:
    """About a minute of training: long enough to act on mid-run."""
    return RunConfig(epochs=50, n_samples=20000, batch_size=8, seed=seed, device="cpu")


def test_a_run_on_ray_gives_the_records_and_timeline_a_child_process_gives(ray_cluster):
    cfg = RunConfig(dataset="moons", n_samples=400, epochs=4, batch_size=4, seed=101, device="cpu")
    on_ray, here = ray_manager(), JobManager(slots=1, runner=ProcessRunner(view_fn=VIEW_FN))
    try:
        ray_job, local_job = on_ray.submit(cfg, "a"), here.submit(cfg, "a")
        run_to_end(on_ray, ray_job)
        run_to_end(here, local_job)
        assert ray_job.status == local_job.status == "done", (ray_job.error, local_job.error)
        assert untimed(ray_job.records) == untimed(local_job.records)
        assert [f["step"] for f in ray_job.timeline] == [f["step"] for f in local_job.timeline]
        assert ray_job.view is not None and set(ray_job.view) == set(local_job.view)
        assert ray_job.shared_from == ""  # new to the cluster: no note
    finally:
        assert on_ray.shutdown(10) and here.shutdown(10)


def test_stop_ends_a_run_on_ray_within_a_second_with_its_last_record(ray_cluster):
    manager = ray_manager()
    try:
        job = manager.submit(long_run(102), "a")
        wait_for_records(manager, job)
        asked = time.monotonic()
        manager.cancel(job.id)
        while job.is_active and time.monotonic() - asked < 10:
            time.sleep(0.02)
        assert job.status == "stopped"
        assert time.monotonic() - asked < 2.0
        assert job.records[-1]["status"] == "stopped"
        deadline = time.monotonic() + 5
        while registry_stats()["training"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert registry_stats()["training"] == 0  # the task itself ended, not only this server's copy
    finally:
        assert manager.shutdown(10)


def test_pause_step_and_resume_reach_the_task(ray_cluster):
    manager = ray_manager()
    try:
        job = manager.submit(long_run(103), "a")
        wait_for_records(manager, job, 3)
        assert manager.pause(job.id)
        time.sleep(1.0)  # the task sees the pause within a fifth of a second, then holds
        held = len(job.records)
        time.sleep(1.0)
        assert len(job.records) == held
        assert manager.step(job.id)
        wait_for_records(manager, job, held + 1, limit_s=10)
        time.sleep(1.0)
        assert len(job.records) == held + 1  # one record, then it holds again
        assert manager.resume(job.id)
        wait_for_records(manager, job, held + 3, limit_s=10)
        manager.cancel(job.id)
    finally:
        assert manager.shutdown(10)


def _training_workers() -> list[int]:
    """Process ids of Ray workers running a training task (Ray names them after the task)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"ray::train_stream" in f.read():
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_a_killed_worker_ends_the_run_with_a_sentence_and_the_cluster_goes_on(ray_cluster):
    from nnexplore.runs.ray_registry import LOST

    manager = ray_manager()
    try:
        job = manager.submit(long_run(104), "a")
        wait_for_records(manager, job)
        workers = _training_workers()
        assert len(workers) == 1, workers
        os.kill(workers[0], signal.SIGKILL)
        run_to_end(manager, job, limit_s=30)
        assert job.status == "error"
        assert job.error == LOST
        after = manager.submit(RunConfig(dataset="moons", n_samples=400, epochs=2, seed=104), "a")
        run_to_end(manager, after)
        assert after.status == "done", after.error  # the next run trains as ever
    finally:
        assert manager.shutdown(10)


SECOND_SERVER = textwrap.dedent(
    """
    import json, sys, time
    from nnexplore.config import RunConfig
    from nnexplore.runs import JobManager, RunStore
    from nnexplore.runs.ray_runner import RayRunner, connect

    connect(sys.argv[1])
    manager = JobManager(slots=2, runner=RayRunner(view_fn="nnexplore.snapshots:model_view"), store=RunStore(5, 20))
    job = manager.submit(RunConfig(**json.loads(sys.argv[2])), "b")
    deadline = time.monotonic() + 120
    while job.is_active and time.monotonic() < deadline:
        manager.heartbeat(job.id)
        time.sleep(0.05)
    print(json.dumps({"status": job.status, "shared_from": job.shared_from,
                      "losses": [r.get("loss") for r in job.records], "frames": len(job.timeline)}))
    manager.shutdown(10)
    """
)


def test_two_servers_in_two_processes_train_a_shared_run_once(ray_cluster):
    """A run asked on server A, then on server B while it trains, trains once; a third server
    asking after it ended gets it whole from the cluster's store."""
    cfg = RunConfig(dataset="moons", n_samples=2000, epochs=40, batch_size=8, seed=105, device="cpu")
    manager = ray_manager()
    try:
        trained_before = registry_stats()["trained"]
        job = manager.submit(cfg, "a")
        wait_for_records(manager, job)
        second = subprocess.run(
            [sys.executable, "-c", SECOND_SERVER, ray_cluster, json.dumps(cfg.to_dict())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert second.returncode == 0, second.stderr[-2000:]
        theirs = json.loads(second.stdout.strip().splitlines()[-1])
        run_to_end(manager, job)
        assert job.status == theirs["status"] == "done"
        assert theirs["shared_from"] == JOINED
        assert theirs["losses"] == [r.get("loss") for r in job.records]
        assert theirs["frames"] == len(job.timeline)
        assert registry_stats()["trained"] == trained_before + 1

        third = ray_manager()  # a server of its own: its own store is empty
        try:
            late = third.submit(cfg, "c")
            run_to_end(third, late, limit_s=30)
            assert late.status == "done" and late.shared_from == STORED
            assert untimed(late.records) == untimed(job.records)
            assert len(late.timeline) == len(job.timeline)
            assert registry_stats()["trained"] == trained_before + 1
        finally:
            assert third.shutdown(10)
    finally:
        assert manager.shutdown(10)


def test_a_run_that_asks_for_a_gpu_on_a_cluster_without_one_says_so_at_once(ray_cluster):
    from nnexplore.runs.ray_runner import NO_GPU

    manager = ray_manager()
    try:
        job = manager.submit(
            RunConfig(dataset="moons", n_samples=400, epochs=2, seed=106, device="cuda"), "a"
        )
        run_to_end(manager, job, limit_s=20)
        assert (job.status, job.error) == ("error", NO_GPU)
    finally:
        assert manager.shutdown(10)
