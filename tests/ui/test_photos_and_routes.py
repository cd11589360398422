"""Photo intake from chat messages and the catalog-image route of the chat server."""

from __future__ import annotations

import asyncio
import io
from types import SimpleNamespace

from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from stylist.agent import StylistSession
from stylist.ui.catalog_images import mount_catalog_images
from stylist.ui.photos import store_photos


def png_bytes(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_photos_are_copied_from_the_upload_path_and_bad_ones_explained(tmp_path):
    good = tmp_path / "upload-1"  # Chainlit's files have no extension
    good.write_bytes(png_bytes())
    corrupt = tmp_path / "upload-2"
    corrupt.write_bytes(png_bytes()[:60])
    elements = [
        SimpleNamespace(name="shirt.png", path=str(good), content=None),
        SimpleNamespace(name="broken.png", path=str(corrupt), content=None),
        SimpleNamespace(name="notes.txt", path=None, content=b"just some text"),
        SimpleNamespace(name="same-shirt.png", path=None, content=png_bytes()),
    ]
    session = StylistSession()
    intake = asyncio.run(store_photos(session, elements))

    from stylist.images import get_image_store

    assert len(intake.photo_ids) == 1  # the same bytes twice are one photo
    good.unlink()  # Chainlit deletes its copy with the session; ours stays
    assert intake.photo_ids[0] in get_image_store()
    assert len(intake.problems) == 2
    assert intake.problems[0].startswith("**broken.png**") and "corrupt" in intake.problems[0]
    assert intake.problems[1].startswith("**notes.txt**") and "not an image" in intake.problems[1]


def test_catalog_image_route_serves_catalog_items_only(use_demo_world):
    from stylist.catalog.store import get_catalog

    app = FastAPI()

    @app.get("/{full_path:path}")  # like Chainlit's single-page-app catch-all
    def page(full_path: str):
        return {"page": full_path}

    mount_catalog_images(app)
    mount_catalog_images(app)  # idempotent (Chainlit may import the app module twice)
    item_id = int(get_catalog().items.iloc[0]["id"])
    with TestClient(app) as client:
        served = client.get(f"/stylist/catalog-image/{item_id}")
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert client.get("/stylist/catalog-image/999999999").status_code == 404
        # Not an integer id: the route does not match, the page route answers, no file leaks.
        sneaky = client.get("/stylist/catalog-image/..%2F..%2Fetc%2Fpasswd")
        assert "page" in sneaky.json()
        assert client.get("/anything").json() == {"page": "anything"}
