"""The two outputs of every tool: a compact summary for the model and an artifact for the UI.

Artifact shapes are a contract with the UI (docs/architecture.md, "Agent / Artifacts"); keep
them plain JSON (str, int, float, bool, list, dict).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from stylist.catalog.schema import ATTRIBUTES

Ranked = Mapping[str, Sequence[tuple[str, float]]]


def product_dict(product: Any) -> dict[str, Any]:
    """A search result (vectorstore `Product` or a dict of the same fields) as plain JSON."""
    data = product.model_dump() if hasattr(product, "model_dump") else dict(product)
    return {
        "id": int(data["id"]),
        "name": str(data.get("name", "")),
        "price": round(float(data.get("price") or 0.0), 2),
        "image": str(data.get("image", "")),
        "score": round(float(data.get("score") or 0.0), 4),
        "attributes": {a: str(data.get("attributes", {}).get(a, "")) for a in ATTRIBUTES},
    }


def product_line(product: Mapping[str, Any]) -> str:
    """One line the model can quote: id, name, price and the attributes that matter."""
    attrs = product["attributes"]
    return (
        f"item_id {product['id']}: {product['name']} — ${product['price']:.2f} "
        f"({attrs['gender']}, {attrs['baseColour']} {attrs['articleType']}, "
        f"{attrs['season']}, {attrs['usage']})"
    )


def shown_line(item: Any) -> str:
    """A numbered result as the model sees it: "#2 item_id 1534: Name — $24.00 (...)"."""
    attrs = item.attributes
    return (
        f"#{item.n} item_id {item.id}: {item.name} — ${item.price:.2f} "
        f"({attrs.get('gender', '')}, {attrs.get('baseColour', '')} "
        f"{attrs.get('articleType', '')}, {attrs.get('season', '')}, {attrs.get('usage', '')})"
    )


def tags_artifact(photo_id: str, photo: str, ranked: Ranked) -> dict[str, Any]:
    return {
        "kind": "tags",
        "photo_id": photo_id,
        "photo": photo,
        "attributes": {
            a: [{"label": str(label), "confidence": round(float(p), 4)} for label, p in ranked[a]]
            for a in ATTRIBUTES
            if a in ranked
        },
    }


def tags_summary(photo: str, ranked: Ranked) -> str:
    """ "photo 1: gender Men 0.91; articleType Shirts 0.84 (or Tshirts 0.10); ..."."""
    parts = []
    for attribute in ATTRIBUTES:
        options = list(ranked.get(attribute, []))
        if not options:
            continue
        label, p = options[0]
        part = f"{attribute} {label} {p:.2f}"
        if p < 0.6 and len(options) > 1:  # uncertain: show the runner-up too
            part += f" (or {options[1][0]} {options[1][1]:.2f})"
        parts.append(part)
    return f"{photo}: " + "; ".join(parts)


def top_labels(ranked: Ranked) -> dict[str, str]:
    return {a: str(ranked[a][0][0]) for a in ATTRIBUTES if ranked.get(a)}


def products_artifact(
    products: Sequence[Mapping[str, Any]],
    *,
    title: str,
    query: str | None = None,
    photo_id: str | None = None,
    item_id: int | None = None,
    filters: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "kind": "products",
        "title": title,
        "query": query,
        "photo_id": photo_id,
        "item_id": item_id,
        "filters": {k: v for k, v in (filters or {}).items() if v not in (None, [], "")},
        "products": list(products),
    }


def products_summary(title: str, products: Sequence[Mapping[str, Any]]) -> str:
    if not products:
        return f"{title}: no matching products in the catalog."
    lines = [f"{title} ({len(products)} products, best first, numbered for the person):"]
    lines += [f"{n}. {product_line(p)}" for n, p in enumerate(products, 1)]
    return "\n".join(lines)


def compact_json(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
