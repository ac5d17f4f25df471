"""A small app for tests/e2e/test_drawing_pad_browser.py: the drawing pad, what it holds, a rerun
button.

"Hide the pad" takes the pad off the page, so showing it again mounts it anew.
It writes one line for the test to read: "pad: empty", or "pad: ink S, rows R0-R1, cols C0-C1"
(S the sum of the ink, the box in the pad's 112×112 pixels, inclusive) or "pad: hidden", and
"runs: N".
"""

import numpy as np
import streamlit as st

from nnexplore.ui.drawing_pad import drawing_pad

st.session_state["runs"] = st.session_state.get("runs", 0) + 1
st.button("Rerun", help="Runs the page again, as a change of any other widget would.")
hidden = st.checkbox("Hide the pad")
ink = None if hidden else drawing_pad("pad")
if hidden:
    st.text("pad: hidden")
elif ink is None:
    st.text("pad: empty")
else:
    rows = np.flatnonzero(ink.max(axis=1) > 0)
    cols = np.flatnonzero(ink.max(axis=0) > 0)
    st.text(
        f"pad: ink {ink.sum():.1f}, rows {rows[0]}-{rows[-1]}, cols {cols[0]}-{cols[-1]}, "
        f"shape {ink.shape[0]}x{ink.shape[1]}"
    )
st.text(f"runs: {st.session_state['runs']}")
