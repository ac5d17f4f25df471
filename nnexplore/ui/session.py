"""Per-process and per-browser state of the dashboard.

One JobManager serves every session of the process (st.cache_resource). Runs
belong to an owner: the browser when it can be recognised, else the browser
tab's session. Recognising the browser is what lets a learner reload the page
mid-run (a reload starts a new Streamlit session) and find the runs still
there, training, instead of losing them.

The browser is recognised by Streamlit's XSRF cookie, which is on by default
and stays on in this project's config: Streamlit hands every browser a random
token in that cookie and keeps it across reloads (only its mask changes with
each page load). The owner id is a hash of the unmasked token, so the token
itself is never stored or shown. Without the cookie (XSRF turned off, or
streamlit.testing) each tab owns its runs, as before: a reload then loses them.
"""

from __future__ import annotations

import contextlib
import faulthandler
import hashlib
import secrets
import signal
import threading
import time

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nnexplore.config import RunConfig
from nnexplore.jobs import Job, JobManager, TooManyRuns
from nnexplore.views import model_view

PLAYGROUND = "playground"
#: Full reruns the heartbeat asks for in a row to finish a page that was cut short.
MAX_REDRAWS = 3
#: Seconds the heartbeat leaves the live status fragment to redraw a page whose runs ended.
REDRAW_GRACE_S = 10.0
_XSRF_COOKIE = "_streamlit_xsrf"


class OwnerPages:
    """Which Streamlit sessions (open pages) each owner has, and whether any is still connected.

    The job manager asks this before it stops a run whose page stopped
    sending heartbeats: a closed tab has disconnected, a stalled page has not.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, set[str]] = {}

    def add(self, owner: str, session: str) -> None:
        with self._lock:
            self._sessions.setdefault(owner, set()).add(session)

    def connected(self, owner: str) -> bool:
        """True while any page of this owner has its connection open (Streamlit's own record)."""
        if not Runtime.exists():
            return False
        runtime = Runtime.instance()
        with self._lock:
            sessions = self._sessions.get(owner, set())
            sessions &= {s for s in sessions if runtime.is_active_session(s)}  # forget closed pages
            if not sessions:
                self._sessions.pop(owner, None)
            return bool(sessions)


@st.cache_resource
def owner_pages() -> OwnerPages:
    """The process-wide record of open pages per owner."""
    return OwnerPages()


@st.cache_resource
def job_manager() -> JobManager:
    """The process-wide job manager: fixed training slots, one queue, shared by all sessions.

    Runs train in child processes (see nnexplore.worker for why), so the
    pages this server draws never slow the training down.
    """
    with contextlib.suppress(ValueError, AttributeError, OSError):  # diagnostics only; not on every OS
        # `kill -USR1 <server pid>` writes every thread's stack to the server log: what a stuck run waits on.
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    return JobManager(view_fn=model_view, processes=True, owner_connected=owner_pages().connected)


def prepare_training() -> None:
    """Get the training processes ready: this page can start runs (see JobManager.prepare)."""
    job_manager().prepare()


def browser_key(xsrf_cookie: object) -> str | None:
    """A stable private id for one browser from its XSRF cookie, or None if the cookie is unusable.

    The cookie reads ``2|<mask>|<token XOR mask>|<time>`` (tornado's format):
    the mask is new on every page load, the token is the browser's.
    """
    if not isinstance(xsrf_cookie, str) or len(xsrf_cookie) > 200:
        return None
    parts = xsrf_cookie.split("|")
    try:
        if len(parts) == 4 and parts[0] == "2":
            mask, masked = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
            if len(mask) != 4:
                return None
            token = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
        elif len(parts) == 1:  # tornado's old format: the token in hex
            token = bytes.fromhex(parts[0])
        else:
            return None
    except ValueError:
        return None
    if len(token) < 8:
        return None
    return hashlib.sha256(b"nnexplore browser " + token).hexdigest()[:24]


def owner_id() -> str:
    """Who owns the runs this page shows: the browser if recognised, else this tab's session."""
    if "owner" not in st.session_state:
        key = browser_key(st.context.cookies.get(_XSRF_COOKIE))
        st.session_state.owner = key or "tab-" + secrets.token_hex(8)
        ctx = get_script_run_ctx()
        if ctx is not None:
            owner_pages().add(st.session_state.owner, ctx.session_id)
    return st.session_state.owner


def session_jobs(group: str = PLAYGROUND) -> list[Job]:
    """This owner's runs of one page (the Playground, or one experiment), oldest first."""
    return job_manager().jobs_for(owner_id(), group)


def keep_alive() -> None:
    """Heartbeat for every active run of this owner, whatever page is open."""
    manager = job_manager()
    for job in manager.jobs_for(owner_id()):
        if job.is_active:
            manager.heartbeat(job.id)


def start_full_run() -> None:
    """Called at the top of every full run of the page (not of fragments)."""
    st.session_state["drawn_live"] = set()
    st.session_state["full_run_done"] = False


def end_full_run() -> None:
    """Called at the very end of a full run that drew the whole page."""
    st.session_state["full_run_done"] = True
    st.session_state["redraws_asked"] = 0


def note_drawn_live(job_ids: list[str]) -> None:
    """This full run drew these runs live (status and charts in fragments)."""
    st.session_state.setdefault("drawn_live", set()).update(job_ids)


def note_redraw_asked() -> None:
    """The live status fragment has just asked for a full redraw (its runs ended)."""
    st.session_state["redraw_asked_at"] = time.monotonic()


def page_needs_redraw() -> bool:
    """True when the page on screen is not the whole, current page; the heartbeat then redraws it.

    Two cases, both seen only under load (30 sessions on 2 cores):
    - a run the page drew live has ended since: the live status fragment asks
      for a full rerun then (final charts, downloads), and that one request
      was sometimes lost, leaving a page that said "done" without its downloads
      (the heartbeat asks only if that request is REDRAW_GRACE_S old);
    - the last full run stopped before the end of the page (Streamlit cut it
      short for another request that then never came): half a page. Asked
      for at most MAX_REDRAWS times in a row, so that a page that stops early
      on purpose cannot loop.
    """
    manager = job_manager()
    # Give the status fragment's own request time to arrive: two redraws asked for
    # together would only interrupt each other.
    fragment_asked = (
        time.monotonic() - st.session_state.get("redraw_asked_at", float("-inf")) < REDRAW_GRACE_S
    )
    for job_id in st.session_state.get("drawn_live", ()):
        job = manager.get(job_id)
        if not fragment_asked and (job is None or not job.is_active):
            return True
    if (
        not st.session_state.get("full_run_done", True)
        and st.session_state.get("redraws_asked", 0) < MAX_REDRAWS
    ):
        st.session_state["redraws_asked"] = st.session_state.get("redraws_asked", 0) + 1
        return True
    return False


FIRST_RECORD_WAIT_S = 0.8


def start_run(cfg: RunConfig, group: str, label: str = "") -> None:
    """Submit a run for this session, or say in words why it cannot start.

    A toy run's first record arrives within a fraction of a second: waiting for
    it here lets this very script run draw the first charts, instead of the
    next tick of the live fragment.
    """
    try:
        job = job_manager().submit(cfg, owner_id(), label, group)
    except TooManyRuns as err:
        st.warning(str(err))
        return
    deadline = time.monotonic() + FIRST_RECORD_WAIT_S
    while job.is_active and not job.records and time.monotonic() < deadline:
        time.sleep(0.02)


def stop_runs(group: str) -> None:
    """Stop every active run of one page of this session (a button callback)."""
    for job in session_jobs(group):
        if job.is_active:
            job_manager().cancel(job.id)
