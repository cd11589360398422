"""A person's own garments, beside the catalog and never mixed into it.

Rows in the app database (`stylist_wardrobe_items`, `stylist_wardrobe_photos`, schema version
3) and photo vectors in Chroma, both scoped by the owner at the lowest layer that stores them:
`WardrobeRecords(engine, user_id)` and `WardrobeVectors(settings, user_id)` (see vectors.py for
why a per-owner filter rather than a collection per user) have no method without the owner.
`Wardrobe(settings, user_id)` is the synchronous interface the tools use.

This layer sits beside vectorstore and accounts: it knows settings, the catalog schema, the
app database, the Chroma client and the search filters, nothing above.
"""

from stylist.wardrobe.forget import count_user_wardrobe, forget_user_wardrobe
from stylist.wardrobe.items import WARDROBE_SOURCE, WardrobeItem, default_name
from stylist.wardrobe.records import WardrobeItemMissing, WardrobeRecords
from stylist.wardrobe.vectors import WardrobeVectors
from stylist.wardrobe.wardrobe import Wardrobe

__all__ = [
    "WARDROBE_SOURCE",
    "Wardrobe",
    "WardrobeItem",
    "WardrobeItemMissing",
    "WardrobeRecords",
    "WardrobeVectors",
    "count_user_wardrobe",
    "default_name",
    "forget_user_wardrobe",
]
