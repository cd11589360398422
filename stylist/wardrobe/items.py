"""`WardrobeItem`: one garment a person owns, as the wardrobe's every reader sees it."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from stylist.catalog.schema import ATTRIBUTES

# Where an owned piece comes from, as the outfit builder and the cards name it.
WARDROBE_SOURCE = "wardrobe"


class WardrobeItem(BaseModel):
    """A garment of one user: its name, its current attributes (the tagger's labels with the
    person's corrections applied), which attributes the person corrected, and its photos
    (image store ids, oldest first; the first is its thumbnail)."""

    id: int
    name: str
    attributes: dict[str, str]
    corrected: list[str] = []
    photo_ids: list[str] = []
    created_at: str = ""

    @property
    def photo_id(self) -> str | None:
        return self.photo_ids[0] if self.photo_ids else None

    def product_dict(self, score: float = 0.0) -> dict:
        """The item in the shape of a product card (`tools.artifacts.product_dict`), marked as
        the person's own: no price, its photo instead of a catalog image."""
        return {
            "id": self.id,
            "name": self.name,
            "price": 0.0,
            "image": "",
            "score": round(float(score), 4),
            "attributes": {a: str(self.attributes.get(a, "")) for a in ATTRIBUTES},
            "source": WARDROBE_SOURCE,
            "photo_id": self.photo_id,
        }

    def line(self) -> str:
        """One line the model can quote: "wardrobe item 3: my navy blazer (Men, Navy Blue
        Blazers, Fall, Formal)"."""
        a = self.attributes
        return (
            f"wardrobe item {self.id}: {self.name} ({a.get('gender', '')}, "
            f"{a.get('baseColour', '')} {a.get('articleType', '')}, {a.get('season', '')}, "
            f"{a.get('usage', '')})"
        )


def default_name(attributes: Mapping[str, str]) -> str:
    """A name for an item the person did not name: "Navy Blue Blazers" → "Navy Blue Blazer"."""
    kind = str(attributes.get("articleType") or attributes.get("subCategory") or "garment")
    if kind.endswith("s") and not kind.endswith(("ss", "Jeans", "Shorts", "Trousers")):
        kind = kind[:-1]
    colour = str(attributes.get("baseColour") or "")
    return " ".join(w for w in (colour, kind) if w and w != "Other") or "Garment"
