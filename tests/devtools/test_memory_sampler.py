"""devtools.memory_sampler: every training process is counted, even one shorter than a memory sample."""

from __future__ import annotations

import subprocess
import sys
import time

from devtools.memory_sampler import MemorySampler

#: A stand-in dashboard server: its child is a "forkserver" that forks 8 training processes of
#: 50 ms each, 150 ms apart: most of them live between two of the memory sampler's 0.1 s samples.
SERVER = """
import subprocess, sys
FORKSERVER = '''# forkserver
import os, time
time.sleep(0.5)
for _ in range(8):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.05)
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(0.15)
time.sleep(30)
'''
subprocess.Popen([sys.executable, "-c", FORKSERVER]).wait()
"""


def test_every_training_process_is_counted_even_between_memory_samples():
    server = subprocess.Popen([sys.executable, "-c", SERVER])
    sampler = MemorySampler(server.pid)
    try:
        deadline = time.monotonic() + 10
        while sampler.forkserver is None and time.monotonic() < deadline:
            sampler.sample()
            time.sleep(0.05)
        sampler.start()
        time.sleep(0.5 + 8 * 0.2 + 0.5)
        sampler.stop()
        assert len(sampler.trained) == 8
    finally:
        for pid in list(sampler.seen):
            subprocess.run(["kill", "-9", str(pid)], check=False)
        server.kill()
        server.wait(5)
