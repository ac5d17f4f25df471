"""Memory of a process tree, read from Linux's /proc (benchmarks and the load test).

Two numbers per process:
- RSS (resident set): every page the process can touch, shared ones included.
  The server's own RSS is what "server idle under 400 MB" means.
- PSS (proportional set): shared pages split between the processes sharing
  them. The dashboard's training processes are forked from one forkserver and
  share torch's libraries with it and with the server, so adding up RSS counts
  torch several times over. The sum of PSS over the tree is the memory the box
  really gives the app, which is what a Cloud memory limit sees.

Everything returns 0 or empty when /proc cannot tell (another OS, a process
that ended): a measurement must never crash the thing it measures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["TreeMemory", "command_line", "descendants", "process_identity", "rss_kb", "pss_kb", "tree_memory"]


def rss_kb(pid: int) -> int:
    """Resident memory of one process in KiB (0 if unknown)."""
    return _status_field(pid, "VmRSS:")


def pss_kb(pid: int) -> int:
    """Proportional memory of one process in KiB (0 if unknown)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _status_field(pid: int, name: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(name):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def command_line(pid: int) -> str:
    """The process's command line with spaces between arguments ("" if it is gone)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat from its third field on ([] if the process is gone): the name before it
    may hold spaces and parentheses, so the split starts after its last ")"."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            data = f.read()
    except OSError:
        return []
    return data[data.rfind(")") + 2 :].split()


def process_identity(pid: int) -> tuple[int, int] | None:
    """(parent pid, start time in clock ticks) from /proc/<pid>/stat, or None if it is gone."""
    fields = _stat_fields(pid)
    try:
        return int(fields[1]), int(fields[19])
    except (IndexError, ValueError):
        return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` itself (not its children), from /proc/<pid>/stat; 0 if gone."""
    fields = _stat_fields(pid)  # utime and stime are fields 14 and 15 of stat
    try:
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (IndexError, ValueError):
        return 0.0


def descendants(root: int) -> dict[int, int]:
    """Every process below ``root`` (children, grandchildren, ...) as {pid: start time}."""
    parents: dict[int, list[tuple[int, int]]] = {}
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return {}
    for entry in entries:
        if entry.name.isdigit():
            ident = process_identity(int(entry.name))
            if ident is not None:
                parents.setdefault(ident[0], []).append((int(entry.name), ident[1]))
    found: dict[int, int] = {}
    todo = [root]
    while todo:
        for pid, started in parents.get(todo.pop(), []):
            if pid not in found:
                found[pid] = started
                todo.append(pid)
    return found


def forkserver(server: int, below: dict[int, int] | None = None) -> int | None:
    """The dashboard's training forkserver while it runs: the child of ``server`` named so on its
    command line. ``below``: ``descendants(server)`` if already read."""
    children = descendants(server) if below is None else below
    return next(
        (
            pid
            for pid in children
            if (process_identity(pid) or (0,))[0] == server and "forkserver" in command_line(pid)
        ),
        None,
    )


def training_processes(server: int, below: dict[int, int] | None = None) -> list[int]:
    """The dashboard's training processes: ``server``'s grandchildren. Its own children are the
    forkserver and multiprocessing's resource tracker; each run is forked by the forkserver.
    ``below``: ``descendants(server)`` if already read."""
    children = descendants(server) if below is None else below
    return [pid for pid in children if (process_identity(pid) or (server,))[0] != server]


@dataclass(frozen=True)
class TreeMemory:
    """One reading of a process and everything below it, in KiB."""

    root_rss_kb: int
    root_pss_kb: int
    total_pss_kb: int
    processes: int  # root included


def tree_memory(root: int) -> TreeMemory:
    """The root's RSS and PSS and the PSS summed over the root and its descendants."""
    children = descendants(root)
    root_pss = pss_kb(root)
    return TreeMemory(
        root_rss_kb=rss_kb(root),
        root_pss_kb=root_pss,
        total_pss_kb=root_pss + sum(pss_kb(pid) for pid in children),
        processes=1 + len(children),
    )
