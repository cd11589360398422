"""GET /wardrobe: the signed-in person's wardrobe as a page — every item with its photo and
tags (the ones they corrected marked), filtered with the catalog search's words (?q=shoes).

Signed-in only; the owner is the user of the session cookie, so the page can only ever list
that person's items (the wardrobe's stores are scoped by owner underneath). Thumbnails go
through the owner-checked photo route.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

from chainlit.auth import get_current_user
from fastapi import Depends, FastAPI, HTTPException, Query
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from stylist.catalog.schema import ATTRIBUTES
from stylist.settings import get_settings
from stylist.tools.conversation import Constraints
from stylist.tools.errors import READABLE_ERRORS
from stylist.tools.search_backend import describe, filters_for
from stylist.ui.artifacts import photo_url
from stylist.wardrobe import Wardrobe, WardrobeItem
from stylist.wording import plural

WARDROBE_ROUTE = "/wardrobe"
SIGN_IN_FIRST = "Please log in to see your wardrobe."


@lru_cache(maxsize=1)
def _template():
    env = Environment(
        loader=PackageLoader("stylist.ui", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
    )
    return env.get_template("wardrobe.html.j2")


def _card(item: WardrobeItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "photo_url": photo_url(item.photo_id) if item.photo_id else "",
        "photos": len(item.photo_ids),
        "attributes": {a: item.attributes[a] for a in ATTRIBUTES if item.attributes.get(a)},
        "corrected": set(item.corrected),
    }


def wardrobe_page(user_id: str, query: str = "") -> str:
    """The page's HTML for one owner (sync: reads the app database and the catalog words)."""
    wardrobe = Wardrobe(get_settings(), user_id)
    problem = ""
    filters = None
    if query.strip():
        try:
            filters = filters_for(query, None, Constraints())
        except READABLE_ERRORS as err:
            problem = str(err)
    items = wardrobe.items(filters if filters is not None and not filters.is_empty() else None)
    if filters is not None and not filters.is_empty():
        summary = f"{plural(len(items), 'item')} matching {describe(filters)}."
    else:
        summary = f"{plural(len(items), 'item')}." if items else "Nothing saved yet."
    return _template().render(
        items=[_card(i) for i in items],
        summary=summary,
        query=query,
        problem=problem,
        route=WARDROBE_ROUTE,
    )


async def wardrobe_route(
    q: str = Query("", max_length=200), current_user: Any = Depends(get_current_user)
):
    user_id = getattr(current_user, "id", None)  # a PersistedUser: signed in and known
    if not user_id:
        raise HTTPException(401, SIGN_IN_FIRST)
    html = await asyncio.to_thread(wardrobe_page, str(user_id), q)
    return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})


def mount_wardrobe_page(app: FastAPI) -> None:
    """The page, ahead of Chainlit's catch-all route for its own pages."""
    routes = app.router.routes
    if any(getattr(r, "path", None) == WARDROBE_ROUTE for r in routes):
        return  # imported twice (Chainlit's hot reload)
    app.add_api_route(WARDROBE_ROUTE, wardrobe_route, methods=["GET"], include_in_schema=False)
    routes.insert(0, routes.pop())
