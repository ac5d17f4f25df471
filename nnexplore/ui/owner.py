"""Who owns the runs a page shows: the browser when it can be recognised, else the tab.

Recognising the browser is what lets a learner reload the page mid-run (a
reload starts a new Streamlit session) and find the runs still there,
training, instead of losing them.

The browser is recognised by Streamlit's XSRF cookie, which is on by default
and stays on in this project's config: Streamlit hands every browser a random
token in that cookie and keeps it across reloads (only its mask changes with
each page load). The owner id is a hash of the unmasked token, so the token
itself is never stored or shown. Without the cookie (XSRF turned off, or
streamlit.testing) each tab owns its runs, as before: a reload then loses them.

Every use of Streamlit's internals in the dashboard is listed here (all but the
last two are in this module), tested with Streamlit 1.67.0 (the pin in
requirements.txt). Before trying a newer Streamlit, check each of them:

* the XSRF cookie's name and tornado's format (``browser_key``);
* ``Runtime.instance().is_active_session`` (``OwnerPages.connected``);
* ``get_script_run_ctx().session_id`` (``owner_id``);
* ``streamlit.elements.vega_charts._altair_globals_lock``, the lock under which
  st.altair_chart switches Altair's global data transformer
  (``nnexplore.ui.live.specs.to_spec`` switches it too);
* ``streamlit.dataframe_util.convert_anything_to_arrow_bytes``, and that
  st.vega_lite_chart sends ``datasets`` given as bytes as they are (``to_spec``).
"""

from __future__ import annotations

import hashlib
import secrets
import threading

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from nnexplore.ui.page_state import page_state

STREAMLIT_TESTED = "1.67.0"
"""The Streamlit release whose internals this module was checked against."""
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


def owner_id(pages: OwnerPages) -> str:
    """Who owns the runs this page shows: the browser if recognised, else this tab's session.

    The first call of a session records its page in ``pages``, so that the
    job manager can tell later whether this owner still has a page open.
    """
    state = page_state()
    if not state.owner:
        key = browser_key(st.context.cookies.get(_XSRF_COOKIE))
        state.owner = key or "tab-" + secrets.token_hex(8)
        ctx = get_script_run_ctx()
        if ctx is not None:
            pages.add(state.owner, ctx.session_id)
    return state.owner
