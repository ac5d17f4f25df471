"""Servers on loopback for tests, benchmarks and the load test: no test touches the internet.

``streamlit_server(env)`` runs ``streamlit run dashboard.py`` on a free port and
stops it afterwards; ``script`` names another entry point (``cloud/streamlit_app.py``).

``serve_folder(folder)`` serves the files of a folder on 127.0.0.1 and yields
its base URL. ``overrides`` replaces a file's bytes (a wrong or damaged file,
sent with a correct Content-Length); ``cut`` sends only the first n bytes of a
file while announcing its full length, then drops the connection (a download
cut short). ``dead_mirror_url()`` is a URL where nothing listens.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from pathlib import Path

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "SHARED_MNIST",
    "dead_mirror_url",
    "free_port",
    "serve_folder",
    "streamlit_server",
]

ROOT = Path(__file__).resolve().parents[1]
#: The real MNIST test set beside the project (tests, benchmarks, load test); never committed.
SHARED_MNIST = ROOT.parent / "shared" / "mnist"
#: Debian's chromium and the flags a headless run in a container needs.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    env: Mapping[str, str], log_path: Path | None = None, script: str = "dashboard.py"
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``streamlit run <script>`` from the repository root on a free loopback port; yields (URL,
    process); stops it on exit. ``script`` is relative to the root (default ``dashboard.py``).

    ``-P`` keeps the working directory off ``sys.path``, as the ``streamlit`` command does
    (``python -m`` would put it there): Streamlit adds only the script's folder, so an entry
    point outside the root is tested the way Cloud runs it.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    cmd = [
        sys.executable,
        "-P",
        "-m",
        "streamlit",
        "run",
        str(ROOT / script),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]
    log = open(log_path, "w") if log_path else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start (log: {log_path or 'not kept'})")
            time.sleep(0.3)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if log_path:
            log.close()


class _Handler(http.server.SimpleHTTPRequestHandler):
    overrides: Mapping[str, bytes] = {}
    cut: Mapping[str, int] = {}
    requests_seen: list[str]

    def log_message(self, format: str, *args: object) -> None:  # stdlib signature
        pass  # keep test output clean

    def do_GET(self) -> None:  # stdlib name
        name = self.path.lstrip("/").split("?")[0]
        self.requests_seen.append(name)
        if name in self.overrides:
            self._send(self.overrides[name], len(self.overrides[name]))
        elif name in self.cut:
            data = Path(self.directory, name).read_bytes()
            self._send(data[: self.cut[name]], len(data))
            self.close_connection = True
        else:
            super().do_GET()

    def _send(self, body: bytes, length: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


@contextmanager
def serve_folder(
    folder: str | Path,
    overrides: Mapping[str, bytes] | None = None,
    cut: Mapping[str, int] | None = None,
    requests_seen: list[str] | None = None,
) -> Iterator[str]:
    """Serve ``folder`` over HTTP on loopback; yield the base URL (ending in /).

    ``requests_seen``, when given, receives the name of every file requested,
    so a test can tell whether a download happened.
    """
    handler = type(
        "MirrorHandler",
        (_Handler,),
        {
            "overrides": dict(overrides or {}),
            "cut": dict(cut or {}),
            "requests_seen": requests_seen if requests_seen is not None else [],
        },
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def dead_mirror_url() -> str:
    """A loopback URL where nothing listens: connecting is refused at once.

    The port is taken from the OS and released; another process grabbing it in
    the instant between is possible but vanishingly unlikely in a test run.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def pin_tree(root: int, cores: set[int], skip: int | None = None) -> None:
    """Every thread of ``root`` and of the processes below it (except ``skip`` and its own) on
    ``cores``. Linux pins one thread at a time: pinning a process's id pins its first thread
    only, and a browser started before the pin runs its other threads where it likes."""
    from devtools.procmem import descendants

    left_out = {skip, *descendants(skip)} if skip is not None else set()
    for pid in (root, *descendants(root)):
        if pid in left_out:
            continue
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:  # the process has just ended
            continue
        for task in tasks:
            with contextlib.suppress(OSError):  # the thread has just ended
                os.sched_setaffinity(int(task), cores)


@contextmanager
def app_pinned(server_pid: int, app_cores: int = 1) -> Iterator[bool]:
    """The server (and the training processes it starts later) on the first ``app_cores`` cores,
    as on a one-core Cloud box by default; this process and everything it started (browsers
    included, even ones started before) on the others, so that a measurement is the app's and
    not the browsers'. Yields False (nothing pinned) when no core would be left for the
    browsers. On exit this process and its browsers get all their cores back (a second
    measurement in the same process would otherwise start on the browsers' cores only)."""
    mine = os.sched_getaffinity(0)
    cores = sorted(mine)
    if len(cores) <= app_cores:
        yield False
        return
    pin_tree(server_pid, set(cores[:app_cores]))
    pin_tree(os.getpid(), set(cores[app_cores:]), skip=server_pid)
    try:
        yield True
    finally:
        pin_tree(os.getpid(), mine, skip=server_pid)
