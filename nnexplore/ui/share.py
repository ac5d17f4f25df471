""" "Share with a class": a link to these settings that locks or hides what the lesson fixes."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from nnexplore.config import FIELDS, RunConfig
from nnexplore.links import LinkRules, link_params
from nnexplore.ui.controls import link_rules

_LABELS = {f.name: f.metadata["label"] for f in FIELDS}


def share_link(base: str, cfg: RunConfig, rules: LinkRules) -> str:
    """The address a class opens: the page's address, the settings and the rules."""
    if base and not urlsplit(base).path:
        base += "/"  # "http://host:8501?…" works, "http://host:8501/?…" is how it is written
    return f"{base}?{urlencode(link_params(cfg, rules))}"


#: The switch that shows the link builder. A switch, not an expander: Streamlit draws an
#: expander's content even while it is closed, and this one's two lists and link cost the
#: learner's browser about 0.25 s on every Playground it drew (devtools.browser_cost: 0.89 s
#: for a Playground with no run, 0.63 s without them).
SWITCH = "Share with a class"


def share_with_class(cfg: RunConfig) -> None:
    """A switch that, once on, builds the link from the current settings, with a copy button."""
    current = link_rules()
    names = [f.name for f in FIELDS]
    if not st.toggle(
        SWITCH,
        key="share_open",
        help="Make a link for a class: your settings, with the ones the lesson fixes locked or hidden.",
    ):
        return
    with st.container(border=True):
        st.markdown(
            "A link that opens this Playground with your settings. Tick what the class should not "
            "change: a **locked** setting is shown greyed out, a **hidden** one is not shown at all."
        )
        locked = st.multiselect(
            "Lock these settings",
            names,
            default=list(current.locked),
            format_func=_LABELS.get,
            key="share_lock",
            help="Shown in the sidebar but greyed out, so everybody trains with the same value.",
        )
        hidden = st.multiselect(
            "Hide these settings",
            names,
            default=list(current.hidden),
            format_func=_LABELS.get,
            key="share_hide",
            help="Not shown in the sidebar at all; your value is used. Hiding wins over locking.",
        )
        base = st.context.url or ""  # None outside a browser (streamlit.testing)
        st.code(share_link(base, cfg, LinkRules.of(locked, hidden)), language=None, wrap_lines=True)
        st.caption("Copy it with the button at the right of the box. A plain link unlocks everything.")
