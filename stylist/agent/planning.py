"""The offline stylist's plan for one message, from what it understood and what the chat holds.

`stylist.language` reads the message (intents in order, with a confidence; catalog words by
meaning; negation, comparatives, references). This module maps that reading to tool calls:
references become shown items or photos, a refinement re-runs what was shown last (the tools
apply the updated constraints), an unclear message gets a short question instead of a guess.
Without the sentence encoder the rule-based `intents.plan_turn` plans instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stylist.agent.comparing import compare_items
from stylist.agent.intents import HELP, NEED_PHOTO, Plan, PlannedCall
from stylist.agent.profile_planning import plan_profile
from stylist.agent.wardrobe_planning import owned_piece, plan_wardrobe
from stylist.language.result import ItemRef, PhotoRef, ResultRef, Understanding
from stylist.tools.conversation import (
    OWNED_ITEM_INTENTS,
    Constraints,
    Focus,
    ReferenceNotFound,
    ShownItem,
    ShownList,
    resolve_results,
)
from stylist.wording import in_words

# One tool call per item for "the first three": more would flood the answer.
MAX_ANCHORS = 3
# Items in one side-by-side: beyond four, a comparison stops being readable.
MAX_COMPARED = 4

_ASK_WORDS = {
    "search": "search the catalog",
    "refine": "narrow down what I showed",
    "similar": "find similar items",
    "outfit": "put an outfit together",
    "compare": "compare items I showed",
    "tag": "tell you what a photo shows",
    "caption": "caption a photo",
    "classify_style": "match a photo to one of your styles",
    "teach_style": "learn a style from your photos",
    "profile": "note a preference",
    "show_constraints": "show what I'm filtering on",
    "clear_constraints": "clear your filters",
    "help": "explain what I can do",
    "wardrobe_save": "save it to your wardrobe",
    "wardrobe_show": "show your wardrobe",
    "wardrobe_edit": "change an item of your wardrobe",
    "wardrobe_remove": "remove an item from your wardrobe",
    "wardrobe_outfit": "build an outfit from your wardrobe",
    "wardrobe_plan": "plan outfits from your wardrobe",
}
_PHOTO_ASKS = {
    "tag": ("tag_image", "tell you what it is"),
    "caption": ("caption_image", "write a caption for it"),
    "classify_style": ("classify_fewshot", "tell you which style it is closest to"),
}


@dataclass
class ConversationView:
    """What the offline stylist may read of the graph state (plain data)."""

    understanding: dict[str, Any] | None = None
    shown: list[ShownList] = field(default_factory=list)
    focus: Focus | None = None
    constraints: Constraints = field(default_factory=Constraints)
    photo_ids: list[str] = field(default_factory=list)
    subject: str = ""
    new_photos: int = 0  # photos attached to this message (the newest of photo_ids)


class _Refused(Exception):
    """The plan is a sentence instead of a tool call (no photo, a reference to nothing)."""


def plan_understood(u: Understanding, view: ConversationView) -> Plan:
    """Tool calls for each ask of the message, in order; or one short sentence."""
    if not u.text.strip() and view.new_photos:
        return Plan([PlannedCall("tag_image", {"photo": "latest"}), _similar_to_photo("latest")])
    calls: list[PlannedCall] = []
    replies: list[str] = []
    for intent in u.intents:
        try:
            planned = _plan_one(intent, u, view)
        except _Refused as refused:
            replies.append(str(refused))
            continue
        if isinstance(planned, str):
            replies.append(planned)
        else:
            calls += [c for c in planned if c not in calls]
    if calls:
        return Plan(calls)
    return Plan(reply=" ".join(dict.fromkeys(replies)) or HELP)


def _plan_one(intent: str, u: Understanding, view: ConversationView) -> list[PlannedCall] | str:
    if intent == "search":
        return [_search(view)]
    if intent == "refine":
        return [_rerun_last(u, view)]
    if intent == "outfit" and not view.photo_ids and not u.references:
        # "what goes with my navy blazer?" in a chat without photos: a piece they own.
        piece = owned_piece(u.text.lower())
        if piece:
            return [PlannedCall("complete_outfit", {"wardrobe_item": piece})]
    if intent in ("similar", "outfit"):
        return [_anchored(intent, anchor, u) for anchor in _anchors(u, view, intent)]
    if intent == "compare":
        return compare_items(_compared(u, view))
    if intent in OWNED_ITEM_INTENTS:
        return plan_wardrobe(intent, u, lambda what: _photo(u, view, what))
    if intent in _PHOTO_ASKS:
        tool, what = _PHOTO_ASKS[intent]
        return [PlannedCall(tool, {"photo": _photo(u, view, what)})]
    if intent == "teach_style":
        label = u.style_label or "my style"
        _photo(u, view, f"learn your '{label}' style from it")
        return [PlannedCall("teach_style", {"label": label})]
    if intent == "show_constraints":
        return f"I'm filtering on: {view.constraints.describe()}."
    if intent == "clear_constraints":
        return "Done — no filters now; tell me what you're looking for."
    if intent == "profile":
        return [plan_profile(u)]
    if intent == "clarify":
        return clarifying_question(u)
    return HELP


def clarifying_question(u: Understanding) -> str:
    options = [
        _ASK_WORDS[c.intent] for c in u.candidates if c.intent in _ASK_WORDS and c.intent != "help"
    ][:2]
    if not options:
        return "I'm not sure what you'd like. " + HELP
    return f"I'm not sure what you'd like: should I {in_words(options, 'or')}?"


def _search(view: ConversationView) -> PlannedCall:
    return PlannedCall("search_catalog", {"query": _search_text(view)})


def _search_text(view: ConversationView) -> str:
    """The words for the embedding: the latest subject, else what the constraints ask for.

    Catalog words in a query become filters; the constraints already hold them, so only the
    subject's own words and the values currently asked for are sent (never stale ones)."""
    wanted = [v for values in view.constraints.include.values() for v in values]
    words = " ".join([view.subject, *wanted]).strip()
    return words or "clothes"


def _rerun_last(u: Understanding, view: ConversationView) -> PlannedCall:
    """A refinement ("not black", "cheaper", "less formal"): what was shown last, again; the
    tools apply the constraints it just changed."""
    if not view.shown:
        if u.query_text or any(view.constraints.include.values()):
            return _search(view)
        raise _Refused('Tell me what you\'re looking for first, e.g. "a summer dress under 50".')
    last = view.shown[-1]
    if last.tool == "search_catalog":
        return _search(view)
    args = {k: v for k, v in last.args.items() if k != "modifier"}
    return PlannedCall(last.tool, args)


def _anchors(u: Understanding, view: ConversationView, intent: str) -> list[dict[str, Any]]:
    """What "similar to" / "goes with" is about: the referenced results, item or photo, else
    the current focus, else the latest photo."""
    what = "find similar items" if intent == "similar" else "put an outfit together around it"
    anchors: list[dict[str, Any]] = []
    for ref in u.references:
        if isinstance(ref, ResultRef):
            try:
                items = resolve_results(view.shown, ref)
            except ReferenceNotFound as err:
                raise _Refused(str(err)) from None
            latest = {i.n: i.id for i in view.shown[-1].items}
            # "#2" of the latest list goes to the tool as result=2 (it answers with the number).
            anchors += [
                {"result": i.n} if latest.get(i.n) == i.id else {"item_id": i.id} for i in items
            ]
        elif isinstance(ref, ItemRef):
            anchors.append({"item_id": ref.item_id})
        elif isinstance(ref, PhotoRef):
            anchors.append({"photo": _photo_ref(ref, view, what)})
    if anchors:
        return anchors[:MAX_ANCHORS]
    focus = view.focus
    if focus is not None and focus.type == "item" and focus.item_id is not None:
        return [{"item_id": focus.item_id}]
    if view.photo_ids:
        return [{"photo": _focused_photo(view)}]
    if view.shown:
        count = len(view.shown[-1].items)
        raise _Refused(
            f'Which one? Say its number, e.g. "the second one" or "#2" (#1 to #{count}), '
            "or attach a photo."
        )
    raise _Refused(NEED_PHOTO.format(what=what))


def _compared(u: Understanding, view: ConversationView) -> list[ShownItem]:
    """The shown items "compare ..." names; "compare them" is the last list when it holds two."""
    if not view.shown:
        raise _Refused("I haven't shown you any items to compare yet; tell me what to look for.")
    items: list[ShownItem] = []
    for ref in u.references:
        if isinstance(ref, ResultRef):
            try:
                items += [i for i in resolve_results(view.shown, ref) if i not in items]
            except ReferenceNotFound as err:
                raise _Refused(str(err)) from None
    latest = view.shown[-1].items
    if not u.references and len(latest) == 2:
        items = list(latest)
    if len(items) < 2:
        raise _Refused(
            f'Which ones? Say their numbers, e.g. "compare #1 and #3" (#1 to #{len(latest)}).'
        )
    return items[:MAX_COMPARED]


def _anchored(intent: str, anchor: dict[str, Any], u: Understanding) -> PlannedCall:
    if intent == "similar":
        return PlannedCall("find_similar", dict(anchor))
    args = dict(anchor)
    if u.query_text:
        args["style"] = u.query_text
    return PlannedCall("complete_outfit", args)


def _similar_to_photo(photo: str) -> PlannedCall:
    return PlannedCall("find_similar", {"photo": photo})


def _photo(u: Understanding, view: ConversationView, what: str) -> str:
    """The photo a photo ask is about: the one referenced, else the focus, else the latest."""
    for ref in u.references:
        if isinstance(ref, PhotoRef):
            return _photo_ref(ref, view, what)
    if not view.photo_ids:
        raise _Refused(NEED_PHOTO.format(what=what))
    return _focused_photo(view)


def _focused_photo(view: ConversationView) -> str:
    """The focused photo as a reference ("latest" when it is the newest)."""
    focus = view.focus
    if focus is not None and focus.type == "photo" and focus.photo_id in view.photo_ids[:-1]:
        return f"photo {view.photo_ids.index(focus.photo_id) + 1}"
    return "latest"


def _photo_ref(ref: PhotoRef, view: ConversationView, what: str) -> str:
    count = len(view.photo_ids)
    if not count:
        raise _Refused(NEED_PHOTO.format(what=what))
    if ref.earlier:
        # The latest photo before this message's own (the message's own is the newest).
        number = count - view.new_photos
        if number < 1:
            raise _Refused("There is no earlier photo in this conversation.")
        return f"photo {number}"
    if ref.index in (None, -1):
        return "latest"
    return f"photo {ref.index}"
