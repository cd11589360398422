"""Tools over the product catalog: text search, similar items, outfit completion."""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import tool
from langgraph.prebuilt import InjectedState
from pydantic import Field

from stylist.tools import search_backend
from stylist.tools.artifacts import (
    product_dict,
    products_artifact,
    products_summary,
    top_labels,
)
from stylist.tools.conversation import (
    ReferenceNotFound,
    shown_item,
    shown_lists,
)
from stylist.tools.errors import ToolUserError
from stylist.tools.photo_tools import predict_tags
from stylist.tools.photos import photo_embedding, pick_photo
from stylist.tools.profile_layer import constraints_in_force
from stylist.tools.run_context import current_user_id
from stylist.tools.wardrobe_backend import EMPTY, SIGN_IN, owned_item, owned_pieces
from stylist.tools.wardrobe_tools import outfit_slots, owned_outfit, slot_line

# Filter arguments, named exactly like the catalog's columns (and SearchFilters).
Gender = Annotated[
    str | None, Field(description="Men, Women, Boys, Girls or Unisex", max_length=40)
]
Value = Annotated[str | None, Field(max_length=60)]
Price = Annotated[float | None, Field(ge=0, le=100_000)]
K = Annotated[int | None, Field(ge=1, le=20, description="how many products (default 6)")]
Values = Annotated[
    str | list[str] | None, Field(description="one value, or a list meaning any of them")
]
Excluded = Annotated[
    list[str] | None, Field(description="values no result may have", max_length=12)
]
ResultNumber = Annotated[
    int | None,
    Field(ge=1, le=50, description="#N of the latest results shown (instead of photo/item_id)"),
]


def _explicit_filters(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def _shown_result(state: dict | None, number: int) -> tuple[int, str]:
    """(item id, "#N Name") for result #number of the latest list shown in this chat."""
    try:
        item = shown_item(shown_lists(state), number)
    except ReferenceNotFound as err:
        raise ToolUserError(str(err)) from None
    return item.id, f"#{item.n} {item.name}"


@tool(response_format="content_and_artifact")
def search_catalog(
    state: Annotated[dict, InjectedState],
    query: Annotated[
        str,
        Field(min_length=1, max_length=300, description="what the person wants, in their words"),
    ],
    gender: Gender = None,
    articleType: Values = None,  # noqa: N803 - the catalog's column names
    baseColour: Values = None,  # noqa: N803
    season: Annotated[
        str | None, Field(description="Summer, Winter, Spring or Fall", max_length=20)
    ] = None,
    usage: Annotated[
        str | None, Field(description="occasion: Casual, Formal, Sports, Party, ...", max_length=30)
    ] = None,
    subCategory: Value = None,  # noqa: N803
    masterCategory: Value = None,  # noqa: N803
    exclude_baseColour: Excluded = None,  # noqa: N803
    exclude_articleType: Excluded = None,  # noqa: N803
    exclude_usage: Excluded = None,
    min_price: Price = None,
    max_price: Price = None,
    k: K = None,
    diverse: Annotated[bool, Field(description="spread results over different looks")] = False,
) -> tuple[str, dict[str, Any]]:
    """Search the shop's catalog by description. Filter words in the query (colour, type,
    gender, season, occasion, "under 50") are applied automatically; the explicit filter
    arguments override them, and the person's constraints so far in this chat always hold.
    Only recommend products this returns."""
    explicit = _explicit_filters(
        gender=gender,
        articleType=articleType,
        baseColour=baseColour,
        season=season,
        usage=usage,
        subCategory=subCategory,
        masterCategory=masterCategory,
        exclude_baseColour=exclude_baseColour,
        exclude_articleType=exclude_articleType,
        exclude_usage=exclude_usage,
        min_price=min_price,
        max_price=max_price,
    )
    in_force = constraints_in_force(state)
    filters = search_backend.filters_for(query, explicit, in_force.constraints)
    products = [
        product_dict(p)
        for p in search_backend.search(text=query, filters=filters, k=k, diverse=diverse)
    ]
    described = search_backend.describe(filters)
    title = in_force.titled(
        f'Catalog results for "{query}"' + (f" ({described})" if described else "")
    )
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
    result: ResultNumber = None,
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
    """Find catalog products that look like a photo, a catalog item or one of the results shown
    (`result`: its #number), optionally changed by a modifier ("like this but in red"). The
    person's constraints so far always hold. Only recommend products this returns."""
    photo_id = None
    label = None
    embedding = None
    if result is not None:
        item_id, label = _shown_result(state, result)
    if item_id is None:
        photo_id, label = pick_photo(state, photo)
        embedding = photo_embedding(photo_id)
    in_force = constraints_in_force(state)
    filters, remainder = search_backend.parse_modifier(modifier, in_force.constraints)
    results = search_backend.search(
        text=remainder or None,
        image_embedding=embedding,
        item_id=item_id,
        filters=filters,
        k=k,
        diverse=diverse,
    )
    products = [product_dict(p) for p in results]
    source = label or f"item {item_id}"
    title = in_force.titled(f"Similar to {source}" + (f", {modifier.strip()}" if modifier else ""))
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
    result: ResultNumber = None,
    style: Annotated[
        str | None,
        Field(max_length=200, description='e.g. "casual summer day", "office", "party night"'),
    ] = None,
    wardrobe_item: Annotated[
        str | None,
        Field(
            max_length=120,
            description="build around a piece the person owns: its wardrobe number or name "
            '("my navy blazer")',
        ),
    ] = None,
    from_wardrobe: Annotated[
        bool,
        Field(description="use the person's own wardrobe first (false: catalog pieces only)"),
    ] = True,
) -> tuple[str, dict[str, Any]]:
    """Complete an outfit around a garment (a photo, a catalog item, a piece of the person's
    wardrobe, or one of the results shown: `result` is its #number): one matching piece per
    missing slot (e.g. bottom, shoes, accessory), each with the reason it fits (colour harmony,
    season, occasion). For a signed-in person with a wardrobe, slots are filled from what they
    own first ("yours"); the rest comes from the catalog, marked to buy with its price. The
    person's constraints so far hold for every slot. Only recommend products this returns."""
    photo_id = None
    tags = None
    embedding = None
    shown_label = None
    anchor_item = None
    owned = owned_pieces() if from_wardrobe or wardrobe_item else None
    if wardrobe_item:
        if owned is None:
            raise ToolUserError(EMPTY if current_user_id() else SIGN_IN)
        anchor_item = owned_item(owned.wardrobe, wardrobe_item)
        item_id = None
        result = None
    if result is not None:
        item_id, shown_label = _shown_result(state, result)
    if anchor_item is not None:
        description = f"your {anchor_item.name}"
    elif item_id is None:
        photo_id, label = pick_photo(state, photo)
        tags = predict_tags(photo_id)
        embedding = photo_embedding(photo_id)
        top = top_labels(tags)
        description = (
            f"{label}: {top.get('baseColour', '')} {top.get('articleType', '')} "
            f"({top.get('gender', '')}, {top.get('usage', '')})"
        )
    else:
        description = shown_label or f"item {item_id}"
    in_force = constraints_in_force(state)
    if owned is not None:
        outfit = owned_outfit(
            owned=owned,
            anchor_item=anchor_item,
            photo_id=photo_id,
            item_id=item_id,
            tags=tags,
            embedding=embedding,
            style=style,
            constraints=in_force.constraints,
        )
    else:
        outfit = search_backend.outfit(
            item_id=item_id,
            tags=tags,
            image_embedding=embedding,
            style=style,
            constraints=in_force.constraints,
        )
    slots = outfit_slots(outfit, owned)
    if item_id is not None and not shown_label and outfit["anchor"].get("name"):
        description = f"item {item_id} {outfit['anchor']['name']}"
    missing = list(outfit.get("missing") or [])
    if not slots:
        raise ToolUserError(f"I could not find matching items in the catalog for {description}.")
    lines = [in_force.titled(f"Outfit around {description}") + ":"]
    lines += [slot_line(n, s) for n, s in enumerate(slots, 1)]
    lines += [f"- {slot}: nothing compatible in the catalog" for slot in missing]
    anchor = {"photo_id": photo_id, "item_id": item_id, "description": description}
    if anchor_item is not None:
        anchor.update(wardrobe_item_id=anchor_item.id, photo_id=anchor_item.photo_id)
    artifact = {
        "kind": "outfit",
        "anchor": anchor,
        "slots": slots,
        "missing": missing,
        "profile": in_force.profile_note,
    }
    return "\n".join(lines), artifact
