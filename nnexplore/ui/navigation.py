"""The dashboard's pages, in one place, so any page can link to another with st.switch_page."""

from __future__ import annotations

import streamlit as st


def playground_page() -> st.Page:
    from nnexplore.ui.playground import render_playground

    return st.Page(render_playground, title="Playground", icon="🧪", url_path="playground", default=True)


def experiments_page() -> st.Page:
    from nnexplore.ui.experiments_page import render_experiments

    return st.Page(render_experiments, title="Experiments", icon="🔬", url_path="experiments")


def theory_page() -> st.Page:
    from nnexplore.ui.theory_page import render_theory_page

    return st.Page(render_theory_page, title="Theory", icon="📐", url_path="theory")


def all_pages() -> list[st.Page]:
    return [playground_page(), experiments_page(), theory_page()]
