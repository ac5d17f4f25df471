"""nnexplore's Streamlit entry point: page setup and navigation only."""

import streamlit as st

from nnexplore.ui.playground import render_playground
from nnexplore.ui.session import keep_alive

st.set_page_config(page_title="nnexplore: watch neural networks learn", page_icon="🧠", layout="wide")


@st.fragment(run_every=5)
def _heartbeat() -> None:
    """Keeps this session's runs alive on every page; a closed tab stops sending it."""
    keep_alive()


_heartbeat()
pages = [st.Page(render_playground, title="Playground", icon="🧪", url_path="playground", default=True)]
st.navigation(pages).run()
