"""A blank Streamlit page, the floor under devtools.browser_cost's idle share (not part of the app)."""

import streamlit as st

st.title("A blank page")
st.write("Nothing else on this page.")
