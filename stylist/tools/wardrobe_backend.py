"""The tools' one doorway into a person's wardrobe: whose it is, how its photos are embedded,
which item a phrase names, and the wardrobe as outfit candidates.

The owner is always the signed-in user of the running turn (`run_context.current_user_id`),
never an id from the model's arguments; an anonymous chat gets the sentence `SIGN_IN`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stylist.catalog.schema import ATTRIBUTES
from stylist.models.encoder import Encoder
from stylist.settings import get_settings
from stylist.tools import services
from stylist.tools.errors import ToolUserError
from stylist.tools.photos import photo_embedding
from stylist.tools.run_context import current_user_id
from stylist.vectorstore.errors import SearchError
from stylist.vectorstore.filters import SearchFilters
from stylist.vectorstore.outfit import OutfitSource, garment_kind
from stylist.vectorstore.search import item_pool
from stylist.wardrobe import WARDROBE_SOURCE, Wardrobe, WardrobeItem, WardrobeItemMissing

SIGN_IN = "Sign in to keep a wardrobe: the clothes you save belong to your account."
EMPTY = (
    'Your wardrobe is empty. Send a photo of something you own and say "save this to my wardrobe".'
)

# What people call the attributes, mapped to the catalog's column names.
ATTRIBUTE_WORDS = {
    "colour": "baseColour",
    "color": "baseColour",
    "type": "articleType",
    "kind": "articleType",
    "article": "articleType",
    "category": "masterCategory",
    "subcategory": "subCategory",
    "occasion": "usage",
    "use": "usage",
    **{a.lower(): a for a in ATTRIBUTES},
}
_DIGITS = re.compile(r"^\s*(?:#|item\s*)?(\d{1,12})\s*$", re.IGNORECASE)


def wardrobe_of_turn() -> Wardrobe:
    """The signed-in person's wardrobe; SIGN_IN as the tool's answer for an anonymous chat."""
    user_id = current_user_id()
    if not user_id:
        raise ToolUserError(SIGN_IN)
    return Wardrobe(get_settings(), user_id)


def owned_item(wardrobe: Wardrobe, reference: str | int) -> WardrobeItem:
    """The item a reference names: its number ("3", "#3", "item 3") or its name's words."""
    try:
        if isinstance(reference, int):
            return wardrobe.item(reference)
        digits = _DIGITS.match(str(reference))
        if digits:
            return wardrobe.item(int(digits.group(1)))
        return wardrobe.named(str(reference))
    except WardrobeItemMissing as err:
        raise ToolUserError(str(err)) from None


def corrected_attributes(corrections: Mapping[str, str] | None) -> dict[str, str]:
    """{"colour": "black"} → {"baseColour": "Black"}: attribute names as the catalog spells
    them, values mapped to its spelling (an unknown value is a sentence with the closest)."""
    out: dict[str, str] = {}
    for key, value in (corrections or {}).items():
        attribute = ATTRIBUTE_WORDS.get(str(key).strip().lower().replace(" ", ""))
        if attribute is None:
            known = ", ".join(sorted({"colour", "type", "category", "season", "occasion"}))
            raise ToolUserError(f"I can't change '{key}'; I keep {known}, gender, subcategory.")
        try:
            checked = SearchFilters(**{attribute: str(value)}).validated(services.catalog())
        except SearchError as err:
            raise ToolUserError(str(err)) from None
        out[attribute] = checked.values(attribute)[0]
    if "articleType" in out:
        # A corrected type takes its place in the catalog's tree with it ("Jeans" is
        # Bottomwear, Apparel), unless the person said those too.
        items = services.catalog().items
        rows = items[items["articleType"] == out["articleType"]]
        for level in ("subCategory", "masterCategory"):
            if level not in out and len(rows):
                out[level] = str(rows[level].mode().iloc[0])
    return out


def describe(attributes: Mapping[str, str]) -> str:
    """The words the catalog's names would use for the item (its text for the fused vector)."""
    words = [attributes.get(a, "") for a in ("gender", "baseColour", "usage", "articleType")]
    return " ".join(w for w in words if w and w != "Other")


def wardrobe_embedding(photo_id: str, attributes: Mapping[str, str]) -> np.ndarray:
    """A photo of an owned item in the catalog's product space: normalize(0.9·image + 0.1·text),
    the image part from the shared per-photo cache."""
    encoder = services.encoder()
    text = encoder.encode_texts([describe(attributes) or "garment"])[0]
    return Encoder.fuse(photo_embedding(photo_id, encoder), text)


def encoder_fingerprint() -> str:
    return services.encoder().fingerprint


@dataclass
class OwnedPieces:
    """The person's items as outfit candidates: a pool in the catalog's shape (owned items
    have no price) and each item's vector."""

    wardrobe: Wardrobe
    items: list[WardrobeItem]
    vectors: dict[int, np.ndarray]

    def __post_init__(self) -> None:
        kept = [i for i in self.items if i.id in self.vectors]
        self.by_id = {i.id: i for i in kept}
        dim = next(iter(self.vectors.values())).shape[0] if self.vectors else 0
        fused = np.stack([self.vectors[i.id] for i in kept]) if kept else np.zeros((0, dim))
        metadatas = [{**i.attributes, "name": i.name, "price": 0.0} for i in kept]
        self.pool = item_pool([i.id for i in kept], fused, metadatas)

    def source(self, exclude: set[int] | frozenset[int] = frozenset()) -> OutfitSource:
        return OutfitSource(WARDROBE_SOURCE, self.pool, frozenset(exclude), priced=False)

    def anchor(self, item: WardrobeItem) -> tuple[dict[str, list], np.ndarray | None]:
        """(tags as the tagger gives them, vector) to build an outfit around an owned item."""
        tags = {a: [(v, 1.0)] for a, v in item.attributes.items() if v}
        return tags, self.vectors.get(item.id)

    def kind_of(self, item: WardrobeItem) -> str:
        return garment_kind(item.attributes)


def owned_pieces(wardrobe: Wardrobe | None = None) -> OwnedPieces | None:
    """The signed-in person's wardrobe as outfit candidates; None for an anonymous chat or an
    empty wardrobe (the outfit then comes from the catalog alone)."""
    if wardrobe is None:
        if not current_user_id():
            return None
        wardrobe = wardrobe_of_turn()
    items = wardrobe.items()
    if not items:
        return None
    vectors = wardrobe.item_vectors(items, wardrobe_embedding, encoder_fingerprint())
    return OwnedPieces(wardrobe, items, vectors)
