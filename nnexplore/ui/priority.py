"""Drawing charts yields the core to training: the thread that draws lowers its own priority.

On a one-core box the server's threads and the training process share one
core, and Linux shares a busy core evenly between the threads that want it.
Building a page's charts costs 40-100 ms of Python per chart (two dozen on a
finished Playground page), so thirty finished pages took most of the core
from the training process: the class's runs trained several times slower
than alone. Measured with ``python -m devtools.loadtest --sessions 30 --mnist 5``
(30 distinct runs, the app on one core): Train → done median 29.3 s, worst
53.7 s with charts drawn at the server's own priority; 16.7 s and 31.7 s with
the drawing thread at nice 10.

Only the chart drawing is lowered; status lines, the queue and the buttons keep
the server's priority, so a page still answers at once. Without privileges a
thread's nice value can only go up, so it stays up for what is left of that
script run (Streamlit starts a new thread for the next one, or reuses this one
for a rerun asked during it). The training processes keep the server's own
priority: the forkserver is always started from a thread of its own
(nnexplore.runs.forkserver).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading

#: Nice 10 weighs 110 against 1024 at nice 0: while a run trains, drawing gets about a tenth
#: of the busy core, and all of it when nothing trains.
DRAW_NICE = 10


def lower_this_thread(nice: int = DRAW_NICE) -> None:
    """Raise the calling thread's nice value to ``nice`` (Linux only: elsewhere the call would
    lower the whole server). Never lowers it, and a refusal is ignored: drawing works anyway."""
    if not sys.platform.startswith("linux"):
        return
    thread = threading.get_native_id()
    with contextlib.suppress(OSError):
        if os.getpriority(os.PRIO_PROCESS, thread) < nice:
            os.setpriority(os.PRIO_PROCESS, thread, nice)
