"""devtools.local_servers.app_pinned: the app on its core(s), this process and its browsers on the rest."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from devtools.local_servers import app_pinned
from devtools.procmem import descendants

#: A stand-in server: a thread of its own, and a child process started before the pin.
SERVER = (
    "import subprocess, sys, threading, time\n"
    "threading.Thread(target=time.sleep, args=(60,), daemon=True).start()\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print('ready', flush=True)\n"
    "time.sleep(60)\n"
)


def _thread_cores(pid: int) -> list[set[int]]:
    return [os.sched_getaffinity(int(task)) for task in os.listdir(f"/proc/{pid}/task")]


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores")
def test_every_thread_of_the_app_and_of_this_process_is_pinned_apart_and_given_back():
    mine = os.sched_getaffinity(0)
    app, rest = {min(mine)}, mine - {min(mine)}
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    helper = threading.Thread(target=time.sleep, args=(5,), daemon=True)  # a thread of this process
    helper.start()
    try:
        assert server.stdout.readline().strip() == "ready"
        with app_pinned(server.pid) as pinned:
            assert pinned
            for pid in (server.pid, *descendants(server.pid)):
                assert _thread_cores(pid) == [app] * len(_thread_cores(pid)), pid
            assert all(cores == rest for cores in _thread_cores(os.getpid()))
        assert all(cores == mine for cores in _thread_cores(os.getpid()))
        assert _thread_cores(server.pid)[0] == app  # the app keeps its core
    finally:
        for pid in descendants(server.pid):
            os.kill(pid, 9)
        server.kill()
        server.wait(5)
