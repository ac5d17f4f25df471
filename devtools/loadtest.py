"""Classroom load test (python -m devtools.loadtest): a whole class presses Train at once.

One real ``streamlit run`` on loopback with the training slots limited (1 by
default, as on Streamlit Community Cloud's single small core), pinned with its
training processes to one core, and many sessions on the other cores: by
default pages without a browser (devtools.protocol_pages: Streamlit's own
websocket protocol, nothing drawn), so the figures are the app's; with
``--client browser``, one headless Chromium context per learner, whose drawing
on a shared core bounded the figures themselves. Every
session opens the Playground with a short run, most on toy data and a few on
MNIST from a loopback mirror of ../shared/mnist, and they all press Train
within a few seconds of each other. Then every page is watched until its run
ends, and the figures the classroom issue asks for are printed: did every run
finish (or wait in the queue and then finish), did any page show an exception,
did any run lose records, how much memory did the server take, and how long
did learners wait from Train to done.

This module is the class and its cost: the configs, the server, its memory and
CPU, the report, the command line. What one session does and what its page
shows (the ``Page`` interface, the one driver of the steps, a synchronous poll
loop, and its Chromium and protocol adapters) is devtools.load_pages, which
says why. Apart from the protocol pages' asyncio loop (protocol_pages.LoopThread),
only the memory sampler runs in threads of its own (devtools.memory_sampler),
and it only reads /proc. Needs the dev requirements (websockets; Playwright and
Debian's chromium for --client browser); the core never imports this module.

``--ray ADDRESS --servers N``: a lecture hall. N servers, each with
``NNEXPLORE_RAY_ADDRESS=ADDRESS``, train on that Ray cluster (``--ray local``
starts one on this machine for the test, devtools.ray_head), and the sessions
are spread over them in turn. Runs trained are then the cluster's registry's count
(nnexplore.runs.ray_registry), and memory is the first server's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from devtools import local_servers, procmem
from devtools.load_pages import CLICK_CHECK_S, SessionResult, drive_protocol_sessions, drive_sessions
from devtools.memory_sampler import MemorySampler
from nnexplore.config import RunConfig

ROOT = Path(__file__).resolve().parents[1]
MNIST_FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")

#: A short toy run (about a second of training on one core) and the MNIST run of the issue.
TOY_BASE = RunConfig(n_samples=1000, epochs=15, device="cpu")
MNIST_CFG = RunConfig(dataset="mnist", hidden=(32,), train_size=2000, epochs=1, batch_size=64, device="cpu")
_TOY_VARIANTS = [
    ("moons", "relu"),
    ("circles", "tanh"),
    ("xor", "relu"),
    ("blobs", "gelu"),
    ("moons", "elu"),
    ("spiral", "tanh"),
    ("circles", "leaky_relu"),
]


def toy_configs(n: int) -> list[RunConfig]:
    """``n`` short toy runs, varied a little (dataset, activation, seed) as a class would."""
    return [
        TOY_BASE.replace(dataset=dataset, hidden_activation=act, seed=i % 5)
        for i, (dataset, act) in ((i, _TOY_VARIANTS[i % len(_TOY_VARIANTS)]) for i in range(n))
    ]


def worksheet_configs(sessions: int, links: int, mnist_links: int) -> list[RunConfig]:
    """``sessions`` learners following a worksheet of ``links`` shared links, in turn: session i
    opens link i % links. Identical links are one computation on the server (nnexplore.runs.shared)."""
    distinct = class_configs(links, mnist_links)
    return [distinct[i % links] for i in range(sessions)]


def class_configs(sessions: int, mnist_sessions: int) -> list[RunConfig]:
    """``sessions`` distinct runs, ``mnist_sessions`` of them on MNIST, spread through the class
    rather than all at the end of the queue."""
    cfgs = toy_configs(sessions - mnist_sessions)
    for k in range(mnist_sessions):
        cfgs.insert(min(len(cfgs), (k + 1) * sessions // (mnist_sessions + 1)), MNIST_CFG.replace(seed=k))
    return cfgs


# --------------------------------------------------------------------------- the load test


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def _dump_server_stacks(pid: int) -> None:
    """Ask the server to write every thread's stack to its log (nnexplore.ui.state registers SIGUSR1)."""
    os.kill(pid, signal.SIGUSR1)
    time.sleep(1.0)


def _seconds(values: list[float], fn: Any) -> str:
    return f"{fn(values):.1f} s" if values else "-"


def _cores(app_cores: int) -> str:
    """The app's cores, in words, as pinned by local_servers.app_pinned."""
    total = len(os.sched_getaffinity(0))
    if app_cores >= total:
        return f"all {total} cores, shared with the clients"
    return f"{app_cores} of {total} cores"


def run_load_test(
    sessions: int = 30,
    mnist_sessions: int = 5,
    slots: int = 1,
    timeout_s: float = 900,
    links: int = 0,
    client: str = "protocol",
    app_cores: int = 1,
    ray_address: str = "",
    servers: int = 1,
) -> int:
    """Run the classroom load test and print its table. 0 when every run finished cleanly, else 1.

    ``links`` > 0: the class follows a worksheet of that many shared links (``mnist_sessions`` of
    them on MNIST) instead of every learner opening a link of their own. ``client``: "protocol"
    (devtools.protocol_pages: the app's cost alone) or "browser" (headless Chromium pages, which
    on the test's one core for clients bound the figures themselves). ``ray_address``: the
    servers, ``servers`` of them, train on that Ray cluster (see the module docstring)."""
    missing = _missing_client(client)
    if missing:
        print(missing, file=sys.stderr)
        return 2
    mnist_sessions = max(0, min(mnist_sessions, sessions))
    have_mnist = all((local_servers.SHARED_MNIST / name).exists() for name in MNIST_FILES)
    if mnist_sessions and not have_mnist:
        print(
            f"No MNIST files in {local_servers.SHARED_MNIST}: every session trains on toy data.",
            file=sys.stderr,
        )
        mnist_sessions = 0
    if links:
        links = min(links, sessions)
        cfgs = worksheet_configs(sessions, links, min(mnist_sessions, links))
    else:
        cfgs = class_configs(sessions, mnist_sessions)
    app_cores_text = _cores(app_cores)  # before the pinning narrows this process's cores
    started = time.monotonic()
    backend = _Backend(ray_address, max(1, servers))
    run = _run_class(cfgs, slots, app_cores, app_cores_text, client, mnist_sessions > 0, timeout_s, backend)
    where = f"the Ray cluster at {ray_address}" if ray_address else f"{slots} on {app_cores_text}"
    return _report(run, where, time.monotonic() - started)


def _missing_client(client: str) -> str:
    """Why the ``client`` cannot run here ("" when it can)."""
    if client != "browser":
        return ""
    if not Path(local_servers.CHROMIUM).exists():
        return "The browser load test needs Debian's chromium: apt-get install chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "The browser load test needs Playwright: pip install -r requirements-dev.txt"
    return ""


@dataclass(frozen=True)
class _Backend:
    """Where the class's runs train: each server's own child processes, or a Ray cluster."""

    ray_address: str = ""
    servers: int = 1

    def trained(self) -> int | None:
        """Runs the cluster has trained so far (its registry's count); None without a cluster."""
        if not self.ray_address:
            return None
        import ray

        from nnexplore.runs.ray_runner import connect, registry

        connect(self.ray_address)
        return ray.get(registry().stats.remote(), timeout=30)["trained"]


@dataclass
class _Run:
    """What one load test measured, for the report."""

    results: list[SessionResult]
    sampler: MemorySampler
    idle_kb: int  # server RSS at start, no page open
    opened: dict[str, int]  # server RSS and whole app PSS once every page is open, before Train
    server_cpu_s: float
    server_log: str
    browsers: str  # the test's own clients' CPU (_browser_share)
    headless_s: float
    servers: int = 1
    cluster_trained: int | None = None  # runs the Ray cluster trained for this class


def _run_class(
    cfgs: list[RunConfig],
    slots: int,
    app_cores: int,
    app_cores_text: str,
    client: str,
    mnist: bool,
    timeout_s: float,
    backend: _Backend = _Backend(),
) -> _Run:
    """The class's servers (``mnist``: with a loopback MNIST mirror), its pages driven by
    ``client``, the first server's memory and CPU measured, then the distinct runs trained headless."""
    sampler: MemorySampler | None = None

    def stop_leftovers() -> None:  # registered before the server is started: runs once it has stopped
        if sampler is not None:
            sampler.stop_leftovers()

    with contextlib.ExitStack() as stack:
        data_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="nnexplore-loadtest-"))
        env = {
            "NNEXPLORE_SLOTS": str(slots),
            "NNEXPLORE_DATA_DIR": data_dir,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        if mnist:
            env["NNEXPLORE_MNIST_MIRRORS"] = stack.enter_context(
                local_servers.serve_folder(local_servers.SHARED_MNIST)
            )
            env["NNEXPLORE_MNIST_TEST_ONLY"] = "1"
        if backend.ray_address:  # the slots are then the cluster's CPUs
            env["NNEXPLORE_RAY_ADDRESS"] = backend.ray_address
            del env["NNEXPLORE_SLOTS"]
        trained_before = backend.trained()
        log_path = Path(data_dir) / "streamlit.log"
        stack.callback(stop_leftovers)
        urls, procs = [], []
        for n in range(backend.servers):
            url, proc = stack.enter_context(
                local_servers.streamlit_server(env, log_path.with_suffix(f".{n}.log"))
            )
            urls.append(url)
            procs.append(proc)
        # The app on its cores, the clients on the rest (all of them share every core when none
        # would be left). app_pinned keeps one server off the clients' cores: the others are
        # pinned again after it.
        stack.enter_context(local_servers.app_pinned(procs[0].pid, app_cores))
        for other in procs[1:]:
            local_servers.pin_tree(other.pid, set(sorted(os.sched_getaffinity(procs[0].pid))))
        url, proc = urls[0], procs[0]
        sampler = MemorySampler(proc.pid)
        stack.callback(sampler.note_children)  # just before the server stops
        client_cores = len(os.sched_getaffinity(0))  # as pinned, while the server runs
        sampler.sample()
        idle_kb = sampler.last_server_kb
        cpu_at_start = procmem.cpu_seconds(sampler.pid)
        sampler.start()
        stack.callback(sampler.stop)
        training = (
            f"on the Ray cluster at {backend.ray_address}" if backend.ray_address else f"{slots} slot(s)"
        )
        print(
            f"{len(urls)} server(s) up at {', '.join(urls)}, training {training}, on {app_cores_text}, "
            f"{_mb(idle_kb)}; opening {len(cfgs)} {client} sessions"
        )
        opened: dict[str, int] = {}
        browser_cpu: list[tuple[float, float]] = []  # (CPU seconds, time) of the test's browsers

        def note_browsers() -> None:
            browser_cpu.append((_browsers_cpu_s(sampler.pid), time.monotonic()))

        def note_memory() -> None:
            sampler.sample()
            opened.update(server=sampler.last_server_kb, total=sampler.last_total_kb)
            note_browsers()

        options = dict(
            timeout_s=timeout_s,
            log=sys.stdout,
            before_train=note_memory,
            progress_note=lambda: f"training processes alive: {sampler.training_processes}",
            after_train=note_browsers,
        )
        results = _drive_client(stack, client, urls, cfgs, sampler, options)
        cluster_trained = None if trained_before is None else backend.trained() - trained_before
        sampler.stop()
        sampler.sample()
        server_cpu_s = procmem.cpu_seconds(sampler.pid) - cpu_at_start
        with mock.patch.dict(os.environ, env):  # the MNIST files the server fetched, for the headless runs
            headless_s = headless_seconds(list(dict.fromkeys(cfgs)))
        log_text = "".join(
            log_path.with_suffix(f".{n}.log").read_text(encoding="utf-8", errors="replace")
            for n in range(len(urls))
        )
        with contextlib.suppress(OSError):  # kept for a look after the run (stacks of a stuck server)
            (ROOT / "test-artifacts").mkdir(exist_ok=True)
            (ROOT / "test-artifacts" / "loadtest-server.log").write_text(log_text, encoding="utf-8")
    browsers = _browser_share(browser_cpu, client_cores)
    return _Run(
        results,
        sampler,
        idle_kb,
        opened,
        server_cpu_s,
        log_text,
        browsers,
        headless_s,
        len(urls),
        cluster_trained,
    )


def _drive_client(
    stack: contextlib.ExitStack,
    client: str,
    url: str | Sequence[str],
    cfgs: Sequence[RunConfig],
    sampler: MemorySampler,
    options: dict[str, Any],
) -> list[SessionResult]:
    """The class's pages, protocol or browser (a Chromium started here, closed with ``stack``)."""
    if client != "browser":
        return drive_protocol_sessions(url, cfgs, **options)
    from playwright.sync_api import sync_playwright

    pw = stack.enter_context(sync_playwright())
    browser = pw.chromium.launch(executable_path=local_servers.CHROMIUM, args=local_servers.CHROMIUM_ARGS)
    stack.callback(browser.close)
    return drive_sessions(
        browser,
        url,
        cfgs,
        screenshots=ROOT / "test-artifacts",
        on_stuck=lambda: _dump_server_stacks(sampler.pid),
        **options,
    )


def headless_seconds(cfgs: Sequence[RunConfig]) -> float:
    """Seconds the distinct runs take one after another with train() alone (one torch thread, as a
    training slot has): what the class's runs would cost with no pages at all."""
    import torch

    from nnexplore.training import train

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        total = 0.0
        for cfg in cfgs:
            started = time.perf_counter()
            for _ in train(cfg):
                pass
            total += time.perf_counter() - started
        return total
    finally:
        torch.set_num_threads(threads)


def _browsers_cpu_s(server_pid: int) -> float:
    """CPU seconds so far of this test's own clients: this process (the protocol pages, or
    Playwright's driver) and the processes below it (Chromium), the server's tree left out."""
    server_tree = set(procmem.descendants(server_pid)) | {server_pid}
    mine = [os.getpid(), *(pid for pid in procmem.descendants(os.getpid()) if pid not in server_tree)]
    return sum(procmem.cpu_seconds(pid) for pid in mine)


def _browser_share(readings: list[tuple[float, float]], cores: int) -> str:
    """The browsers' CPU from the first Train to the last page's end, as a share of their cores:
    near 100%, the test's figures are bounded by its own browsers, not by the app."""
    if len(readings) < 2:
        return "-"
    (cpu0, t0), (cpu1, t1) = readings[0], readings[-1]
    return f"{cpu1 - cpu0:.0f} s, {(cpu1 - cpu0) / max(t1 - t0, 1e-9) / cores:.0%} of {cores} core(s)"


def _report(run: _Run, slots: str, wall_s: float) -> int:
    """Print the table (and each session with a problem, on stderr); 0 when every run finished
    cleanly, else 1."""
    results = run.results
    finished = [r for r in results if r.state == "done"]
    rows = _rows(run, slots, wall_s)
    width = max(len(name) for name, _ in rows)
    print(f"\nnnexplore load test · {os.cpu_count()} CPUs")
    print(f"| {'measure':<{width}} | result")
    print(f"|{'-' * (width + 2)}|-------")
    for name, value in rows:
        print(f"| {name:<{width}} | {value}")
    problems = [
        r
        for r in results
        if r.state != "done" or r.exceptions or r.records_lost or r.problem or r.disconnected
    ]
    for r in problems:
        detail = r.problem or r.final_text
        counts = f", records {r.records}/{r.expected}" if r.expected is not None else ""
        print(
            f"session {r.index} ({r.cfg.dataset}): {r.state}, queued {r.queued}, exceptions {r.exceptions}, "
            f"lost the server {r.disconnected}{counts}. {detail}",
            file=sys.stderr,
        )
    exceptions = sum(r.exceptions for r in results)
    lost = sum(r.records_lost for r in results)
    unchecked = sum(1 for r in finished if r.records is None)
    ok = len(finished) == len(results) and exceptions == 0 and lost == 0 and unchecked == 0
    return 0 if ok else 1


def _rows(run: _Run, slots: str, wall_s: float) -> list[tuple[str, str]]:
    """The table's rows: (measure, result)."""
    results, sampler, opened, headless_s = run.results, run.sampler, run.opened, run.headless_s
    finished = [r for r in results if r.state == "done"]
    times = [r.train_to_done_s for r in finished if r.train_to_done_s is not None]
    firsts = [r.first_status_s for r in results if r.first_status_s is not None]
    finals = [r.final_page_s for r in results if r.final_page_s is not None]
    lost = sum(r.records_lost for r in results)
    unchecked = sum(1 for r in finished if r.records is None)
    n_mnist = sum(r.cfg.dataset == "mnist" for r in results)
    if run.cluster_trained is None:
        trained = (
            "runs trained (training processes seen, every 10 ms) / distinct runs asked",
            f"{len(sampler.trained)} / {len({r.cfg for r in results})}",
        )
    else:
        trained = (
            "runs trained on the cluster (its registry's count) / distinct runs asked",
            f"{run.cluster_trained} / {len({r.cfg for r in results})}",
        )
    return [
        ("sessions (toy + MNIST)", f"{len(results)} ({len(results) - n_mnist} + {n_mnist})"),
        ("dashboard servers (the sessions spread over them in turn)", str(run.servers)),
        ("training slots, on the app's cores" if run.cluster_trained is None else "where runs train", slots),
        ("runs finished (done)", f"{len(finished)} of {len(results)}"),
        (
            f"Train pressed again (no status {CLICK_CHECK_S:.0f} s after the first press)",
            str(sum(r.pressed_again for r in results)),
        ),
        ("queued, then finished", str(sum(r.queued for r in finished))),
        ("pages showing an exception", str(sum(r.exceptions > 0 for r in results))),
        ("records lost", str(lost) + (f" ({unchecked} runs not checked)" if unchecked else "")),
        ("tracebacks in the server log", str(run.server_log.count("Traceback"))),
        ("pages that lost the server (Connection error)", str(sum(r.disconnected for r in results))),
        ("first server's memory at start, no page open (RSS)", _mb(run.idle_kb)),
        (
            "every page open before Train: server RSS / whole app PSS",
            f"{_mb(opened.get('server', 0))} / {_mb(opened.get('total', 0))}",
        ),
        ("peak server RSS", _mb(sampler.peak_server_kb)),
        ("peak whole app PSS (server, forkserver, training processes)", _mb(sampler.peak_total_kb)),
        ("Train → first status on the page, median", _seconds(firsts, statistics.median)),
        ("Train → first status on the page, worst", _seconds(firsts, max)),
        ("Train → done, median", _seconds(times, statistics.median)),
        ("Train → done, worst", _seconds(times, max)),
        ("Train → the finished page drawn (charts, downloads), median", _seconds(finals, statistics.median)),
        ("Train → the finished page drawn, worst", _seconds(finals, max)),
        (
            "the distinct runs one after another, train() alone (headless) / 1.3 × that + 15 s",
            "-" if headless_s is None else f"{headless_s:.1f} s / {1.3 * headless_s + 15:.1f} s",
        ),
        trained,
        (
            "most runs training at once (training processes, same samples)",
            str(sampler.most_training) if run.cluster_trained is None else "- (on the cluster)",
        ),
        (
            "first server's process CPU (Streamlit: pages and redraws), share of one core",
            f"{run.server_cpu_s:.0f} s, {run.server_cpu_s / max(wall_s, 1e-9):.0%}",
        ),
        (
            "the test's own clients (this process, any Chromium), first Train to last end: CPU, share",
            run.browsers,
        ),
        ("whole load test", f"{wall_s:.0f} s"),
    ]


def main(argv: list[str] | None = None) -> int:
    """``python -m devtools.loadtest``: many browser sessions press Train at once."""
    parser = argparse.ArgumentParser(
        prog="python -m devtools.loadtest",
        description="A whole class presses Train at once (--client browser needs chromium and Playwright).",
    )
    parser.add_argument("--sessions", type=int, default=30, help="learners' sessions (default 30)")
    parser.add_argument("--mnist", type=int, default=5, help="how many of them train on MNIST (default 5)")
    parser.add_argument("--slots", type=int, default=1, help="training slots of the server (default 1)")
    parser.add_argument(
        "--app-cores",
        type=int,
        default=1,
        help="cores for the app (server and training processes), the clients get the rest; all of them "
        "share every core when none is left (default 1, as on a Cloud box)",
    )
    parser.add_argument(
        "--links",
        type=int,
        default=0,
        help="a worksheet: the sessions open this many shared links in turn, --mnist of them on MNIST "
        "(default 0: every session its own run)",
    )
    parser.add_argument(
        "--client",
        choices=("protocol", "browser"),
        default="protocol",
        help="protocol: each session speaks Streamlit's websocket protocol from Python and draws "
        "nothing (the app's cost alone); browser: one headless Chromium page per session (default protocol)",
    )
    parser.add_argument(
        "--ray",
        metavar="ADDRESS",
        default="",
        help="the servers train on this Ray cluster, host:port; 'local': one started on this machine for "
        "the test (devtools.ray_head, 2 CPUs) and stopped after it",
    )
    parser.add_argument(
        "--servers", type=int, default=1, help="dashboard servers, the sessions spread over them (default 1)"
    )
    args = parser.parse_args(argv)
    if args.ray == "local":
        from devtools.ray_head import local_ray_head

        with local_ray_head() as address:
            return main([*(argv if argv is not None else sys.argv[1:]), "--ray", address])
    return run_load_test(
        sessions=args.sessions,
        mnist_sessions=args.mnist,
        slots=args.slots,
        links=args.links,
        client=args.client,
        app_cores=args.app_cores,
        ray_address=args.ray,
        servers=args.servers,
    )


if __name__ == "__main__":
    sys.exit(main())
