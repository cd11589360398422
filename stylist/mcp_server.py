"""The MCP server: the stylist's tools for Claude Desktop, Chainlit's MCP client or any agent.

`stylist mcp` serves over stdio (what desktop clients spawn); `stylist mcp --http --port P`
serves streamable HTTP on 127.0.0.1 (at `/mcp`). Built with the official `mcp` SDK (FastMCP).
Every tool calls `stylist.tools.operations`, the functions the HTTP API calls too. Photos are a
file path, base64 bytes (or a data: URL), or the photo_id a previous tool call returned, and go
through the same image loader as uploads; a bad photo, an unknown filter value or a missing
model is a tool error whose text is a sentence.
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


def build_server(host: str = "127.0.0.1", port: int = 8765) -> FastMCP:
    server = FastMCP(name="stylist", instructions=INSTRUCTIONS, host=host, port=port)

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


def serve(transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    """Run the server until its client goes away (stdio) or the process is stopped (HTTP)."""
    build_server(host, port).run("streamable-http" if transport == "http" else "stdio")
