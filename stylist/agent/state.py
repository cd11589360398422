"""The graph's state: the conversation's messages, the ids of its photos and taught styles, and
what the stylist remembers between turns.

Only photo ids (sha256 hex of the stored upload) live here — never image bytes — so the
checkpoint stays small and the LLM context never carries pixels. `shown` holds the numbered
result lists shown (ids, names, prices, attributes), `focus` what "it" means now, `constraints`
the person's constraints so far, `understanding` this turn's reading of the message (offline
language understanding; None without the sentence encoder) and `subject` the words of the
latest search (for re-running it when the person refines). All of it is plain JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict

from stylist.tools.conversation import SHOWN_KEPT


def append_unique(left: list[str] | None, right: list[str] | None) -> list[str]:
    """Photo ids in the order they first appeared; re-sending a photo doesn't duplicate it."""
    merged = list(left or [])
    for item in right or []:
        if item not in merged:
            merged.append(item)
    return merged


def merge_styles(
    left: dict[str, list[str]] | None, right: dict[str, list[str]] | None
) -> dict[str, list[str]]:
    """Styles taught in this conversation: label → example photo ids (examples accumulate)."""
    merged = {label: list(ids) for label, ids in (left or {}).items()}
    for label, ids in (right or {}).items():
        merged[label] = append_unique(merged.get(label), ids)
    return merged


def keep_recent_lists(
    left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """The result lists shown, oldest first; only the last few are kept."""
    return [*(left or []), *(right or [])][-SHOWN_KEPT:]


class StylistState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    photo_ids: Annotated[list[str], append_unique]
    styles: Annotated[dict[str, list[str]], merge_styles]
    shown: Annotated[list[dict[str, Any]], keep_recent_lists]
    focus: dict[str, Any] | None
    constraints: dict[str, Any]
    understanding: dict[str, Any] | None
    subject: str
