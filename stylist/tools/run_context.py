"""What the running graph turn says about itself (the agent's `StylistContext`), read by tools.

Tools sit below the agent and do not import its context class: they read the fields they need
by name. Outside a graph run (CLI, HTTP API, tests calling a tool directly) there is no turn,
and every value is its default.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import get_runtime


def run_context_value(name: str, default: Any = None) -> Any:
    """A field of the current turn's context, or `default` outside a graph run."""
    try:
        context = get_runtime().context
    except RuntimeError:  # called outside a graph run (CLI, API)
        return default
    return getattr(context, name, default)


def current_user_id() -> str | None:
    """The signed-in person this turn acts for, or None for an anonymous chat. Owned data
    (wardrobe, profile) is keyed by this, never by an id the model passes in."""
    return run_context_value("user_id")
