"""A local Ray cluster for tests, the load test and trying the Ray back end: ``local_ray_head()``.

``ray start --head --block`` in a process of its own, on free loopback ports, with a
temporary folder of its own; yields the address a server's ``NNEXPLORE_RAY_ADDRESS``
takes. On exit it stops that cluster by its own processes (the ``ray start`` process and
every process below it, Ray's workers included), never by name: ``ray stop`` would stop
every Ray cluster on the machine, another session's or a learner's included.

    python -m devtools.ray_head     # a cluster on 2 CPUs until Ctrl-C; prints its address
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from devtools.local_servers import free_port
from devtools.procmem import descendants, process_identity

#: Seconds a head may take to answer; it starts in about 5 s on 2 busy cores.
START_LIMIT_S = 90.0
#: Seconds ``ray start --block`` gets to stop what it started before all of it is killed.
STOP_GRACE_S = 3.0
#: The object store's size: runs' messages are small, and the machine is shared.
OBJECT_STORE_BYTES = 200 * 1024 * 1024


def _ray_command() -> str:
    return str(Path(sys.executable).with_name("ray"))


def _ready(address: str) -> bool:
    """True once a driver can join the cluster (``ray status`` answers)."""
    check = subprocess.run(
        [_ray_command(), "status", "--address", address],
        capture_output=True,
        timeout=30,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    return check.returncode == 0


@contextmanager
def local_ray_head(num_cpus: int = 2, log_path: Path | None = None) -> Iterator[str]:
    """A Ray head on 127.0.0.1 with ``num_cpus`` CPUs; yields its address, host:port."""
    port = free_port()
    address = f"127.0.0.1:{port}"
    # Ray's sockets live under the temporary folder: a short path keeps them under the 107
    # characters a Unix socket's name may have.
    temp = tempfile.mkdtemp(prefix="nnxray", dir="/tmp")
    cmd = [
        _ray_command(),
        "start",
        "--head",
        "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={port}",
        f"--num-cpus={num_cpus}",
        "--num-gpus=0",
        f"--object-store-memory={OBJECT_STORE_BYTES}",
        f"--temp-dir={temp}",
        "--include-dashboard=false",
        "--disable-usage-stats",
        f"--node-manager-port={free_port()}",
        f"--object-manager-port={free_port()}",
        f"--runtime-env-agent-port={free_port()}",
        f"--dashboard-agent-grpc-port={free_port()}",
        f"--dashboard-agent-listen-port={free_port()}",
        f"--metrics-export-port={free_port()}",
    ]
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + START_LIMIT_S
        while proc.poll() is None and not _ready(address):
            if time.monotonic() > deadline:
                raise RuntimeError(f"the Ray head did not start (log: {log_path or 'not kept'})")
            time.sleep(1.0)
        if proc.poll() is not None:
            raise RuntimeError(f"the Ray head did not start (log: {log_path or 'not kept'})")
        yield address
    finally:
        stop_tree(proc)
        if log_path:
            log.close()


def stop_tree(proc: subprocess.Popen) -> None:
    """Stop ``proc`` and every process below it: SIGTERM first (``ray start --block`` then stops
    what it started), SIGKILL for whatever is left STOP_GRACE_S later. Each process is known by
    its id and start time, so a number the system has since given another process is left alone."""
    below = {pid: process_identity(pid) for pid in descendants(proc.pid)}
    proc.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(STOP_GRACE_S)
    if proc.poll() is None:
        proc.kill()
        proc.wait(5)
    for pid, identity in below.items():
        if identity is not None and process_identity(pid) == identity:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def main() -> int:
    with local_ray_head() as address:
        print(f"A Ray cluster on 2 CPUs at {address}; Ctrl-C stops it.", flush=True)
        print(f"  NNEXPLORE_RAY_ADDRESS={address} streamlit run dashboard.py", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
