"""The offline stylist's plans for wardrobe asks: save a photo, show, correct or rename, remove,
an outfit around a piece the person owns, several outfits from what they own.

`stylist.language` decides the intent (examples in intent_examples.json); this module reads the
few things an intent needs from the words — which owned piece ("my navy blazer"), the new name
("call it ..."), how many looks ("3 outfits"), the occasion ("for a week in summer") — and the
corrections from the catalog words the message named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from stylist.agent.intents import PlannedCall
from stylist.language.result import Understanding

# Attributes a person's words may correct. The category levels are left out: words such as
# "wardrobe" or "clothes" match "Apparel" by meaning, which is no correction.
CORRECTABLE = ("gender", "articleType", "baseColour", "season", "usage")
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_WHOSE = r"(?:wardrobe|closet|clothes|things|stuff|own|style|budget|size|preferences)"
_OWNED_PIECE = re.compile(
    rf"\bmy\s+(?!{_WHOSE}\b)([a-z0-9][\w' -]*?)"
    r"(?=\s+(?:from|in|out|for|with|please|and|to|that|today|tonight|instead)\b|[?.!,;]|$)"
)
_ITEM_NUMBER = re.compile(r"\bitem\s*#?\s*(\d{1,9})\b|#(\d{1,9})\b")
_NEW_NAME = re.compile(
    r"\b(?:call|name|rename)\s+(?:it|this|that|(?:my|the)\s+[\w' -]+?)\s+(?:to\s+|as\s+)?"
    r"[\"“']?(.+?)[\"”']?\s*[.!?]*$|\bsave\s+(?:it|this|that)\b.*?\bas\s+[\"“']?(.+?)[\"”']?\s*[.!?]*$"
)
_LOOKS = re.compile(rf"\b(\d{{1,2}}|{'|'.join(_NUMBERS)})\s+(?:\w+\s+)?(?:outfits?|looks?|days?)\b")
_OCCASION = re.compile(r"\bfor\s+(.+?)(?=\s+(?:from|using|out of|with)\b|[?.!]|$)")


def plan_wardrobe(
    intent: str, u: Understanding, photo_for: Callable[[str], str]
) -> list[PlannedCall]:
    """The tool calls for one wardrobe intent; `photo_for(what)` is the photo the message is
    about (the planner's own reference rules; it refuses with a sentence when there is none)."""
    text = u.text.strip()
    lowered = text.lower()
    if intent == "wardrobe_save":
        args: dict[str, Any] = {"photo": photo_for("save it to your wardrobe")}
        name = new_name(text)
        if name:
            args["name"] = name
        elif fixes := corrections(u):
            args["corrections"] = fixes
        return [PlannedCall("save_to_wardrobe", args)]
    if intent == "wardrobe_show":
        return [PlannedCall("show_wardrobe", {"query": text})]
    if intent == "wardrobe_edit":
        args = {}
        name = new_name(text)
        # "call it my lucky shirt": the words after the verb are the new name, not the item.
        piece = owned_piece(lowered.replace(name.lower(), " ") if name else lowered)
        if piece:
            args["item"] = piece
        if name:
            args["name"] = name
        else:
            args["corrections"] = corrections(u)
        return [PlannedCall("update_wardrobe_item", args)]
    if intent == "wardrobe_remove":
        piece = owned_piece(lowered) or _the_piece(lowered)
        return [PlannedCall("remove_from_wardrobe", {"item": piece} if piece else {})]
    if intent == "wardrobe_plan":
        args = {"count": looks_wanted(lowered)}
        occasion = _OCCASION.search(lowered)
        if occasion:
            args["occasion"] = occasion.group(1).strip()
        return [PlannedCall("plan_outfits", args)]
    if intent == "wardrobe_outfit":
        piece = owned_piece(lowered)
        if piece:
            return [PlannedCall("complete_outfit", {"wardrobe_item": piece})]
        return [PlannedCall("complete_outfit", {"photo": photo_for("build an outfit around it")})]
    raise ValueError(f"not a wardrobe intent: {intent}")


def owned_piece(lowered: str) -> str | None:
    """ "what goes with my navy blazer?" → "navy blazer"; "item 3" → "3"."""
    number = _ITEM_NUMBER.search(lowered)
    if number:
        return number.group(1) or number.group(2)
    found = _OWNED_PIECE.search(lowered)
    return found.group(1).strip() if found else None


def _the_piece(lowered: str) -> str | None:
    found = re.search(
        r"\b(?:remove|delete|take|throw out)\s+the\s+([\w' -]+?)\s+(?:from|out)\b", lowered
    )
    return found.group(1).strip() if found else None


def new_name(text: str) -> str | None:
    found = _NEW_NAME.search(text.strip())
    if not found:
        return None
    name = (found.group(1) or found.group(2) or "").strip()
    return re.sub(r"^(?:my|the)\s+", "", name, flags=re.IGNORECASE) or None


def corrections(u: Understanding) -> dict[str, str]:
    """The attribute values the message named, as corrections ({"baseColour": "Black"})."""
    fixes = {a: values[0] for a, values in u.include.items() if a in CORRECTABLE and values}
    if u.gender:
        fixes["gender"] = u.gender
    return fixes


def looks_wanted(lowered: str) -> int:
    found = _LOOKS.search(lowered)
    if not found:
        return 7 if "week" in lowered else 3
    word = found.group(1)
    return max(1, min(7, int(word) if word.isdigit() else _NUMBERS[word]))
