"""A least-recently-used table bounded twice: by a number of entries and by their total size.

The server keeps things a class is likely to ask for again (finished runs,
the charts of finished pages) in memory only, and a small box has little of
it: whatever nobody has asked about for the longest goes first. Sizes are
the caller's estimate in bytes. Not thread-safe: callers hold their own lock.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class LRU(Generic[V]):
    """``put(key, value, size)`` keeps a value; beyond ``max_items`` or ``max_bytes`` the oldest go."""

    def __init__(self, max_items: int, max_bytes: int) -> None:
        self.max_items = int(max_items)
        self.max_bytes = int(max_bytes)
        self._entries: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self._bytes = 0

    def get(self, key: str | None) -> V | None:
        """The value under ``key``, now the most recently used; None if there is none."""
        if key is None or key not in self._entries:
            return None
        self._entries.move_to_end(key)
        return self._entries[key][0]

    def put(self, key: str, value: V, size_bytes: int) -> bool:
        """Keep ``value``, dropping the least recently used beyond the limits. False: too big to keep."""
        if size_bytes > self.max_bytes or self.max_items < 1:
            return False
        self.discard(key)
        self._entries[key] = (value, size_bytes)
        self._bytes += size_bytes
        while len(self._entries) > self.max_items or self._bytes > self.max_bytes:
            _, (_, size) = self._entries.popitem(last=False)
            self._bytes -= size
        return True

    def discard(self, key: str) -> None:
        """Drop one entry, if kept."""
        old = self._entries.pop(key, None)
        if old is not None:
            self._bytes -= old[1]

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_mb(self) -> float:
        """The estimated size of everything kept, in MB."""
        return self._bytes / (1024 * 1024)
