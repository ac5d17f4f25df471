"""nnexplore's Streamlit entry point: page setup and navigation only."""

import streamlit as st

from nnexplore.ui.navigation import all_pages
from nnexplore.ui.session import keep_alive

st.set_page_config(page_title="nnexplore: watch neural networks learn", page_icon="🧠", layout="wide")


@st.fragment(run_every=5)
def _heartbeat() -> None:
    """Keeps this session's runs alive on every page; a closed tab stops sending it."""
    keep_alive()


_heartbeat()
st.navigation(all_pages()).run()
