"""A thread reopened from the sidebar: the chat's settings as they were (never an API key).

Chainlit gives `on_chat_resume` the stored thread; its metadata holds the settings panel's
values (`chat_settings`, saved without `api_key` by `stylist.ui.history`). The agent's memory
needs nothing here: the session is keyed by the thread id, and the checkpointer has the rest.
"""

from __future__ import annotations

import json
from typing import Any

from stylist.ui.history import without_secrets
from stylist.ui.settings_panel import panel_widgets


def stored_settings(thread: dict[str, Any]) -> dict[str, Any]:
    metadata = thread.get("metadata") or {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except json.JSONDecodeError:
            metadata = {}
    values = metadata.get("chat_settings") if isinstance(metadata, dict) else None
    return without_secrets(values) if isinstance(values, dict) else {}


def restored_widgets(values: dict[str, Any]) -> list[Any]:
    """The settings panel with the stored values as the initial ones."""
    widgets = panel_widgets()
    for widget in widgets:
        if widget.id in values and values[widget.id] is not None:
            widget.initial = values[widget.id]
    return widgets
