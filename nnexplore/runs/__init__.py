"""Background training shared by every session: the queue and slots, heartbeats, child processes.

``JobManager(runner=ProcessRunner(view_fn=...))`` is what the dashboard runs;
a Job is one run as a page sees it, and learners asking for the same run share
one computation and a store of finished ones (nnexplore.runs.shared,
nnexplore.runs.store). This package never imports streamlit.
"""

from nnexplore.runs.job import (
    ACTIVE_STATUSES,
    DIVERGED,
    DONE,
    ERROR,
    LOADING,
    QUEUED,
    RUNNING,
    STOPPED,
    Job,
    TooManyRuns,
)
from nnexplore.runs.manager import JobManager
from nnexplore.runs.process import ProcessRunner
from nnexplore.runs.runner import Runner, RunReport
from nnexplore.runs.store import RunStore, run_key

__all__ = [
    "ACTIVE_STATUSES",
    "DIVERGED",
    "DONE",
    "ERROR",
    "LOADING",
    "QUEUED",
    "RUNNING",
    "STOPPED",
    "Job",
    "JobManager",
    "ProcessRunner",
    "RunReport",
    "RunStore",
    "Runner",
    "TooManyRuns",
    "run_key",
]
