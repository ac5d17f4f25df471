"""One browser tab's state, typed, under one ``st.session_state`` key.

Streamlit keeps a session's values in ``st.session_state``, a dict of strings.
The dashboard's own values (not its widgets', which Streamlit keys by widget)
live in one ``PageState`` there, so every module reads the same typed fields
instead of agreeing on bare string keys: what the link said, who owns the
runs, what the last full run drew, and each page part's chart cache.
Serialised in one place, like TensorFlow Playground's ``state.ts``.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from nnexplore.config import RunConfig
from nnexplore.links import LinkRules

#: The one session_state key the dashboard's own state lives under.
KEY = "nnexplore"


@dataclass
class ChartCacheState:
    """One page part's charts between redraws (nnexplore.ui.live.specs.ChartCache reads it).

    sig      what the runs were at the last rebuild (ids, record counts, view steps, statuses)
    next     when the next rebuild may start (time.monotonic)
    specs    each slot's last spec; ``fresh``: slots rebuilt since ``sig`` changed
    built    when each slot was last built; ``cost``: how long that took (s)
    waiting  slots the last tick showed a placeholder for (they are built first)
    """

    sig: tuple | None = None
    next: float = 0.0
    specs: dict[str, dict] = field(default_factory=dict)
    fresh: set[str] = field(default_factory=set)
    built: dict[str, float] = field(default_factory=dict)
    cost: dict[str, float] = field(default_factory=dict)
    waiting: int = 0


@dataclass
class PageState:
    """Everything the dashboard remembers for one tab besides its widgets' values.

    From the link (read once per session, nnexplore.ui.controls):
      url_loaded    the link was read (or a button put settings in the controls instead)
      url_problems  what was wrong with it, in words
      link_rules    its lock= and hide= rules
      link_cfg      its settings: a hidden setting has no widget to keep its value
    Who owns the runs (nnexplore.ui.owner): ``owner``.
    What the page drew (nnexplore.ui.live.repair, the lost-rerun workaround):
      drawn_live       runs the last full run drew live
      full_run_done    the last full run reached the end of the page
      redraws_asked    full redraws the heartbeat asked for in a row
      redraw_asked_at  when the live status fragment last asked for one (time.monotonic)
    The live charts: ``page_id`` (this tab among the server's live pages) and ``charts``, each
    page part's chart cache by the part's key.
    What the learner expects (nnexplore.ui.predict): ``guesses``, each card's picked answer by slug.
    """

    url_loaded: bool = False
    url_problems: list[str] = field(default_factory=list)
    link_rules: LinkRules = field(default_factory=LinkRules)
    link_cfg: RunConfig | None = None
    owner: str = ""
    drawn_live: set[str] = field(default_factory=set)
    full_run_done: bool = True
    redraws_asked: int = 0
    redraw_asked_at: float = -math.inf
    page_id: str = field(default_factory=lambda: secrets.token_hex(4))
    charts: dict[str, ChartCacheState] = field(default_factory=dict)
    guesses: dict[str, str] = field(default_factory=dict)

    def chart_cache(self, part: str) -> ChartCacheState:
        """The chart cache of one page part, made empty the first time."""
        return self.charts.setdefault(part, ChartCacheState())


def page_state(session: Any = None) -> PageState:
    """This session's PageState (``session``: a session_state, by default the running script's)."""
    state = st.session_state if session is None else session
    if KEY not in state:
        state[KEY] = PageState()
    return state[KEY]
