"""Heavy objects loaded once per process and rebuilt when what they were built from changes.

The encoder, the taggers, the few-shot head, the catalog table and the Chroma client are each
kept in one `ReloadingCache`. Its key says what the object was built from (file stamps, an
encoder fingerprint, a settings value); a different key builds a new object and drops the old
one, so a retrained model is picked up without a restart and a stale one frees its memory.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


def file_stamp(path: Path) -> tuple[str, int, int]:
    """(resolved path, mtime in ns, size): changes whenever the file is rewritten.

    A missing file has stamp (path, 0, 0), so a cache keyed on it rebuilds once it appears.
    """
    path = Path(path).resolve()
    try:
        stat = path.stat()
    except FileNotFoundError:
        return (str(path), 0, 0)
    return (str(path), stat.st_mtime_ns, stat.st_size)


class ReloadingCache(Generic[T]):
    """A small keyed cache whose entries are built at most once per key, under a lock.

    `maxsize=1` (the default) is "one live object": asking for another key drops the old one.
    Building happens outside no lock of the caller's; two threads asking for the same new key
    build it once.
    """

    def __init__(self, maxsize: int = 1) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._entries: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.RLock()

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
            value = build()  # an exception leaves the cache as it was
            self._entries[key] = value
            while len(self._entries) > self._maxsize:
                self._entries.popitem(last=False)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
