"""Serve catalog product photos to the product cards: GET /stylist/catalog-image/{item_id}.

Only items of the ingested catalog can be fetched (looked up by integer id, never by path), so
the route cannot be used to read other files. Catalog photos are public product shots.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse

from stylist.catalog.store import CatalogMissing, get_catalog
from stylist.ui.artifacts import CATALOG_IMAGE_ROUTE


def catalog_image(item_id: int) -> FileResponse:
    # A plain def: FastAPI runs it in its thread pool (the first call reads the item table).

    try:
        path = get_catalog().image_path(item_id)
    except (CatalogMissing, KeyError):
        raise HTTPException(404, f"There is no item {item_id} in the catalog.") from None
    if not path.is_file():
        raise HTTPException(404, f"The photo of item {item_id} is missing.")
    return FileResponse(path, headers={"Cache-Control": "public, max-age=86400"})


def mount_catalog_images(app: FastAPI) -> None:
    """Add the route to Chainlit's FastAPI app, ahead of Chainlit's catch-all page route.

    Chainlit includes its router (ending in `/{full_path:path}`, the single-page app) when its
    server module is imported, and routes match in order, so a route appended later would never
    be reached. This path is specific enough to go first without shadowing anything.
    """
    routes = app.router.routes
    if any(getattr(r, "path", None) == CATALOG_IMAGE_ROUTE for r in routes):
        return  # the app module was imported twice (Chainlit's hot reload)
    app.add_api_route(CATALOG_IMAGE_ROUTE, catalog_image, methods=["GET"], include_in_schema=False)
    routes.insert(0, routes.pop())
