"""nnexplore's Streamlit entry point, the router: page setup, navigation, the heartbeat."""

import streamlit as st

from nnexplore.ui.actions import has_active_runs, keep_alive
from nnexplore.ui.live.pace import heartbeat_interval
from nnexplore.ui.live.repair import end_full_run, page_needs_redraw, start_full_run
from nnexplore.ui.pages import experiments, playground, theory
from nnexplore.ui.state import backend

st.set_page_config(
    page_title="nnexplore: watch neural networks learn", page_icon=":material/neurology:", layout="wide"
)


def _heartbeat() -> None:
    """Keeps this session's runs alive on every page (a closed tab stops sending it), and
    redraws the whole page if a run it shows live has ended without the page noticing."""
    keep_alive()
    if page_needs_redraw():
        st.rerun()


start_full_run()
if backend().problem:  # a Ray cluster asked for and not reachable: said on every page
    st.warning(backend().problem, icon=":material/cloud_off:")
st.navigation([playground.page(), experiments.page(), theory.page()]).run()
end_full_run()
# Last: inline in a full run it must see the page finished, not still drawing. Its pace is set
# here, at each full run: fast while this browser has runs training or waiting, slow otherwise.
st.fragment(run_every=heartbeat_interval(has_active_runs()))(_heartbeat)()
