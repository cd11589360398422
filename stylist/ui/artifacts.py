"""Tool artifacts → what the chat shows: props for the custom elements and a short markdown line.

Pure functions over the artifact dicts documented in docs/architecture.md (Agent → Artifacts), so
they are tested without a Chainlit server. `stylist.ui.elements` turns the result into Chainlit
elements; the JSX that draws them lives in public/elements/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from stylist.catalog.schema import ATTRIBUTES

# Labels a person reads instead of the Kaggle column names.
ATTRIBUTE_NAMES: dict[str, str] = {
    "gender": "Gender",
    "masterCategory": "Category",
    "subCategory": "Subcategory",
    "articleType": "Type",
    "baseColour": "Colour",
    "season": "Season",
    "usage": "Usage",
}

SLOT_NAMES: dict[str, str] = {
    "top": "Top",
    "bottom": "Bottom",
    "footwear": "Shoes",
    "accessory": "Accessory",
    "bag": "Bag",
}

CATALOG_IMAGE_ROUTE = "/stylist/catalog-image/{item_id}"
# A stored photo, served only to its owners (`stylist.ui.access`). ":path" so that any id, even
# one with slashes, reaches the check (and gets a refusal).
PHOTO_ROUTE = "/stylist/photos/{image_id:path}"
WARDROBE_SOURCE = "wardrobe"


@dataclass
class Rendered:
    """One artifact as the chat shows it: custom elements (name → props) and markdown."""

    markdown: str = ""
    elements: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def catalog_image_url(item_id: int) -> str:
    return CATALOG_IMAGE_ROUTE.format(item_id=int(item_id))


def photo_url(image_id: str) -> str:
    return PHOTO_ROUTE.replace("{image_id:path}", image_id)


def price_text(price: float | None) -> str:
    return "" if price is None else f"${float(price):,.2f}"


def percent(confidence: float) -> int:
    return max(0, min(100, round(float(confidence) * 100)))


def product_props(
    product: dict[str, Any], number: int | None = None, *, to_buy: bool = False
) -> dict[str, Any]:
    """A card's props; `number` is its place in the list shown ("#2"), what the person can say
    back ("the second one", "#2"), shown on the card with the item id. A piece of the person's
    wardrobe (`source` "wardrobe") shows its own photo and "yours"; `to_buy`: a catalog piece
    that fills a slot their wardrobe could not ("to buy · $24.00")."""
    attributes = product.get("attributes") or {}
    owned = product.get("source") == WARDROBE_SOURCE
    label = f"wardrobe item {int(product['id'])}" if owned else f"item {int(product['id'])}"
    price = None if owned or product.get("price") is None else round(float(product["price"]), 2)
    if owned:
        shown_price = "yours"
        image = photo_url(product["photo_id"]) if product.get("photo_id") else ""
    else:
        shown_price = price_text(price)
        if to_buy:
            shown_price = f"to buy · {shown_price}"
        image = catalog_image_url(product["id"])
    return {
        "id": int(product["id"]),
        "number": number,
        "label": f"#{number} · {label}" if number is not None else label,
        "name": str(product.get("name") or f"Item {product['id']}"),
        "price": price,
        "priceText": shown_price,
        "imageUrl": image,
        "source": WARDROBE_SOURCE if owned else ("to_buy" if to_buy else "catalog"),
        "corrected": list(product.get("corrected") or []),
        # Ordered like ATTRIBUTES so every card reads the same way.
        "attributes": [
            {"key": a, "name": ATTRIBUTE_NAMES[a], "value": str(attributes[a])}
            for a in ATTRIBUTES
            if attributes.get(a) not in (None, "")
        ],
    }


def render_tags(artifact: dict[str, Any]) -> Rendered:
    rows = []
    for attr in ATTRIBUTES:
        ranked = artifact.get("attributes", {}).get(attr) or []
        if not ranked:
            continue
        rows.append(
            {
                "key": attr,
                "name": ATTRIBUTE_NAMES[attr],
                "labels": [
                    {
                        "label": str(r["label"]),
                        "confidence": round(float(r["confidence"]), 4),
                        "percent": percent(r["confidence"]),
                    }
                    for r in ranked
                ],
            }
        )
    photo = artifact.get("photo") or "your photo"
    props = {"title": f"What I see in {photo}", "photo": photo, "rows": rows}
    return Rendered(elements=[("AttributeTags", props)] if rows else [])


def render_products(artifact: dict[str, Any]) -> Rendered:
    products = [product_props(p, n) for n, p in enumerate(artifact.get("products") or [], 1)]
    filters = artifact.get("filters") or {}
    props = {
        "title": str(artifact.get("title") or "Products"),
        "filters": [{"key": k, "value": _filter_text(k, v)} for k, v in filters.items()],
        "products": products,
    }
    if not products:
        return Rendered(markdown=f"*{props['title']}: no products matched.*")
    return Rendered(elements=[("ProductCards", props)])


def outfit_props(artifact: dict[str, Any], title: str | None = None) -> dict[str, Any]:
    slots = [
        {
            "slot": str(s.get("slot", "")),
            "slotName": SLOT_NAMES.get(str(s.get("slot")), str(s.get("slot", "")).title()),
            "reason": str(s.get("reason") or ""),
            "product": product_props(s["product"], n, to_buy=bool(s.get("to_buy"))),
        }
        for n, s in enumerate((s for s in artifact.get("slots") or [] if s.get("product")), 1)
    ]
    anchor = (artifact.get("anchor") or {}).get("description") or "your piece"
    return {"title": title or f"An outfit around {anchor}", "slots": slots}


def render_outfit(artifact: dict[str, Any]) -> Rendered:
    props = outfit_props(artifact)
    if not props["slots"]:
        anchor = (artifact.get("anchor") or {}).get("description") or "your piece"
        return Rendered(markdown=f"*I could not find pieces to go with {anchor}.*")
    return Rendered(elements=[("OutfitBoard", props)])


def render_outfits(artifact: dict[str, Any]) -> Rendered:
    """Several looks (planned from the wardrobe): one outfit board per look."""
    boards = []
    for number, outfit in enumerate(artifact.get("outfits") or [], 1):
        anchor = (outfit.get("anchor") or {}).get("description") or "your piece"
        props = outfit_props(outfit, f"Look {number}: around {anchor}")
        if props["slots"]:
            boards.append(("OutfitBoard", props))
    if not boards:
        return Rendered(markdown="*I could not put looks together from your wardrobe.*")
    return Rendered(elements=boards)


def render_wardrobe(artifact: dict[str, Any]) -> Rendered:
    """Items of the person's wardrobe as product cards (their own photos, "yours")."""
    items = [product_props(item) for item in artifact.get("items") or []]
    title = str(artifact.get("title") or "Your wardrobe")
    if not items:
        if artifact.get("mode") == "removed":
            return Rendered(markdown=f"*{title}.*")
        return Rendered(markdown=f"*{title}: nothing there yet.*")
    filters = artifact.get("filters") or {}
    props = {
        "title": title,
        "filters": [{"key": k, "value": _filter_text(k, v)} for k, v in filters.items()],
        "products": items,
    }
    return Rendered(elements=[("ProductCards", props)])


def render_caption(artifact: dict[str, Any]) -> Rendered:
    photo = artifact.get("photo") or "your photo"
    caption = str(artifact.get("caption") or "").strip()
    return Rendered(markdown=f"> *{caption}* — caption for {photo}" if caption else "")


def render_fewshot(artifact: dict[str, Any]) -> Rendered:
    if artifact.get("mode") == "teach":
        label = artifact.get("label") or "that style"
        n = len(artifact.get("photo_ids") or [])
        styles = artifact.get("styles") or []
        known = f" Styles you've taught me: {', '.join(styles)}." if styles else ""
        return Rendered(markdown=f"Learned the style **{label}** from {n} photo(s).{known}")
    predictions = artifact.get("predictions") or []
    if not predictions:
        return Rendered()
    rows = [
        {
            "key": "style",
            "name": "Style",
            "labels": [
                {
                    "label": str(p["label"]),
                    "confidence": round(float(p["confidence"]), 4),
                    "percent": percent(p["confidence"]),
                }
                for p in predictions
            ],
        }
    ]
    return Rendered(
        elements=[("AttributeTags", {"title": "Closest styles", "photo": "", "rows": rows})]
    )


RENDERERS = {
    "tags": render_tags,
    "products": render_products,
    "outfit": render_outfit,
    "outfits": render_outfits,
    "wardrobe": render_wardrobe,
    "caption": render_caption,
    "fewshot": render_fewshot,
}


def render_artifact(artifact: dict[str, Any] | None) -> Rendered:
    """Any artifact → Rendered; unknown kinds render nothing rather than break the turn."""
    if not artifact:
        return Rendered()
    renderer = RENDERERS.get(str(artifact.get("kind")))
    return renderer(artifact) if renderer else Rendered()


def _filter_text(key: str, value: Any) -> str:
    if key == "min_price":
        return f"from {price_text(value)}"
    if key == "max_price":
        return f"up to {price_text(value)}"
    if isinstance(value, (list, tuple)):
        return " or ".join(str(v) for v in value)
    return str(value)
