"""The graph's two bookkeeping nodes: reading the person's message into the conversation state,
and remembering what the tools showed.

    START → read → model ⇄ tools → remember → model …

`read` understands the newest message (the offline language layer: intents, catalog words by
meaning, negation, comparatives, references), updates the constraints in force and the focus,
and keeps the reading for the offline stylist. It runs for every provider, so an LLM sees the
same constraints and numbered results in its prompt and the tools apply them either way.
`remember` turns this step's products / outfit artifacts into numbered result lists.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from stylist.agent.state import StylistState
from stylist.language import SentenceEncoderUnavailable, Understanding, understand
from stylist.tools.conversation import (
    Focus,
    constraints_of,
    shown_from_artifact,
    shown_lists,
    update_constraints,
)
from stylist.tools.profile_layer import after_profile_message
from stylist.tools.run_context import current_user_id
from stylist.tools.understanding import catalog_values

log = logging.getLogger(__name__)

PHOTO_NOTE = re.compile(r"\[attached: ([^\]]*)\]")


def message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(b.get("text", "") for b in content if isinstance(b, dict))


def person_text(message: BaseMessage) -> str:
    """What the person typed (without the "[attached: photo 1]" note)."""
    return PHOTO_NOTE.sub("", message_text(message)).strip()


def _known_values() -> dict[str, list[str]] | None:
    try:
        return catalog_values()
    except Exception as err:  # noqa: BLE001 - a missing catalog is reported by the tools themselves
        log.info("the message is not read: the catalog did not load (%s)", err)
        return None


def read_message(text: str) -> tuple[Understanding | None, dict[str, list[str]] | None]:
    """The message understood against the catalog's words (None without encoder or catalog)."""
    known = _known_values()
    if known is None or not text:
        return None, known
    try:
        return understand(text, known), known
    except SentenceEncoderUnavailable as err:
        log.info("offline understanding unavailable: %s", err)
        return None, known


async def read_node(state: StylistState) -> dict[str, Any]:
    """Update the conversation state from the person's newest message."""
    messages = state.get("messages", [])
    last = messages[-1] if messages else None
    if not isinstance(last, HumanMessage):
        return {}
    text = person_text(last)
    new_photos = list((last.additional_kwargs or {}).get("photo_ids") or [])
    understanding, known = await asyncio.to_thread(read_message, text)
    update: dict[str, Any] = {"understanding": None}
    if new_photos:
        update["focus"] = Focus(type="photo", photo_id=new_photos[-1]).model_dump()
    if understanding is None:
        return update
    update["understanding"] = understanding.model_dump(mode="json")
    if "profile" in understanding.intents:
        # About the person, not this search: "I never wear yellow" must not become a wish for
        # yellow, nor "my budget is 50" a "cheaper" (see stylist.tools.profile_layer).
        constraints = await asyncio.to_thread(
            after_profile_message,
            text,
            constraints_of(state),
            signed_in=current_user_id() is not None,
        )
        update["constraints"] = constraints.model_dump(mode="json")
        return update
    constraints = update_constraints(
        constraints_of(state),
        understanding,
        shown=shown_lists(state),
        known_values=known,
    )
    update["constraints"] = constraints.model_dump(mode="json")
    if "search" in understanding.intents and understanding.query_text:
        update["subject"] = understanding.query_text
    elif "search" in understanding.intents or "clear_constraints" in understanding.intents:
        update["subject"] = ""
    return update


def _this_step(messages: Sequence[BaseMessage]) -> tuple[dict[str, dict], list[ToolMessage]]:
    """The calls of the last model step (id → call) and the tool messages after it."""
    results: list[ToolMessage] = []
    for message in reversed(messages):
        if isinstance(message, ToolMessage):
            results.append(message)
        elif isinstance(message, AIMessage):
            return {c["id"]: c for c in message.tool_calls}, list(reversed(results))
        else:
            break
    return {}, list(reversed(results))


def remember_node(state: StylistState) -> dict[str, Any]:
    """Number what this step's tools showed, and move the focus to what they were about."""
    calls, results = _this_step(state.get("messages", []))
    shown: list[dict[str, Any]] = []
    focus: Focus | None = None
    for message in results:
        artifact = message.artifact if isinstance(message.artifact, dict) else None
        if message.status == "error" or artifact is None:
            continue
        call = calls.get(message.tool_call_id, {})
        args = dict(call.get("args") or {})
        anchor = artifact.get("anchor") if artifact.get("kind") == "outfit" else artifact
        item_id = anchor.get("item_id") if isinstance(anchor, dict) else None
        photo_id = anchor.get("photo_id") if isinstance(anchor, dict) else None
        if item_id is not None:
            # "#2" named the list shown then; re-running the call must name the item itself.
            args.pop("result", None)
            args["item_id"] = int(item_id)
            focus = Focus(type="item", item_id=int(item_id), name=_anchor_name(artifact))
        elif photo_id:
            focus = Focus(type="photo", photo_id=str(photo_id))
        listed = shown_from_artifact(artifact, message.name or "", args)
        if listed is not None:
            shown.append(listed.model_dump(mode="json"))
    update: dict[str, Any] = {}
    if shown:
        update["shown"] = shown
    if focus is not None:
        update["focus"] = focus.model_dump(mode="json")
    return update


def _anchor_name(artifact: dict[str, Any]) -> str:
    if artifact.get("kind") == "outfit":
        return str(artifact.get("anchor", {}).get("description", ""))
    return str(artifact.get("title", ""))
