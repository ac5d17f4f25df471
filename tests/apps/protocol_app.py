"""A small app for tests/devtools/test_protocol_pages.py: a button, a ticking fragment, a download."""

import streamlit as st

st.session_state.setdefault("ticks", 0)
pressed = st.button("Press", help="Counts a press.")
if pressed:
    st.session_state["pressed"] = True
if st.session_state.get("pressed"):
    st.success("pressed")
else:
    st.warning("not pressed yet")


@st.fragment(run_every=0.3)
def ticking() -> None:
    st.session_state["ticks"] += 1
    st.info(f"tick {st.session_state['ticks']}")


ticking()
st.download_button("Data", "a,b\n1,2\n", file_name="data.csv", on_click="ignore", help="Two rows.")
