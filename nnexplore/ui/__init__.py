"""The Streamlit dashboard: the only part of nnexplore that imports streamlit.

* state: the process-wide job manager and what a page does with this session's runs;
* owner: who owns the runs (the browser, from its XSRF cookie); every Streamlit internal, fenced;
* redraw: the heartbeat's redraw of a page a lost rerun left unfinished;
* controls: the sidebar, generated from the RunConfig table and kept in the URL;
* live: a group of runs drawn live (status, charts, comparison table);
* safe_text: what a learner typed, shown as text, never as markup;
* pages/: the Playground, the Experiments, the Theory page and its shared panels;
* charts/: pure DataFrame -> Altair chart builders, and the frames they draw.
"""
