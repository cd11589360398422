"""Tools over the product catalog: text search, similar items, outfit completion."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import tool
from langgraph.prebuilt import InjectedState
from pydantic import Field

from stylist.tools import search_backend
from stylist.tools.artifacts import (
    product_dict,
    product_line,
    products_artifact,
    products_summary,
    top_labels,
)
from stylist.tools.errors import ToolUserError
from stylist.tools.photo_tools import predict_tags
from stylist.tools.photos import photo_embedding, pick_photo

# Filter arguments, named exactly like the catalog's columns (and SearchFilters).
Gender = Annotated[
    str | None, Field(description="Men, Women, Boys, Girls or Unisex", max_length=40)
]
Value = Annotated[str | None, Field(max_length=60)]
Price = Annotated[float | None, Field(ge=0, le=100_000)]
K = Annotated[int | None, Field(ge=1, le=20, description="how many products (default 6)")]


def _explicit_filters(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


@tool(response_format="content_and_artifact")
def search_catalog(
    query: Annotated[
        str,
        Field(min_length=1, max_length=300, description="what the person wants, in their words"),
    ],
    gender: Gender = None,
    articleType: Value = None,  # noqa: N803 - the catalog's column names
    baseColour: Value = None,  # noqa: N803
    season: Annotated[
        str | None, Field(description="Summer, Winter, Spring or Fall", max_length=20)
    ] = None,
    usage: Annotated[
        str | None, Field(description="occasion: Casual, Formal, Sports, Party, ...", max_length=30)
    ] = None,
    subCategory: Value = None,  # noqa: N803
    masterCategory: Value = None,  # noqa: N803
    min_price: Price = None,
    max_price: Price = None,
    k: K = None,
    diverse: Annotated[bool, Field(description="spread results over different looks")] = False,
) -> tuple[str, dict[str, Any]]:
    """Search the shop's catalog by description. Filter words in the query (colour, type,
    gender, season, occasion, "under 50") are applied automatically; the explicit filter
    arguments override them. Only recommend products this returns."""
    explicit = _explicit_filters(
        gender=gender,
        articleType=articleType,
        baseColour=baseColour,
        season=season,
        usage=usage,
        subCategory=subCategory,
        masterCategory=masterCategory,
        min_price=min_price,
        max_price=max_price,
    )
    filters = search_backend.filters_for(query, explicit)
    products = [
        product_dict(p)
        for p in search_backend.search(text=query, filters=filters, k=k, diverse=diverse)
    ]
    described = search_backend.describe(filters)
    title = f'Catalog results for "{query}"' + (f" ({described})" if described else "")
    return (
        products_summary(title, products),
        products_artifact(
            products, title=title, query=query, filters=search_backend.filters_dict(filters)
        ),
    )


@tool(response_format="content_and_artifact")
def find_similar(
    state: Annotated[dict, InjectedState],
    photo: Annotated[
        str | None,
        Field(
            description='a photo: "latest", "photo 2", ...; leave empty when item_id is given',
            max_length=80,
        ),
    ] = "latest",
    item_id: Annotated[
        int | None, Field(ge=0, description="a catalog item id instead of a photo")
    ] = None,
    modifier: Annotated[
        str | None,
        Field(
            max_length=200,
            description='a change to apply, e.g. "in red", "but cheaper than 40", "for women"',
        ),
    ] = None,
    k: K = None,
    diverse: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Find catalog products that look like a photo or a catalog item, optionally changed by a
    modifier ("like this but in red"). Only recommend products this returns."""
    photo_id = None
    label = None
    embedding = None
    if item_id is None:
        photo_id, label = pick_photo(state, photo)
        embedding = photo_embedding(photo_id)
    filters, remainder = search_backend.parse_modifier(modifier)
    results = search_backend.search(
        text=remainder or None,
        image_embedding=embedding,
        item_id=item_id,
        filters=filters,
        k=k,
        diverse=diverse,
    )
    products = [product_dict(p) for p in results]
    source = f"item #{item_id}" if item_id is not None else label
    title = f"Similar to {source}" + (f", {modifier.strip()}" if modifier else "")
    return (
        products_summary(title, products),
        products_artifact(
            products,
            title=title,
            query=modifier,
            photo_id=photo_id,
            item_id=item_id,
            filters=search_backend.filters_dict(filters),
        ),
    )


@tool(response_format="content_and_artifact")
def complete_outfit(
    state: Annotated[dict, InjectedState],
    photo: Annotated[
        str | None,
        Field(
            description='the garment to build around: "latest", "photo 2", ...; leave empty when '
            "item_id is given",
            max_length=80,
        ),
    ] = "latest",
    item_id: Annotated[
        int | None, Field(ge=0, description="a catalog item to build around")
    ] = None,
    style: Annotated[
        str | None,
        Field(max_length=200, description='e.g. "casual summer day", "office", "party night"'),
    ] = None,
) -> tuple[str, dict[str, Any]]:
    """Complete an outfit around a garment (a photo or a catalog item): one matching product
    per missing slot (e.g. bottom, shoes, accessory), each with the reason it fits (colour
    harmony, season, occasion). Only recommend products this returns."""
    photo_id = None
    tags = None
    embedding = None
    if item_id is None:
        photo_id, label = pick_photo(state, photo)
        tags = predict_tags(photo_id)
        embedding = photo_embedding(photo_id)
        top = top_labels(tags)
        description = (
            f"{label}: {top.get('baseColour', '')} {top.get('articleType', '')} "
            f"({top.get('gender', '')}, {top.get('usage', '')})"
        )
    else:
        description = f"item #{item_id}"
    outfit = search_backend.outfit(
        item_id=item_id, tags=tags, image_embedding=embedding, style=style
    )
    slots = [
        {"slot": s["slot"], "product": product_dict(s["product"]), "reason": s["reason"]}
        for s in outfit["slots"]
    ]
    if item_id is not None and outfit["anchor"].get("name"):
        description = f"item #{item_id} {outfit['anchor']['name']}"
    missing = list(outfit.get("missing") or [])
    if not slots:
        raise ToolUserError(f"I could not find matching items in the catalog for {description}.")
    lines = [f"Outfit around {description}:"]
    lines += [f"- {s['slot']}: {product_line(s['product'])} — {s['reason']}" for s in slots]
    lines += [f"- {slot}: nothing compatible in the catalog" for slot in missing]
    artifact = {
        "kind": "outfit",
        "anchor": {"photo_id": photo_id, "item_id": item_id, "description": description},
        "slots": slots,
        "missing": missing,
    }
    return "\n".join(lines), artifact
