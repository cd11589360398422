"""A short sentence of what was understood: "Summer party wear for women under $60, no black"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stylist.wording import in_words

if TYPE_CHECKING:
    from stylist.language.result import Understanding

_INTENT_WORDS = {
    "similar": "similar items",
    "outfit": "an outfit",
    "compare": "a side-by-side",
    "tag": "what it is",
    "caption": "a caption",
    "classify_style": "which of your styles it matches",
    "teach_style": "learning your style",
    "profile": "your style profile",
    "small_talk": "a chat",
    "help": "what I can do",
    "show_constraints": "what I'm filtering on",
    "clear_constraints": "starting over",
    "clarify": "not sure what you'd like",
    "wardrobe_save": "saving it to your wardrobe",
    "wardrobe_show": "your wardrobe",
    "wardrobe_edit": "changing a wardrobe item",
    "wardrobe_remove": "removing a wardrobe item",
    "wardrobe_outfit": "an outfit from your wardrobe",
    "wardrobe_plan": "outfits planned from your wardrobe",
}
_DIRECTIONS = {
    ("formality", "more"): "more formal",
    ("formality", "less"): "more casual",
    ("sportiness", "more"): "sportier",
    ("sportiness", "less"): "less sporty",
    ("darkness", "more"): "darker",
    ("darkness", "less"): "lighter",
    ("brightness", "more"): "brighter",
    ("brightness", "less"): "more muted",
    ("warmth", "more"): "warmer",
    ("warmth", "less"): "lighter-weight",
}
_RESET_WORDS = {"baseColour": "any colour", "price": "any price", "articleType": "any type",
                "season": "any season", "usage": "any occasion", "gender": "any gender",
                "size": "any size", "all": "starting over"}  # fmt: skip


def _either(values: list[str]) -> str:
    return in_words(values, "or")


def _what(u: Understanding) -> str:
    include = u.include
    adjectives = []
    if include.get("season"):
        adjectives.append(_either(include["season"]))
    if include.get("usage"):
        adjectives.append(_either([v.lower() for v in include["usage"]]))
    if include.get("baseColour"):
        adjectives.append(_either([v.lower() for v in include["baseColour"]]))
    kind = next(
        (
            _either(include[a])
            for a in ("articleType", "subCategory", "masterCategory")
            if include.get(a)
        ),
        None,
    )
    words = [*adjectives, (kind.lower() if kind else "wear" if adjectives else "")]
    return " ".join(w for w in words if w)


def _price_range(u: Understanding) -> str:
    price = u.price
    if price is None:
        return ""
    if price.min is not None and price.max is not None:
        return f"${price.min:g}–${price.max:g}"
    if price.max is not None:
        return f"under ${price.max:g}"
    if price.min is not None:
        return f"over ${price.min:g}"
    return ""


def _reference(ref) -> str:
    if ref.type == "item":
        return f"item {ref.item_id}"
    if ref.type == "photo":
        if ref.earlier:
            return "your earlier photo"
        return "your latest photo" if ref.index == -1 else f"photo {ref.index}"
    noun = ref.kind or "result"
    if ref.first_n:
        return f"the first {ref.first_n} results"
    if ref.position == -1:
        return f"the last {noun}"
    if ref.position:
        return f"{noun} #{ref.position}"
    return f"that {noun}"


def describe(u: Understanding) -> str:
    """What was understood, briefly: the ask when it is not a plain search, then the constraints."""
    head = _what(u)
    if u.gender:
        head = " ".join(w for w in (head, f"for {u.gender.lower()}") if w)
    head = " ".join(w for w in (head, _price_range(u)) if w)
    if u.query_text and "teach_style" not in u.intents:
        head = " ".join(w for w in (head, f"matching “{u.query_text}”") if w)
    extras = [u.price.relative] if u.price and u.price.relative else []
    excluded = [v.lower() for a, vs in u.exclude.items() if a != "gender" for v in vs]
    if excluded := excluded + u.exclude_terms:
        extras.append("no " + _either(excluded))
    if genders := u.exclude.get("gender"):
        extras.append("not for " + _either([g.lower() for g in genders]))
    extras += [_DIRECTIONS[(c.dimension, c.direction)] for c in u.comparatives]
    if "clear_constraints" not in u.intents:
        extras += [_RESET_WORDS.get(r, f"any {r}") for r in u.reset]
    constraints = ", ".join(p for p in (head, *extras) if p)
    refs = in_words([_reference(r) for r in u.references])
    asks = [i for i in u.intents if i not in ("search", "refine")]
    if asks:
        words = [_INTENT_WORDS[i] for i in asks]
        if u.style_label and "teach_style" in asks:
            words[asks.index("teach_style")] = f"learning your '{u.style_label}' style"
        text = ", then ".join(words) + (f" for {refs}" if refs else "")
        text += f": {constraints}" if constraints else ""
    else:
        text = constraints + (f" ({refs})" if refs and constraints else refs)
    return (text[:1].upper() + text[1:]) if text else "Nothing specific yet"
