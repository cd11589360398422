"""The offline stylist's answer, written from the tool results of this turn.

Everything named in the answer comes from a tool's artifact (products, outfit slots, tags), so
the offline stylist can only recommend items the catalog returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import ToolMessage

from stylist.catalog.schema import OTHER
from stylist.tools.understanding import colour_partners
from stylist.wording import in_words, plural

# The first words of every offline answer, so nobody mistakes it for an LLM. Messages are read
# by meaning with the MiniLM sentence encoder; a message it could not read (no encoder wheel,
# no catalog yet) falls back to keyword rules, and then the answer says so.
OFFLINE_INTRO = (
    "(Offline stylist — no LLM; I read your message by meaning with a small local model.)"
)
OFFLINE_INTRO_RULES = "(Offline stylist — no LLM; this message was read by keyword rules.)"


def offline_intro(*, by_meaning: bool) -> str:
    return OFFLINE_INTRO if by_meaning else OFFLINE_INTRO_RULES


MAX_LISTED = 6

_VERBS = {
    "tag_image": "tag the photo",
    "caption_image": "caption the photo",
    "search_catalog": "search the catalog",
    "find_similar": "find similar items",
    "complete_outfit": "complete the outfit",
    "classify_fewshot": "match the photo to a style",
    "teach_style": "learn that style",
    "remember_preference": "note that preference",
    "show_profile": "show your style profile",
    "forget_preference": "forget that",
    "forget_me": "delete your data",
    "save_to_wardrobe": "save it to your wardrobe",
    "show_wardrobe": "show your wardrobe",
    "update_wardrobe_item": "change that wardrobe item",
    "remove_from_wardrobe": "remove it from your wardrobe",
    "plan_outfits": "plan outfits from your wardrobe",
}
# Artifacts whose tool already wrote the sentence the person should read (profile tools).
_SAID_BY_TOOL = {"profile", "forget_me"}


def _money(value: float) -> str:
    return f"${value:.2f}"


def _item(product: Mapping[str, Any]) -> str:
    attrs = product["attributes"]
    return (
        f"**{product['name']}** (item {product['id']}) — {_money(product['price'])} "
        f"({attrs['baseColour']} {attrs['articleType']}, {attrs['usage']}, {attrs['season']})"
    )


def _tags(artifact: Mapping[str, Any]) -> str:
    attrs = artifact["attributes"]

    def top(*names: str) -> tuple[str, float]:
        # "Other" is the merged bucket of rare classes: fall back to a coarser attribute.
        for name in names:
            ranked = attrs.get(name) or []
            if ranked and ranked[0]["label"] != OTHER:
                return ranked[0]["label"], float(ranked[0]["confidence"])
        return "", 0.0

    kind, p_kind = top("articleType", "subCategory", "masterCategory")
    colour, p_colour = top("baseColour")
    gender, _ = top("gender")
    usage, _ = top("usage")
    season, _ = top("season")
    photo = artifact["photo"].capitalize()
    if not kind:
        return (
            f"I can't tell what kind of garment {artifact['photo']} shows with confidence; "
            "a clearer photo on a plain background helps."
        )
    described = " ".join(w for w in (colour, kind) if w)
    text = f"{photo} looks like a {described}" + (f" ({gender})" if gender else "")
    text += f" — {p_kind:.0%} sure of the type"
    text += f", {p_colour:.0%} of the colour" if colour else ", colour unclear"
    extras = [
        f"{usage.lower()} wear" if usage else "",
        f"{season.lower()} weight" if season else "",
    ]
    text += "; " + ", ".join(e for e in extras if e) + "." if any(extras) else "."
    if min(p_kind, p_colour or 1.0) < 0.5:
        alts = [r["label"] for r in (attrs.get("articleType") or [])[1:2] if r["label"] != OTHER]
        text += " I'm not certain" + (f" (it could also be {alts[0]})" if alts else "") + "."
    return text


def _products(artifact: Mapping[str, Any]) -> str:
    products = artifact["products"][:MAX_LISTED]
    if not products:
        where = (
            f" ({', '.join(f'{v}' for v in artifact['filters'].values())})"
            if artifact["filters"]
            else ""
        )
        return (
            f"I found nothing in the catalog for that{where}. Try fewer filters or a higher budget."
        )
    lines = [f"{artifact['title']}:"]
    lines += [f"{i}. {_item(p)}" for i, p in enumerate(products, 1)]
    colours = sorted({p["attributes"]["baseColour"] for p in products})
    if len(colours) == 1:
        lines.append(_colour_tip(colours[0]))
    return "\n".join(line for line in lines if line)


def _colour_tip(colour: str) -> str:
    """One line on what goes with a colour, from the tools' colour harmony facts."""
    partners = colour_partners(colour, 3)
    if not partners:
        return ""
    return f"Tip: {colour} goes well with {in_words(partners, 'or')}."


def _outfit(artifact: Mapping[str, Any]) -> str:
    slots = artifact["slots"]
    profile = f" (your profile: {artifact['profile']})" if artifact.get("profile") else ""
    lines = [f"To complete the look around {artifact['anchor']['description']}{profile}:"]
    for n, slot in enumerate(slots, 1):
        lines.append(f"{n}. {slot['slot'].capitalize()}: {_slot_piece(slot)}. {slot['reason']}")
    to_buy = [s for s in slots if s.get("source", "catalog") == "catalog"]
    total = sum(float(s["product"]["price"]) for s in to_buy)
    if len(to_buy) < len(slots):
        owned = len(slots) - len(to_buy)
        lines.append(
            f"{plural(owned, 'piece')} from your wardrobe"
            + (
                f"; the {plural(len(to_buy), 'piece')} to buy come to {_money(total)}."
                if to_buy
                else "."
            )
        )
    else:
        lines.append(f"The {len(slots)} pieces come to {_money(total)} in total.")
    return "\n".join(lines)


def _slot_piece(slot: Mapping[str, Any]) -> str:
    product = slot["product"]
    if slot.get("source") == "wardrobe":
        attrs = product["attributes"]
        return (
            f"yours — **{product['name']}** (wardrobe item {product['id']}; "
            f"{attrs['baseColour']} {attrs['articleType']})"
        )
    return ("to buy — " if slot.get("to_buy") else "") + _item(product)


def _outfits(artifact: Mapping[str, Any]) -> str:
    outfits = artifact["outfits"]
    occasion = f" for {artifact['occasion']}" if artifact.get("occasion") else ""
    lines = [f"{plural(len(outfits), 'look')} from your wardrobe{occasion}:"]
    if len(outfits) < int(artifact.get("requested") or len(outfits)):
        lines.append(
            f"(Your wardrobe has {plural(len(outfits), 'top or dress', 'tops or dresses')} "
            f"to build on, so {plural(len(outfits), 'look')}, not {artifact['requested']}.)"
        )
    for number, outfit in enumerate(outfits, 1):
        lines.append(f"**Look {number}**, around {outfit['anchor']['description']}:")
        lines += [f"- {s['slot'].capitalize()}: {_slot_piece(s)}" for s in outfit["slots"]]
    return "\n".join(lines)


def _wardrobe(artifact: Mapping[str, Any]) -> str:
    items = artifact["items"]
    mode = artifact["mode"]
    if mode == "removed":
        return f"Done — {artifact['title'].removeprefix('Removed: ')} is out of your wardrobe."
    if not items:
        return (
            "Nothing in your wardrobe matches that."
            if artifact.get("filters")
            else 'Your wardrobe is empty so far: send a photo and say "save this to my wardrobe".'
        )
    lines = [f"{artifact['title']}:"]
    for item in items[: 3 * MAX_LISTED]:
        attrs = item["attributes"]
        fixed = item.get("corrected") or []
        note = f" — corrected: {', '.join(attrs[a] for a in fixed)}" if fixed else ""
        lines.append(
            f"- **{item['name']}** (wardrobe item {item['id']}): {attrs['baseColour']} "
            f"{attrs['articleType']}, {attrs['season']}, {attrs['usage']}{note}"
        )
    if mode == "saved":
        lines.append(
            'If a tag is wrong, say e.g. "the colour is black" or "call it my navy blazer".'
        )
    return "\n".join(lines)


def _fewshot(artifact: Mapping[str, Any]) -> str:
    if artifact["mode"] == "teach":
        n = len(artifact["photo_ids"])
        return (
            f"Got it — I learned your '{artifact['label']}' style from {plural(n, 'photo')}. "
            'Attach another photo and ask "which style is this?" to try it.'
        )
    ranked = artifact["predictions"]
    if not ranked:
        return "I could not match that photo to a style."
    best = ranked[0]
    text = f"That photo is closest to **{best['label']}** ({best['confidence']:.0%})"
    if len(ranked) > 1:
        text += ", then " + ", ".join(f"{r['label']} ({r['confidence']:.0%})" for r in ranked[1:3])
    return text + "."


_WRITERS = {
    "tags": _tags,
    "products": _products,
    "outfit": _outfit,
    "caption": lambda a: f"Caption: “{a['caption']}”",
    "fewshot": _fewshot,
    "outfits": _outfits,
    "wardrobe": _wardrobe,
}


def compose_answer(
    results: Sequence[ToolMessage], *, last_text: str = "", understood: str | None = None
) -> str:
    """The offline stylist's final answer from this turn's tool messages, after a line saying
    what it understood (so a wrong reading is visible); `understood` is None when the message
    was not read by meaning (keyword rules)."""
    intro = offline_intro(by_meaning=understood is not None)
    parts = [intro + (f" Understood: {understood}." if understood else "")]
    asked_budget = any(w in last_text.lower() for w in ("under", "below", "$", "budget", "cheap"))
    showed_products = False
    for message in results:
        artifact = message.artifact if isinstance(message.artifact, dict) else None
        if message.status == "error" or artifact is None:
            reason = str(message.content).removeprefix("Error: ").strip()
            verb = _VERBS.get(message.name or "", "do that")
            parts.append(f"I couldn't {verb}: {reason}")
            continue
        writer = _WRITERS.get(artifact.get("kind", ""))
        if artifact.get("kind") in _SAID_BY_TOOL:
            parts.append(str(message.content))
        elif writer:
            parts.append(writer(artifact))
        showed_products |= artifact.get("kind") in ("products", "outfit") and bool(
            artifact.get("products") or artifact.get("slots")
        )
    if showed_products and not asked_budget:
        parts.append("Tell me the occasion, season or a budget and I'll narrow it down.")
    return "\n\n".join(parts)
