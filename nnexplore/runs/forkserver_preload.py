"""Imported by the training forkserver, and only there: the training code, warmed up.

Every training process is forked from that forkserver and inherits what is
loaded here. The dashboard server imports ``nnexplore.runs.child`` as well (to name
the function a child runs) but never this module, so it does not pay for the
warm-up's imports.

It also stops the children from importing the server's main script.
multiprocessing hands every child the parent's ``__main__`` to import first.
Under Streamlit that is the dashboard script, and Streamlit sets it again at
every script run of every session, so it cannot be hidden reliably from the
server's side: measured under a 30-session load, children ran the whole
dashboard outside Streamlit (2 s of CPU each) before training. The children
need nothing from it: what they run, ``nnexplore.runs.child.run_in_child``, is
imported by name. (Private names of ``multiprocessing.spawn``, tested on CPython
3.11.7: see nnexplore.runs.forkserver.)
"""

from multiprocessing import spawn

from nnexplore.runs import child


def _skip_main(*_args: object) -> None:
    """Stands in for multiprocessing's import of the parent's main module in a child."""


spawn._fixup_main_from_path = _skip_main
spawn._fixup_main_from_name = _skip_main
child.warm_up()
