"""Streamlit views of nnexplore: tidy frames, Altair chart builders and pages."""
