"""Reading the conversation's photos inside a tool (ids from the graph state, pixels from the store)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PIL import Image

from stylist.agent.photos import photo_label, resolve_photo


def photo_ids_of(state: Mapping[str, Any] | None) -> list[str]:
    return list((state or {}).get("photo_ids") or [])


def pick_photo(state: Mapping[str, Any] | None, reference: str | None) -> tuple[str, str]:
    """(photo id, "photo N") for a reference such as "latest" or "photo 2"."""
    ids = photo_ids_of(state)
    photo_id = resolve_photo(reference, ids)
    return photo_id, photo_label(ids, photo_id)


def open_photo(photo_id: str) -> Image.Image:
    """The stored photo as RGB (re-validated by the one image loader)."""
    from stylist.images import get_image_store

    return get_image_store().open(photo_id)
