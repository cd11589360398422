"""Private copies of the session's demo installation, for tests that write to it."""

from __future__ import annotations

import shutil
from pathlib import Path


def copy_demo_world(demo_world: Path, data_dir: Path, *also_leave_out: str) -> Path:
    """A copy of the demo installation without any chat, account or upload state, for tests
    that write to its app database, Chroma or image store (the shared world stays untouched)."""
    state = ("app.sqlite*", "auth-secret", "memory", "uploads", *also_leave_out)
    shutil.copytree(demo_world, data_dir, ignore=shutil.ignore_patterns(*state))
    return data_dir
