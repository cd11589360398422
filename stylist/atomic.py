"""Atomic file writes: a reader (the chat loading a model, a resumed run reading its state)
sees the previous file or the whole new one, never half of one.

One mechanism for every writer: the caller writes to a private temp path in the target's own
directory (same filesystem, so the rename is atomic), and `os.replace` moves it over the target.
A failed write removes its temp file and leaves the target untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: Path, *, suffix: str = ".tmp", durable: bool = False) -> Iterator[Path]:
    """Yield a temp path beside `target`; on a clean exit it replaces `target` atomically.

    `suffix` keeps writers that look at the extension happy (``np.savez`` appends ``.npz``
    unless the name already ends with it). `durable=True` fsyncs the file before the rename,
    for data a person uploaded (a crash right after must not lose it).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write(target: Path, write: Callable[[Path], object], **kwargs) -> Path:
    """Call `write(temp_path)`, then move the result over `target`. Returns `target`."""
    with atomic_path(target, **kwargs) as tmp:
        write(tmp)
    return Path(target)


def atomic_write_bytes(target: Path, data: bytes, *, durable: bool = False) -> Path:
    return atomic_write(target, lambda tmp: tmp.write_bytes(data), durable=durable)


def atomic_write_text(target: Path, text: str) -> Path:
    return atomic_write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
