"""The graph's state: the conversation's messages plus the ids of its photos and taught styles.

Only photo ids (sha256 hex of the stored upload) live here — never image bytes — so the
checkpoint stays small and the LLM context never carries pixels.
"""

from __future__ import annotations

from typing import Annotated

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from typing_extensions import TypedDict


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


class StylistState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    photo_ids: Annotated[list[str], append_unique]
    styles: Annotated[dict[str, list[str]], merge_styles]
