"""The dashboard's process-wide objects, one of each per server (st.cache_resource).

One JobManager serves every session of the process; one OwnerPages records
which pages each owner has open; two LivePages count the pages drawing live or
waiting in the queue (they share the redraw budget, nnexplore.ui.live.pace);
one SharedCharts keeps the charts of finished page parts for every session.
What a page does with its own runs is nnexplore.ui.actions.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal

import streamlit as st

from nnexplore.runs import JobManager
from nnexplore.runs.backend import Backend, choose_backend
from nnexplore.ui.live.pace import LivePages
from nnexplore.ui.live.shared import SharedCharts
from nnexplore.ui.owner import OwnerPages

#: What a training process sends the page besides its records. Named, not imported: that module
#: imports torch, which the server does not need for the Playground (see nnexplore.runs.process).
VIEW_FN = "nnexplore.snapshots:model_view"


@st.cache_resource
def owner_pages() -> OwnerPages:
    """The process-wide record of open pages per owner."""
    return OwnerPages()


@st.cache_resource
def live_pages() -> LivePages:
    """The process-wide count of pages drawing runs live (they share the redraw budget)."""
    return LivePages()


@st.cache_resource
def queued_pages() -> LivePages:
    """The pages of this server whose runs all wait in the queue (they poll at a shared pace)."""
    return LivePages()


@st.cache_resource
def shared_charts() -> SharedCharts:
    """The process-wide charts of finished page parts (see nnexplore.ui.live.shared)."""
    return SharedCharts()


@st.cache_resource
def backend() -> Backend:
    """What trains this server's runs: child processes, or a Ray cluster (nnexplore.runs.backend)."""
    return choose_backend(VIEW_FN)


@st.cache_resource
def job_manager() -> JobManager:
    """The process-wide job manager: fixed training slots, one queue, shared by all sessions.

    Runs train in child processes (see nnexplore.runs.process for why), so
    the pages this server draws never slow the training down, or on a Ray cluster.
    """
    with contextlib.suppress(ValueError, AttributeError, OSError):  # diagnostics only; not on every OS
        # `kill -USR1 <server pid>` writes every thread's stack to the server log: what a stuck run waits on.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    chosen = backend()
    return JobManager(runner=chosen.runner, slots=chosen.slots, owner_connected=owner_pages().connected)
