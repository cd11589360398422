"""The MCP server: the stylist's tools for Claude Desktop, Chainlit's MCP client or any agent.

`stylist mcp` serves over stdio (what desktop clients spawn); `stylist mcp --http --port P`
serves streamable HTTP on 127.0.0.1 (at `/mcp`). Built with the official `mcp` SDK (FastMCP).
Every tool calls `stylist.tools.operations`, the functions the HTTP API calls too. Photos are a
file path, base64 bytes (or a data: URL), or the photo_id a previous tool call returned, and go
through the same image loader as uploads; a bad photo, an unknown filter value or a missing
model is a tool error whose text is a sentence.

`stylist mcp --user ACCOUNT` adds the wardrobe tools (show, save, update, remove), acting for
that account only: the owner is fixed when the server starts, never a tool argument. Without
--user they are not listed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from pydantic import Field

from stylist.tools import operations
from stylist.tools.errors import READABLE_ERRORS

T = TypeVar("T")

INSTRUCTIONS = (
    "A fashion stylist over a product catalog. Tag a garment photo (7 attributes with "
    "confidences), caption it, search the catalog by words and/or a photo with filters and "
    "exclusions, find items similar to a photo or an item, and complete an outfit. Photos: a "
    "file path, base64 bytes, or the photo_id an earlier call returned. Recommend only products "
    "these tools return."
)

PhotoArg = Annotated[
    str,
    Field(description="A file path, base64 image bytes (or a data: URL), or a photo_id."),
]
OptionalPhoto = Annotated[
    str | None,
    Field(description="A file path, base64 image bytes (or a data: URL), or a photo_id."),
]
Values = Annotated[
    list[str] | None, Field(description="Values of this attribute to leave out.", max_length=20)
]


async def _call(work: Callable[[], T]) -> T:
    """Run blocking model / index work off the event loop; readable errors become tool errors."""
    try:
        return await asyncio.to_thread(work)
    except READABLE_ERRORS as err:
        raise ToolError(str(err)) from None


def _photo_id(photo: str | None) -> str | None:
    return operations.photo_from_reference(photo) if photo else None


def build_server(host: str = "127.0.0.1", port: int = 8765, user_id: str | None = None) -> FastMCP:
    instructions = INSTRUCTIONS + (WARDROBE_INSTRUCTIONS if user_id else "")
    server = FastMCP(name="stylist", instructions=instructions, host=host, port=port)
    if user_id:
        _add_wardrobe_tools(server, user_id)

    @server.tool()
    async def tag(photo: PhotoArg, top_k: Annotated[int, Field(ge=1, le=10)] = 3) -> dict[str, Any]:
        """A garment photo's gender, category, sub-category, article type, colour, season and
        usage, each a ranked list of labels with confidences; also its photo_id."""
        return await _call(lambda: operations.tag(operations.photo_from_reference(photo), top_k))

    @server.tool()
    async def caption(photo: PhotoArg) -> dict[str, Any]:
        """A one-line fashion caption of a photo."""
        return await _call(lambda: operations.caption(operations.photo_from_reference(photo)))

    @server.tool()
    async def search(
        query: Annotated[str | None, Field(max_length=500)] = None,
        photo: OptionalPhoto = None,
        gender: str | None = None,
        articleType: str | None = None,  # noqa: N803 - the catalog's column names
        baseColour: str | None = None,  # noqa: N803
        season: str | None = None,
        usage: str | None = None,
        subCategory: str | None = None,  # noqa: N803
        masterCategory: str | None = None,  # noqa: N803
        min_price: Annotated[float | None, Field(ge=0)] = None,
        max_price: Annotated[float | None, Field(ge=0)] = None,
        exclude_baseColour: Values = None,  # noqa: N803
        exclude_articleType: Values = None,  # noqa: N803
        exclude_usage: Values = None,
        exclude_season: Values = None,
        exclude_gender: Values = None,
        k: Annotated[int, Field(ge=1, le=50)] = 10,
        diverse: bool = False,
    ) -> dict[str, Any]:
        """Catalog products for words ("red summer dress under 50": filter words are applied),
        a photo, or both; explicit filters win over words; exclude_* leave values out."""
        filters = {
            "gender": gender,
            "articleType": articleType,
            "baseColour": baseColour,
            "season": season,
            "usage": usage,
            "subCategory": subCategory,
            "masterCategory": masterCategory,
            "min_price": min_price,
            "max_price": max_price,
        }
        exclude = {
            "baseColour": exclude_baseColour,
            "articleType": exclude_articleType,
            "usage": exclude_usage,
            "season": exclude_season,
            "gender": exclude_gender,
        }
        return await _call(
            lambda: operations.search(
                query,
                photo_id=_photo_id(photo),
                filters=filters,
                exclude=exclude,
                k=k,
                diverse=diverse,
            )
        )

    @server.tool()
    async def similar(
        photo: OptionalPhoto = None,
        item_id: Annotated[int | None, Field(ge=0)] = None,
        modifier: Annotated[str | None, Field(max_length=200)] = None,
        k: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        """Products that look like a photo or a catalog item (one of them), optionally changed
        by a modifier such as "in red" or "under 40"."""
        return await _call(
            lambda: operations.similar(
                photo_id=_photo_id(photo), item_id=item_id, modifier=modifier, k=k
            )
        )

    @server.tool()
    async def outfit(
        photo: OptionalPhoto = None,
        item_id: Annotated[int | None, Field(ge=0)] = None,
        style: Annotated[str | None, Field(max_length=200)] = None,
    ) -> dict[str, Any]:
        """An outfit around a photo or a catalog item: one product per missing slot (bottom,
        footwear, accessory, ...), each with why it fits."""
        return await _call(
            lambda: operations.outfit(photo_id=_photo_id(photo), item_id=item_id, style=style)
        )

    @server.tool()
    async def item(item_id: Annotated[int, Field(ge=0)]) -> dict[str, Any]:
        """One catalog item: name, price, attributes."""
        return await _call(lambda: operations.item(item_id))

    return server


WARDROBE_INSTRUCTIONS = (
    " The wardrobe tools act on the clothes of the one person this server was started for: "
    "show them, save a photo of their own garment, rename or correct an item, remove one."
)
Corrections = Annotated[
    dict[str, str] | None,
    Field(
        description='attribute corrections, e.g. {"colour": "Black", "type": "Jeans"}; keys: '
        "colour, type, category, subcategory, gender, season, occasion"
    ),
]
ItemRef = Annotated[
    str, Field(max_length=120, description='the item: its number ("3") or its name ("blazer")')
]


def _add_wardrobe_tools(server: FastMCP, user_id: str) -> None:
    """The wardrobe tools for one owner, through the chat tools' own functions."""
    from stylist.settings import get_settings
    from stylist.tools.wardrobe_backend import corrected_attributes, owned_item
    from stylist.tools.wardrobe_tools import apply_changes, item_card, list_wardrobe, save_photo
    from stylist.wardrobe import Wardrobe

    def wardrobe() -> Wardrobe:
        return Wardrobe(get_settings(), user_id)

    def reply(summary: str, artifact: dict[str, Any]) -> dict[str, Any]:
        return {"summary": summary, "items": artifact["items"]}

    @server.tool()
    async def show_wardrobe(
        query: Annotated[
            str | None, Field(max_length=200, description='e.g. "shoes", "black tops"')
        ] = None,
    ) -> dict[str, Any]:
        """The person's own clothes, or the part a description names ("my summer things");
        each item has a number to update or remove it by."""
        return reply(*await _call(lambda: list_wardrobe(wardrobe(), query)))

    @server.tool()
    async def save_to_wardrobe(
        photo: PhotoArg,
        name: Annotated[str | None, Field(max_length=80)] = None,
        corrections: Corrections = None,
    ) -> dict[str, Any]:
        """Save a photo of the person's own garment: tagged (their corrections applied) and
        named (their name, else one from its attributes)."""

        def save():
            photo_id = operations.photo_from_reference(photo)
            fixes = corrected_attributes(corrections)
            return save_photo(wardrobe(), photo_id, "the photo", name=name, fixes=fixes)

        return reply(*await _call(save))

    @server.tool()
    async def update_wardrobe_item(
        item: ItemRef,
        name: Annotated[str | None, Field(max_length=80)] = None,
        corrections: Corrections = None,
    ) -> dict[str, Any]:
        """Rename a wardrobe item and/or correct its attributes."""

        def update():
            owned = wardrobe()
            found = owned_item(owned, item)
            fixes = corrected_attributes(corrections)
            if not (name and name.strip()) and not fixes:
                raise ToolError("Give a new name or an attribute to correct.")
            updated = apply_changes(owned, found, name, fixes)
            return f"Updated {updated.line()}.", {"items": [item_card(updated)]}

        return reply(*await _call(update))

    @server.tool()
    async def remove_from_wardrobe(item: ItemRef) -> dict[str, Any]:
        """Remove one item from the person's wardrobe."""

        def remove():
            owned = wardrobe()
            found = owned_item(owned, item)
            owned.remove([found.id])
            return f"Removed {found.line()} from the wardrobe.", {"items": []}

        return reply(*await _call(remove))


def serve(
    transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765, user_id: str | None = None
) -> None:
    """Run the server until its client goes away (stdio) or the process is stopped (HTTP)."""
    build_server(host, port, user_id).run("streamable-http" if transport == "http" else "stdio")
