"""The key that signs Chainlit's login cookies: made on first run, kept in the data dir.

Chainlit reads it from CHAINLIT_AUTH_SECRET. When that is not set, the app uses the data dir's
`auth-secret` file, creating it once (readable by its owner only). Processes that share a data
dir share the key; processes on separate machines need the same CHAINLIT_AUTH_SECRET.
Replacing the key logs everybody out (every cookie it signed stops verifying).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from stylist.settings import StyleSettings, get_settings

ENV_VAR = "CHAINLIT_AUTH_SECRET"


def read_or_create_secret(path: Path) -> str:
    """The key in `path`, creating it atomically if absent (two processes agree on one key)."""
    path = Path(path)
    if path.is_file():
        existing = path.read_text().strip()
        if existing:
            return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # fails if another process created the key first: use theirs
        except FileExistsError:
            return path.read_text().strip()
        return key
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def ensure_auth_secret(settings: StyleSettings | None = None) -> str:
    """Set CHAINLIT_AUTH_SECRET from the data dir unless the environment already has one."""
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    key = read_or_create_secret((settings or get_settings()).auth_secret_path)
    os.environ[ENV_VAR] = key
    return key
