"""Counting and deleting everything a user's wardrobe holds, for "forget me" (which deletes the
user's photos themselves with the rest of their data)."""

from __future__ import annotations

from stylist.settings import StyleSettings
from stylist.wardrobe.wardrobe import Wardrobe


def count_user_wardrobe(settings: StyleSettings, user_id: str) -> dict[str, int]:
    """{"wardrobe_items": n, "wardrobe_photos": n, "wardrobe_vectors": n} of one user."""
    return Wardrobe(settings, user_id).counts()


def forget_user_wardrobe(settings: StyleSettings, user_id: str) -> dict[str, int]:
    """Delete every item, photo row and vector of one user's wardrobe; what was deleted."""
    return Wardrobe(settings, user_id).remove()
