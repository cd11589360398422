"""Timestamps as the app database stores them: ISO 8601 UTC text, the way Chainlit writes them."""

from __future__ import annotations

from datetime import UTC, datetime


def now_iso() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")
