"""Tools over the signed-in person's wardrobe: save a photo as their item, list, rename /
re-tag, remove, and plan several outfits from what they own.

Outfits around one piece are `catalog_tools.complete_outfit`'s job: it takes the wardrobe
first whenever the person has one (see `owned_outfit`), so "what can I wear with this?" works
the same for the LLM and the offline stylist.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import tool
from langgraph.prebuilt import InjectedState
from pydantic import Field

from stylist.tools import search_backend
from stylist.tools.artifacts import product_dict, product_line, top_labels
from stylist.tools.conversation import Constraints, constraints_of
from stylist.tools.errors import ToolUserError
from stylist.tools.photo_tools import predict_tags
from stylist.tools.photos import photo_ids_of, pick_photo
from stylist.tools.wardrobe_backend import (
    EMPTY,
    OwnedPieces,
    corrected_attributes,
    encoder_fingerprint,
    owned_item,
    owned_pieces,
    wardrobe_embedding,
    wardrobe_of_turn,
)
from stylist.vectorstore.outfit import CATALOG_SOURCE, OutfitSource
from stylist.wardrobe import WARDROBE_SOURCE, Wardrobe, WardrobeItem
from stylist.wording import plural

# Kinds an outfit of the week is built around (one per look); others only fill slots.
LOOK_ANCHOR_KINDS = ("top", "dress")
MAX_PLANNED = 7

Corrections = Annotated[
    dict[str, str] | None,
    Field(
        description='attributes the person corrected, e.g. {"colour": "Black", "type": '
        '"Jeans"}; keys: colour, type, category, subcategory, gender, season, occasion'
    ),
]
ItemName = Annotated[
    str | None, Field(max_length=80, description='the name the person gave, e.g. "navy blazer"')
]


def item_card(item: WardrobeItem) -> dict[str, Any]:
    return {**item.product_dict(), "corrected": list(item.corrected)}


def wardrobe_artifact(mode: str, title: str, items: list[WardrobeItem], **extra) -> dict:
    return {
        "kind": "wardrobe",
        "mode": mode,
        "title": title,
        "items": [item_card(i) for i in items],
        **extra,
    }


def _corrected_note(item: WardrobeItem) -> str:
    if not item.corrected:
        return ""
    fixed = ", ".join(f"{a} {item.attributes[a]}" for a in item.corrected)
    return f" (corrected by you: {fixed})"


@tool(response_format="content_and_artifact")
def save_to_wardrobe(
    state: Annotated[dict, InjectedState],
    photo: Annotated[
        str, Field(max_length=80, description='which photo: "latest" (default), "photo 2", ...')
    ] = "latest",
    name: ItemName = None,
    corrections: Corrections = None,
    add_to_item: Annotated[
        str | None,
        Field(
            max_length=120,
            description="add the photo to this existing wardrobe item (number or name) "
            "instead of making a new one",
        ),
    ] = None,
) -> tuple[str, dict[str, Any]]:
    """Save a photo of the person's own garment to their wardrobe, with its predicted
    attributes (their corrections applied) and, if they gave one, its name. Use when they say
    "save this to my wardrobe", "add it to my closet", "this is my navy blazer, keep it"."""
    wardrobe = wardrobe_of_turn()
    photo_id, label = pick_photo(state, photo)
    return save_photo(
        wardrobe,
        photo_id,
        label,
        name=name,
        fixes=corrected_attributes(corrections),
        add_to_item=add_to_item,
    )


def save_photo(
    wardrobe: Wardrobe,
    photo_id: str,
    label: str = "the photo",
    *,
    name: str | None = None,
    fixes: dict[str, str] | None = None,
    add_to_item: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """Save a stored photo to a wardrobe (a new item, or one more photo of `add_to_item`):
    (summary, wardrobe artifact). The tool and the tag card's "Save to wardrobe" button both
    end here; the caller decides whose wardrobe it is."""
    fixes = fixes or {}
    fingerprint = encoder_fingerprint()
    if add_to_item:
        item = owned_item(wardrobe, add_to_item)
        item = wardrobe.add_photo(
            item.id, photo_id, embed=wardrobe_embedding, fingerprint=fingerprint
        )
        content = (
            f"Added {label} to {item.line()}; it now has {plural(len(item.photo_ids), 'photo')}."
        )
        return content, wardrobe_artifact("saved", f"Added {label} to {item.name}", [item])
    existing = wardrobe.item_with_photo(photo_id)
    if existing is not None:
        item = apply_changes(wardrobe, existing, name, fixes)
        content = f"{label} is already in the wardrobe as {item.line()}{_corrected_note(item)}."
        return content, wardrobe_artifact("saved", f"In your wardrobe: {item.name}", [item])
    attributes = {**top_labels(predict_tags(photo_id)), **fixes}
    item = wardrobe.save(
        [photo_id], attributes, name=name, embed=wardrobe_embedding, fingerprint=fingerprint
    )
    if fixes:
        item = wardrobe.retag(item.id, fixes)  # remembered as the person's corrections
        wardrobe.item_vectors([item], wardrobe_embedding, fingerprint)
    content = f"Saved {label} to the wardrobe as {item.line()}{_corrected_note(item)}."
    return content, wardrobe_artifact("saved", f"Saved to your wardrobe: {item.name}", [item])


def apply_changes(wardrobe, item: WardrobeItem, name: str | None, fixes: dict[str, str]):
    """A new name and/or attribute corrections (already `corrected_attributes`) of an item."""
    if name and name.strip():
        item = wardrobe.rename(item.id, name)
    if fixes:
        item = wardrobe.retag(item.id, fixes)
    return item


@tool(response_format="content_and_artifact")
def show_wardrobe(
    state: Annotated[dict, InjectedState],
    query: Annotated[
        str | None,
        Field(
            max_length=200,
            description='what to show, in the person\'s words: "shoes", "summer things", '
            '"black tops"; empty for everything',
        ),
    ] = None,
) -> tuple[str, dict[str, Any]]:
    """Show the person's own wardrobe, or the part of it a description names ("my shoes", "my
    summer things"), with the same colour / type / season / occasion filters as catalog
    search. Each item has a number to rename, correct or remove it by."""
    return list_wardrobe(wardrobe_of_turn(), query)


def list_wardrobe(
    wardrobe: Wardrobe, query: str | None = None, explicit: dict[str, Any] | None = None
) -> tuple[str, dict[str, Any]]:
    """(summary, wardrobe artifact) of the items a description and/or explicit attribute
    filters name; the tool, the HTTP API and the MCP server all list a wardrobe here."""
    # The shopping constraints of the chat (a budget, a gender) do not hide what they own.
    filters = (
        search_backend.filters_for(query, explicit, Constraints()) if query or explicit else None
    )
    items = wardrobe.items(filters if filters is not None and not filters.is_empty() else None)
    described = search_backend.describe(filters)
    title = "Your wardrobe" + (f" ({described})" if described else "")
    if not items:
        total = len(wardrobe.items()) if filters is not None else 0
        content = f"{title}: nothing matches." if total else EMPTY
    else:
        lines = [f"{title} ({plural(len(items), 'item')}):"]
        lines += [f"- {i.line()}{_corrected_note(i)}" for i in items]
        content = "\n".join(lines)
    return content, wardrobe_artifact(
        "list", title, items, filters=search_backend.filters_dict(filters)
    )


OptionalItemRef = Annotated[
    str | None,
    Field(
        max_length=120,
        description='the wardrobe item: its number ("3") or its name ("my navy blazer"); '
        "empty: the item the photo shows",
    ),
]
PhotoOfItem = Annotated[
    str | None,
    Field(max_length=80, description='when item is empty: a photo of it, "latest" by default'),
]


def _item_meant(state, wardrobe, item: str | None, photo: str | None, *, newest: bool):
    """The item named, else the one the photo shows, else (when `newest`) the latest saved."""
    if item:
        return owned_item(wardrobe, item)
    if photo_ids_of(state):
        photo_id, _label = pick_photo(state, photo or "latest")
        found = wardrobe.item_with_photo(photo_id)
        if found is not None:
            return found
    items = wardrobe.items()
    if newest and items:
        return items[-1]
    raise ToolUserError(
        'Which wardrobe item? Say its name or number ("show my wardrobe" lists them).'
        if items
        else EMPTY
    )


@tool(response_format="content_and_artifact")
def update_wardrobe_item(
    state: Annotated[dict, InjectedState],
    item: OptionalItemRef = None,
    name: ItemName = None,
    corrections: Corrections = None,
    photo: PhotoOfItem = None,
) -> tuple[str, dict[str, Any]]:
    """Rename an item of the person's wardrobe and/or correct its attributes ("it's black, not
    navy", "call it my interview shirt"). Without `item`: the item the photo shows, else the
    one saved last."""
    wardrobe = wardrobe_of_turn()
    found = _item_meant(state, wardrobe, item, photo, newest=True)
    fixes = corrected_attributes(corrections)
    if not (name and name.strip()) and not fixes:
        raise ToolUserError("Tell me the new name or the attribute to correct.")
    updated = apply_changes(wardrobe, found, name, fixes)
    content = f"Updated {updated.line()}{_corrected_note(updated)}."
    return content, wardrobe_artifact("updated", f"Updated: {updated.name}", [updated])


@tool(response_format="content_and_artifact")
def remove_from_wardrobe(
    state: Annotated[dict, InjectedState],
    item: OptionalItemRef = None,
    photo: PhotoOfItem = None,
) -> tuple[str, dict[str, Any]]:
    """Remove one item from the person's wardrobe (named, or the one the photo shows)."""
    wardrobe = wardrobe_of_turn()
    found = _item_meant(state, wardrobe, item, photo, newest=False)
    wardrobe.remove([found.id])
    content = f"Removed {found.line()} from the wardrobe."
    return content, wardrobe_artifact("removed", f"Removed: {found.name}", [])


# --- outfits from what they own ---------------------------------------------------------------


def owned_outfit(
    *,
    owned: OwnedPieces,
    anchor_item: WardrobeItem | None = None,
    photo_id: str | None = None,
    item_id: int | None = None,
    tags=None,
    embedding=None,
    style: str | None = None,
    constraints: Constraints | None = None,
    used: set[int] | frozenset[int] = frozenset(),
    catalog_used: set[int] | frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """An outfit with the wardrobe as the first source: pieces not in `used` first, then any
    piece, then the catalog ("to buy"). The anchor is an owned item, a photo or a catalog item;
    an owned anchor (or the saved item a photo shows) is never offered as its own partner;
    catalog pieces in `catalog_used` (proposed in an earlier look) are not proposed again."""
    exclude = set()
    if anchor_item is None and photo_id:
        # A photo of a saved item: the item's attributes (with the person's corrections) count.
        anchor_item = next((i for i in owned.by_id.values() if photo_id in i.photo_ids), None)
    if anchor_item is not None:
        tags, embedding = owned.anchor(anchor_item)
        exclude.add(anchor_item.id)
    sources: list[OutfitSource] = []
    if used:
        sources.append(owned.source(exclude | set(used)))
    sources.append(owned.source(exclude))
    return search_backend.outfit(
        item_id=item_id,
        tags=tags,
        image_embedding=embedding,
        style=style,
        constraints=constraints,
        before_catalog=sources,
        catalog_exclude=catalog_used,
    )


def outfit_slots(outfit: dict[str, Any], owned: OwnedPieces | None) -> list[dict[str, Any]]:
    """Slots as artifact JSON; owned pieces as their wardrobe cards, catalog pieces marked
    "to buy" when the outfit is built from the wardrobe."""
    slots = []
    for s in outfit["slots"]:
        source = s.get("source", CATALOG_SOURCE)
        if source == WARDROBE_SOURCE and owned is not None:
            product = owned.by_id[int(s["product"]["id"])].product_dict(s["product"]["score"])
        else:
            product = {**product_dict(s["product"]), "source": CATALOG_SOURCE}
        slots.append(
            {
                "slot": s["slot"],
                "product": product,
                "reason": s["reason"],
                "source": source,
                "to_buy": owned is not None and source == CATALOG_SOURCE,
            }
        )
    return slots


def slot_line(n: int, slot: dict[str, Any]) -> str:
    product = slot["product"]
    if slot["source"] == WARDROBE_SOURCE:
        a = product["attributes"]
        what = (
            f"yours — wardrobe item {product['id']}: {product['name']} "
            f"({a['baseColour']} {a['articleType']})"
        )
    else:
        what = ("to buy — " if slot["to_buy"] else "") + product_line(product)
    return f"{n}. {slot['slot']}: {what} — {slot['reason']}"


@tool(response_format="content_and_artifact")
def plan_outfits(
    state: Annotated[dict, InjectedState],
    count: Annotated[int, Field(ge=1, le=MAX_PLANNED, description="how many looks")] = 3,
    occasion: Annotated[
        str | None,
        Field(max_length=200, description='e.g. "a week in summer", "office days", "a trip"'),
    ] = None,
) -> tuple[str, dict[str, Any]]:
    """Plan several distinct outfits from the person's own wardrobe ("plan 3 outfits for a week
    in summer from my wardrobe"): each look is built around a different top or dress they own,
    no piece repeats while another fits, and a slot their wardrobe cannot fill comes from the
    catalog, marked to buy with its price."""
    owned = owned_pieces(wardrobe_of_turn())
    if owned is None:
        raise ToolUserError(EMPTY)
    constraints = constraints_of(state)
    wanted = search_backend.filters_for(occasion, None, Constraints()) if occasion else None
    season_usage = {
        a: wanted.values(a) for a in ("season", "usage") if wanted is not None and wanted.values(a)
    }
    anchors = _look_anchors(owned, season_usage)
    if not anchors:
        raise ToolUserError(
            "I need at least one top or dress in your wardrobe to build looks around."
        )
    used: set[int] = set()
    catalog_used: set[int] = set()
    outfits = []
    for anchor in anchors[:count]:
        outfit = owned_outfit(
            owned=owned,
            anchor_item=anchor,
            style=occasion,
            constraints=constraints,
            used=used,
            catalog_used=catalog_used,
        )
        slots = outfit_slots(outfit, owned)
        used |= {anchor.id}
        used |= {s["product"]["id"] for s in slots if s["source"] == WARDROBE_SOURCE}
        catalog_used |= {s["product"]["id"] for s in slots if s["source"] != WARDROBE_SOURCE}
        outfits.append(
            {
                "anchor": {
                    "photo_id": anchor.photo_id,
                    "item_id": None,
                    "wardrobe_item_id": anchor.id,
                    "description": f"your {anchor.name}",
                    "source": WARDROBE_SOURCE,
                },
                "slots": slots,
                "missing": list(outfit.get("missing") or []),
            }
        )
    lines = [
        f"{plural(len(outfits), 'look')} from the wardrobe"
        + (f" for {occasion}" if occasion else "")
        + ":"
    ]
    if len(outfits) < count:
        lines.append(
            f"(Only {plural(len(outfits), 'top or dress', 'tops or dresses')} to build on, "
            f"so {plural(len(outfits), 'look')}, not {count}.)"
        )
    for number, outfit in enumerate(outfits, 1):
        lines.append(f"Look {number}, around {outfit['anchor']['description']}:")
        lines += [slot_line(n, s) for n, s in enumerate(outfit["slots"], 1)]
    artifact = {"kind": "outfits", "occasion": occasion, "requested": count, "outfits": outfits}
    return "\n".join(lines), artifact


def _look_anchors(owned: OwnedPieces, season_usage: dict[str, list[str]]) -> list[WardrobeItem]:
    """Tops and dresses to build looks around, those fitting the season / occasion first."""
    candidates = [i for i in owned.by_id.values() if owned.kind_of(i) in LOOK_ANCHOR_KINDS]

    def fits(item: WardrobeItem) -> bool:
        return all(item.attributes.get(a) in values for a, values in season_usage.items())

    return sorted(candidates, key=lambda i: (not fits(i), i.id))
