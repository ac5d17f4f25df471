"""The lost-rerun workarounds, fenced: the heartbeat redraws a page that is not whole and current.

Two things went wrong only under load (30 sessions on 2 cores), both because
a rerun Streamlit was asked for never happened:

- a run the page drew live ended, the live status fragment asked for a full
  rerun (final charts, downloads), and that one request was sometimes lost,
  leaving a page that said "done" without its downloads;
- a full run stopped before the end of the page (Streamlit cut it short for
  another request that then never came): half a page.

So every full run notes where it starts and whether it reached the end
(``start_full_run``/``end_full_run``, called by dashboard.py around the page),
the live part notes what it drew live (``note_drawn_live``) and when it asked
for a redraw (``note_redraw_asked``), and the heartbeat asks
``page_needs_redraw`` every few seconds. All state is per session, in the
tab's PageState (nnexplore.ui.page_state). Should Streamlit stop losing reruns,
this module and its four calls are all there is to remove.
"""

from __future__ import annotations

import time

from nnexplore.ui.page_state import page_state
from nnexplore.ui.state import job_manager

#: Full reruns the heartbeat asks for in a row to finish a page that was cut short.
MAX_REDRAWS = 3
#: Seconds the heartbeat leaves the live status fragment to redraw a page whose runs ended.
REDRAW_GRACE_S = 10.0


def start_full_run() -> None:
    """Called at the top of every full run of the page (not of fragments)."""
    state = page_state()
    state.drawn_live = set()
    state.full_run_done = False


def end_full_run() -> None:
    """Called at the very end of a full run that drew the whole page."""
    state = page_state()
    state.full_run_done = True
    state.redraws_asked = 0


def note_drawn_live(job_ids: list[str]) -> None:
    """This full run drew these runs live (status and charts in fragments)."""
    page_state().drawn_live.update(job_ids)


def note_redraw_asked() -> None:
    """The live status fragment has just asked for a full redraw (its runs ended)."""
    page_state().redraw_asked_at = time.monotonic()


def page_needs_redraw() -> bool:
    """True when the page on screen is not the whole, current page; the heartbeat then redraws it.

    Two cases (see the module docstring):
    - a run the page drew live has ended since: asked only if the status
      fragment's own request is REDRAW_GRACE_S old (two redraws asked for
      together would only interrupt each other);
    - the last full run stopped before the end of the page: asked for at most
      MAX_REDRAWS times in a row, so that a page that stops early on purpose
      cannot loop.
    """
    manager = job_manager()
    state = page_state()
    # Give the status fragment's own request time to arrive: two redraws asked for
    # together would only interrupt each other.
    fragment_asked = time.monotonic() - state.redraw_asked_at < REDRAW_GRACE_S
    for job_id in state.drawn_live:
        job = manager.get(job_id)
        if not fragment_asked and (job is None or not job.is_active):
            return True
    if not state.full_run_done and state.redraws_asked < MAX_REDRAWS:
        state.redraws_asked += 1
        return True
    return False
