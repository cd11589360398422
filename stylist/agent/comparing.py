"""The offline stylist's side-by-side of items it showed: "compare the first two", "#1 vs #3".

Everything compared is what the numbered list already holds (name, price and the catalog's
attributes), so the answer needs no tool call and says only what the catalog says. An LLM
provider gets the same facts from the conversation note and compares in its own words.
"""

from __future__ import annotations

from collections.abc import Sequence

from stylist.tools.conversation import ShownItem

# The attributes a person weighs when choosing between two pieces, in the order they read them,
# with the word the answer uses for each.
COMPARED = {
    "articleType": "type",
    "baseColour": "colour",
    "gender": "for",
    "season": "season",
    "usage": "use",
}


def _line(item: ShownItem) -> str:
    attrs = [item.attributes.get(a, "") for a in COMPARED]
    described = ", ".join(a for a in attrs if a)
    return f"- #{item.n} {item.name}: ${item.price:.2f}" + (f" ({described})" if described else "")


def _differences(items: Sequence[ShownItem]) -> tuple[list[str], list[str]]:
    """("colour: #1 Black, #2 Navy Blue", ...) where they differ; the values they share."""
    differ, shared = [], []
    for attribute, word in COMPARED.items():
        values = [item.attributes.get(attribute, "") for item in items]
        if not any(values):
            continue
        if len(set(values)) == 1:
            shared.append(values[0])
        else:
            each = ", ".join(f"#{i.n} {v or 'unknown'}" for i, v in zip(items, values, strict=True))
            differ.append(f"{word}: {each}")
    return differ, shared


def _price_sentence(items: Sequence[ShownItem]) -> str:
    cheapest = min(items, key=lambda i: i.price)
    dearest = max(items, key=lambda i: i.price)
    gap = dearest.price - cheapest.price
    if gap < 0.005:
        return "They cost the same."
    if len(items) == 2:
        return f"#{cheapest.n} costs ${gap:.2f} less than #{dearest.n}."
    return f"#{cheapest.n} is the cheapest, ${gap:.2f} less than #{dearest.n}, the dearest."


def compare_items(items: Sequence[ShownItem]) -> str:
    """Two or more shown items side by side: each one's line, where they differ, the price gap
    and what they have in common."""
    if len(items) < 2:
        raise ValueError("A comparison needs at least two items.")
    differ, shared = _differences(items)
    parts = ["Side by side:", *(_line(i) for i in items)]
    if differ:
        parts.append("Where they differ: " + "; ".join(differ) + ".")
    parts.append(_price_sentence(items))
    if shared:
        parts.append(f"In common: {', '.join(shared)}.")
    return "\n".join(parts)
