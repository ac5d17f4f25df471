"""Runs train on a Ray cluster: the back end of a server started with ``NNEXPLORE_RAY_ADDRESS``.

The job manager works as ever (slots, queue, sharing between this server's
sessions); each computation it hands this runner is asked of the cluster's registry
(nnexplore.runs.ray_registry), which trains it once for every server, and this
runner's thread polls the registry and passes the run's messages into the
``RunReport``, as the child-process runner passes on its pipe (nnexplore.runs.process).

This module is imported only when the address is set: without it the package never
imports ray. ``connect`` says in words why a cluster cannot be used, and never hangs:
the address is tried with a plain TCP connection first, and ``ray.init`` is given
CONNECT_TIMEOUT_S.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from typing import Any

from nnexplore.runs import ray_registry
from nnexplore.runs.job import ERROR, STOPPED, Job, short_message
from nnexplore.runs.runner import Runner, RunReport, pass_on
from nnexplore.runs.store import run_key

logger = logging.getLogger(__name__)

#: The setting that makes a server train on a Ray cluster, as host:port of its head.
ADDRESS_SETTING = "NNEXPLORE_RAY_ADDRESS"
#: Seconds a TCP connection to the head, then ``ray.init``, may take before the cluster is
#: called unreachable.
CONNECT_TIMEOUT_S = 3.0
INIT_TIMEOUT_S = 60.0
#: Seconds a poll waits at the registry for news; the relay checks Stop and Pause between
#: polls, so a Stop reaches the registry within this.
POLL_S = 0.25
#: Seconds any other call to the registry may take before the cluster is taken for lost.
CALL_TIMEOUT_S = 20.0

LOST_CLUSTER = "The connection to the Ray cluster was lost, so this run ended. Press Train to try again."


NO_GPU = (
    "This run asks for a GPU (device: cuda), and the Ray cluster has none. Choose the device "
    "auto or cpu, and press Train again."
)


class ClusterUnavailable(Exception):
    """The Ray cluster cannot be used; the message says why, in words for the page and the log."""


def ray_address() -> str:
    """The cluster's address from the setting, '' when runs train on this server."""
    return os.environ.get(ADDRESS_SETTING, "").strip()


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if address.startswith("ray://"):
        raise ClusterUnavailable(
            f"{ADDRESS_SETTING}={address} is a Ray Client address; give the head's host:port "
            "(the address `ray start --head` prints), and run the server inside the cluster's network."
        )
    if not host or not port.isdigit():
        raise ClusterUnavailable(
            f"{ADDRESS_SETTING}={address} is not an address: give the Ray head's host:port, "
            "for example 127.0.0.1:6379."
        )
    return host, int(port)


def connect(address: str) -> None:
    """Join the cluster at ``address`` (host:port), or raise ClusterUnavailable in words."""
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            pass
    except OSError as err:
        raise ClusterUnavailable(
            f"No Ray cluster answers at {address} ({err.strerror or err}). Start one with "
            "`ray start --head`, or check the address."
        ) from err
    import ray

    if ray.is_initialized():
        return
    failure: list[BaseException] = []

    def init() -> None:
        try:
            ray.init(
                address=address,
                namespace=ray_registry.NAMESPACE,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
        except BaseException as err:  # reported below, in words
            failure.append(err)

    thread = threading.Thread(target=init, name="nnexplore-ray-init", daemon=True)
    thread.start()
    thread.join(INIT_TIMEOUT_S)
    if thread.is_alive():
        raise ClusterUnavailable(
            f"The Ray cluster at {address} did not answer within {INIT_TIMEOUT_S:.0f} s."
        )
    if failure:
        raise ClusterUnavailable(
            f"Could not join the Ray cluster at {address}: {short_message(str(failure[0]))}"
        ) from failure[0]


def registry() -> Any:
    """The cluster's registry actor, made by the first server that asks (detached: it outlives it)."""
    import ray

    actor = ray.remote(ray_registry.Registry).options(
        name=ray_registry.NAME,
        namespace=ray_registry.NAMESPACE,
        lifetime="detached",
        get_if_exists=True,
        num_cpus=0,
        max_concurrency=1000,
    )
    return actor.remote()


def task_options(cfg: Any) -> dict:
    """A run's task asks for one CPU, or one GPU when its device asks for one ("cuda"; "auto"
    when the cluster has a GPU)."""
    import ray

    device = getattr(cfg, "device", "cpu")
    gpu = device == "cuda" or (device == "auto" and ray.cluster_resources().get("GPU", 0) >= 1)
    return {"num_cpus": 1, "num_gpus": 1} if gpu else {"num_cpus": 1}


def task_settings() -> dict[str, str]:
    """This server's ``NNEXPLORE_*`` settings that a training task reads (where data comes from
    and is kept): a worker has its own machine's environment, so they travel with each run."""
    own = (ADDRESS_SETTING, "NNEXPLORE_SLOTS")
    return {k: v for k, v in os.environ.items() if k.startswith("NNEXPLORE_") and k not in own}


def cluster_cpus() -> int:
    """CPUs in the cluster: the most runs it trains at once."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


class RayRunner(Runner):
    """Trains each run on the Ray cluster this process has joined (``connect``).

    ``view_fn``: as for nnexplore.runs.process.ProcessRunner (a name, so that this server
    never imports torch). Each server is one follower of a run at the registry, under a
    name of its own.
    """

    def __init__(self, view_fn: Any = None) -> None:
        self._view_fn = view_fn
        self._registry = registry()
        self.server = f"server-{secrets.token_hex(4)}"

    def run(self, job: Job, report: RunReport) -> tuple[str, str]:
        """Ask the registry for the run and relay it until it ends, or until this server leaves it."""
        import ray

        key = getattr(job, "key", None) or run_key(job.cfg)
        try:
            options = task_options(job.cfg)
            if options.get("num_gpus") and not ray.cluster_resources().get("GPU"):
                return ERROR, NO_GPU
            how, run_id, stored = ray.get(
                self._registry.join.remote(
                    key, job.cfg, self.server, self._view_fn, options, task_settings()
                ),
                timeout=CALL_TIMEOUT_S,
            )
            if how != ray_registry.NEW:
                report.shared(how)
            if how == ray_registry.STORED:
                return _relay(stored, report, (None, None), job)[1] or (ERROR, LOST_CLUSTER)
            return self._follow(job, report, run_id)
        except (ray.exceptions.RayError, TimeoutError):
            logger.exception("Run %s: the Ray cluster failed", job.id)
            return ERROR, LOST_CLUSTER

    def _follow(self, job: Job, report: RunReport, run_id: str) -> tuple[str, str]:
        import ray

        since, last, sent_pause = 0, None, (False, job.pause.steps)
        left = False
        while True:
            if job.stop_event.is_set() and not left:
                left = True
                if ray.get(self._registry.leave.remote(run_id, self.server), timeout=CALL_TIMEOUT_S):
                    return STOPPED, ""  # others still follow it: it trains on for them
            pause = (job.pause.paused, job.pause.steps)
            if pause != sent_pause:
                self._registry.pause.remote(run_id, self.server, pause[0], pause[1] - sent_pause[1])
                sent_pause = pause
            messages, ended = ray.get(
                self._registry.poll.remote(run_id, self.server, since, POLL_S),
                timeout=POLL_S + CALL_TIMEOUT_S,
            )
            since += len(messages)
            last, outcome = _relay(messages, report, (last, ended), job)
            if outcome is not None:
                return outcome
            report.tick()


def _relay(
    messages: list, report: RunReport, state: tuple[dict | None, tuple | None], job: Job
) -> tuple[dict | None, tuple[str, str] | None]:
    """Pass ``messages`` into ``report``; (the last record, (status, error) once the run has ended).

    ``state`` is (the last record so far, the registry's (status, error) when it says the run
    ended). The messages are a training process's (nnexplore.runs.runner.pass_on).
    """
    last, ended = state
    for message in messages:
        last, outcome = pass_on(message, report, last, job.stop_event.is_set())
        if outcome is not None:
            return last, outcome
    if ended is not None:  # ended without its own last word: the task died, or was cancelled
        return last, (ended[0], ended[1])
    return last, None
