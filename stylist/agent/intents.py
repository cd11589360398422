"""The offline stylist's reading of a message: which tools to call, with which arguments.

Rules, not a model: keyword patterns decide the intent (teach a style, classify a style,
caption, tag, complete the outfit, find similar, search), and the tools' reading of a request
(`stylist.tools.understanding.read_request`) turns colour / type / gender / season / occasion /
price words into filters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from stylist.tools.understanding import read_request

_QUOTED = re.compile(r"[\"“‘']([^\"”’']{1,40})[\"”’']")
_STYLE_WORD = re.compile(r"\b(style|look|vibe|aesthetic)s?\b")
_TEACH_VERB = re.compile(
    r"\b(this is|these are|this's|that's|that is|those are|it's|call (it|this|"
    r"these|them)|teach|learn|remember|save)\b"
)
_TEACH_UNQUOTED = re.compile(
    r"\b(?:this is|these are|that's|that is|those are|it's)\s+(?:my|our)\s+(?:own\s+)?"
    r"([a-z0-9][\w\-]*(?:\s[a-z0-9][\w\-]*)?)\s+(?:style|look|vibe|aesthetic)\b"
)
_TEACH_NAMED = re.compile(
    r"\b(?:teach|learn|remember)\b.*?\b(?:style|look)\s+(?:called|named)?\s*([a-z0-9][\w\-]*)"
)

_CLASSIFY = re.compile(
    r"\b(which|what)\s+(of my\s+)?(style|look|vibe|aesthetic)s?\b|"
    r"\bis\s+(this|it)\s+(my\s+)?[\w\-]+\s+(style|look)\b|\bclassify\b|"
    r"\bwhich of my\b"
)
_CAPTION = re.compile(r"\b(caption|describe|description)\b")
_TAG = re.compile(
    r"\b(tag|tags|attributes?|identify|label)\b|what(?:'s| is) (?:this|it|that)\b|"
    r"\bwhat (?:colou?r|kind|type|season|category)\b"
)
_OUTFIT = re.compile(
    r"\bgoes? (?:well )?with\b|\bpair(?:s|ing)?\b|\bmatch(?:es|ing)?\b|"
    r"\bcomplete (?:the |my |this )?(?:outfit|look)\b|\boutfit\b|\bwear (?:\w+ )?with\b|"
    r"\bstyle (?:this|it)\b|\bbuild a look\b|\bcombine\b|\bwhat to wear\b"
)
_SIMILAR = re.compile(
    r"\bsimilar\b|\blike (?:this|it|that|these|item|#)|\bmore like\b|\balike\b|"
    r"\blook-?alikes?\b|\bsame (?:but|style|look|one)\b|\bbut in\b|"
    r"\b(?:another|different|other) colou?rs?\b|\bcheaper\b"
)
_SEARCH = re.compile(
    r"\b(find|show|search|looking for|look for|need|want|recommend|suggest|buy|"
    r"get me|any|shop|browse|give me|i'd like)\b"
)
_ITEM = re.compile(r"(?:\bitem|\bproduct|#)\s*#?\s*(\d{1,9})\b")
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|help|thanks?|thank you)\b"
)


@dataclass
class PlannedCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    calls: list[PlannedCall] = field(default_factory=list)
    reply: str | None = None  # an answer without tools (greeting, photo needed, ...)


NEED_PHOTO = (
    "Attach a photo of the garment (the paperclip or drag and drop) and I'll {what}. "
    'You can also ask me to search, e.g. "black formal shoes for men under 60".'
)
HELP = (
    "I'm the offline stylist: I work without an LLM, from the shop's catalog. "
    'Try: attach a photo and ask "what goes with this?", "find similar but in red", '
    '"caption this", or search: "summer dress for women under 50", then "compare #1 and #2". '
    "You can also teach me a style: attach photos and say \"this is my 'boho' style\"."
)


def _teach_label(text: str) -> str | None:
    if _STYLE_WORD.search(text) and _TEACH_VERB.search(text):
        quoted = _QUOTED.search(text)
        if quoted:
            return quoted.group(1).strip()
    for pattern in (_TEACH_UNQUOTED, _TEACH_NAMED):
        match = pattern.search(text)
        if match:
            return match.group(1).strip()
    return None


def _filters_from(text: str, catalog) -> tuple[dict[str, Any], str]:
    """Single-valued filters parsed from the text (as tool arguments), and the remaining words."""
    if catalog is None:
        return {}, text
    parsed = read_request(text, catalog)
    filters = parsed.filters.model_dump(exclude_none=True)
    # Tool arguments take one value per attribute; several values stay in the query text,
    # which the search tool reads through the same kept reading (not a second parse).
    args = {k: v for k, v in filters.items() if not isinstance(v, list)}
    return args, parsed.remainder


def _style_words(filters: dict[str, Any]) -> str | None:
    words = [str(filters[a]) for a in ("usage", "season") if a in filters]
    return " ".join(words) or None


def plan_turn(text: str, *, has_photo: bool, new_photos: int, catalog=None) -> Plan:
    """Decide the tool calls for one message (the offline stylist's whole 'reasoning')."""
    raw = (text or "").strip()
    lower = raw.lower()
    item = _ITEM.search(lower)
    item_id = int(item.group(1)) if item else None
    anchor: dict[str, Any] = {"item_id": item_id} if item_id is not None else {"photo": "latest"}

    label = _teach_label(lower) if raw else None
    if label:
        if not has_photo:
            return Plan(reply=NEED_PHOTO.format(what=f"learn your '{label}' style from it"))
        return Plan([PlannedCall("teach_style", {"label": label})])

    filters, remainder = _filters_from(raw, catalog) if raw else ({}, "")
    if _CLASSIFY.search(lower):
        if not has_photo:
            return Plan(reply=NEED_PHOTO.format(what="tell you which style it is closest to"))
        return Plan([PlannedCall("classify_fewshot", {"photo": "latest"})])
    if _CAPTION.search(lower):
        if not has_photo:
            return Plan(reply=NEED_PHOTO.format(what="write a caption for it"))
        return Plan([PlannedCall("caption_image", {"photo": "latest"})])
    if _OUTFIT.search(lower):
        if item_id is None and not has_photo:
            return Plan(reply=NEED_PHOTO.format(what="put an outfit together around it"))
        args = dict(anchor)
        if style := _style_words(filters):
            args["style"] = style
        return Plan([PlannedCall("complete_outfit", args)])
    if _SIMILAR.search(lower) and (item_id is not None or has_photo):
        args = dict(anchor)
        if filters or "cheaper" in lower:
            args["modifier"] = raw
        return Plan([PlannedCall("find_similar", args)])
    if _TAG.search(lower):
        if not has_photo:
            return Plan(reply=NEED_PHOTO.format(what="tell you what it is"))
        return Plan([PlannedCall("tag_image", {"photo": "latest"})])
    if filters or (_SEARCH.search(lower) and remainder):
        return Plan([PlannedCall("search_catalog", {"query": raw, **filters})])
    if new_photos and (not raw or not _GREETING.search(lower)):
        # A photo with no clear question: say what it is and show similar items.
        return Plan(
            [
                PlannedCall("tag_image", {"photo": "latest"}),
                PlannedCall("find_similar", {"photo": "latest"}),
            ]
        )
    if item_id is not None:
        return Plan([PlannedCall("find_similar", {"item_id": item_id})])
    return Plan(reply=HELP)
