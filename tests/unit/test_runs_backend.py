"""Which back end trains a server's runs (nnexplore.runs.backend), without a cluster.

With a cluster: tests/cluster/test_ray_back_end.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from devtools.local_servers import free_port
from nnexplore.runs.backend import choose_backend
from nnexplore.runs.process import ProcessRunner
from nnexplore.runs.ray_registry import SKIPPED, Run, compact


def test_without_the_setting_runs_train_in_child_processes(monkeypatch):
    monkeypatch.delenv("NNEXPLORE_RAY_ADDRESS", raising=False)
    chosen = choose_backend("nnexplore.snapshots:model_view")
    assert isinstance(chosen.runner, ProcessRunner) and chosen.slots is None and chosen.problem == ""


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("127.0.0.1:{free}", "No Ray cluster answers at 127.0.0.1:"),
        ("a cluster please", "is not an address"),
        ("ray://127.0.0.1:10001", "is a Ray Client address"),
    ],
)
def test_a_cluster_that_cannot_be_used_is_a_sentence_and_the_server_trains_itself(monkeypatch, address, said):
    monkeypatch.setenv("NNEXPLORE_RAY_ADDRESS", address.format(free=free_port()))
    started = time.monotonic()
    chosen = choose_backend("nnexplore.snapshots:model_view")
    assert time.monotonic() - started < 5  # said at once, never a hang
    assert isinstance(chosen.runner, ProcessRunner)
    assert said in chosen.problem and chosen.problem.endswith("Runs train on this server instead.")


def test_the_package_never_imports_ray_unless_the_address_is_set():
    """The server, the dashboard's pages and the back-end choice import no ray without the setting."""
    code = (
        "import sys\n"
        "from nnexplore.runs.backend import choose_backend\n"
        "import nnexplore.ui.state, nnexplore.runs\n"
        "choose_backend('nnexplore.snapshots:model_view')\n"
        "print('ray' in sys.modules)\n"
    )
    env = {**os.environ, "NNEXPLORE_RAY_ADDRESS": ""}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_the_store_keeps_every_record_and_moment_and_only_the_last_live_view():
    messages = [
        ("progress", (0.5, "loading")),
        ("running", None),
        ("view", {"frame": {"step": 0}, "a": 1}),
        ("view", {"a": 2}),
        ("record", {"step": 1}),
        ("view", {"a": 3}),
        ("view", {"frame": {"step": 2}, "a": 4}),
        ("record", {"step": 2}),
        ("view", {"a": 5}),
        ("end", None),
    ]
    kept = compact(messages)
    assert [m for m in kept if m[0] != "view"] == [m for m in messages if m[0] != "view"]
    assert [m[1]["a"] for m in kept if m[0] == "view"] == [1, 4, 5]


def test_a_run_in_the_registry_keeps_only_its_newest_live_view_and_every_count_stays():
    messages = [("running", None), ("view", {"a": 1}), ("record", {"step": 1})]
    run = Run("key")
    run.add(messages)
    run.add([("view", {"a": 2}), ("view", {"frame": {"step": 1}, "a": 3}), ("view", {"a": 4})])
    assert len(run.messages) == 6  # a follower's count of what it read stays right
    assert run.messages[1] == run.messages[3] == SKIPPED
    assert [m[1]["a"] for m in run.messages if m[0] == "view"] == [3, 4]
    assert run.last_record == {"step": 1}
    assert compact(run.messages) == [messages[0], messages[2], run.messages[4], run.messages[5]]
