"""The Theory page in the dashboard's navigation; its content is nnexplore.ui.pages.theory_content.

The content computes with torch and is imported when the page is first drawn, not with the
navigation: a server whose learners only use the Playground never imports torch (about 1 s of a
one-core box and 150 MB of memory; the training processes have their own).
"""

from __future__ import annotations

import streamlit as st


def render_theory_page(include_panels: bool = True) -> None:
    """Draw the Theory page (nnexplore.ui.pages.theory_content.render_theory_page says what is on it)."""
    from nnexplore.ui.pages import theory_content

    theory_content.render_theory_page(include_panels)


def page() -> st.Page:
    """This page in the dashboard's navigation."""
    return st.Page(render_theory_page, title="Theory", icon=":material/function:", url_path="theory")
