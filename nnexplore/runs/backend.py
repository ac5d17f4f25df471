"""Which back end trains a server's runs: child processes, or a Ray cluster when its address is set.

``NNEXPLORE_RAY_ADDRESS`` unset: child processes of this server (nnexplore.runs.process),
as always. Set: every run trains on that Ray cluster (nnexplore.runs.ray_runner), and the
slots default to the cluster's CPUs. A cluster that cannot be reached does not stop the
class: the server trains its runs itself and says why in one sentence, which the page
shows and the log keeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from nnexplore.runs.environment import env_number
from nnexplore.runs.process import ProcessRunner
from nnexplore.runs.runner import Runner

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backend:
    """A server's runner, its number of training slots (None: the manager's default), and a
    sentence for the page when the back end asked for could not be used ('' otherwise)."""

    runner: Runner
    slots: int | None
    problem: str = ""


def choose_backend(view_fn: Any) -> Backend:
    """The back end the settings ask for (see the module docstring); never raises, never hangs."""
    from nnexplore.runs.ray_runner import ray_address  # no ray import: it is imported only when used

    address = ray_address()
    if not address:
        return Backend(ProcessRunner(view_fn=view_fn), None)
    from nnexplore.runs.ray_runner import ClusterUnavailable, RayRunner, cluster_cpus, connect

    try:
        connect(address)
        runner = RayRunner(view_fn=view_fn)
    except ClusterUnavailable as err:
        problem = f"{err} Runs train on this server instead."
    except Exception as err:  # ray missing, or the cluster failed in a way it did not say
        problem = f"The Ray cluster at {address} could not be used ({type(err).__name__}: {err}). Runs train on this server instead."
    else:
        slots = int(env_number("NNEXPLORE_SLOTS", cluster_cpus(), minimum=1, whole=True))
        logger.info("Training on the Ray cluster at %s with %d slots", address, slots)
        return Backend(runner, slots)
    logger.error(problem)
    return Backend(ProcessRunner(view_fn=view_fn), None, problem)
