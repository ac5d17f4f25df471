"""The Streamlit dashboard: the only part of nnexplore that imports streamlit.

* state: the process-wide objects (the job manager, the owners' pages, the live-page counts,
  the shared charts), one of each per server;
* page_state: one tab's own state, typed, under one session_state key;
* actions: what a page does with its runs (list, start, stop, keep alive);
* owner: who owns the runs (the browser, from its XSRF cookie); every Streamlit internal, fenced;
* controls, share: the sidebar generated from the RunConfig table and kept in the URL; the
  link for a class;
* network: the picture of the network Train will build;
* live/: a group of runs drawn live (status, charts, comparison table), its pace and caches;
* sections/: the live page's parts in order, each a ``draw(LiveRuns)``;
* sentences: the one-line summaries under charts, computed from the runs;
* safe_text: what a learner typed, shown as text, never as markup;
* pages/: the Playground, the Experiments, the Theory page and its panels;
* charts/: pure DataFrame -> Altair chart builders, and the frames they draw.
"""
