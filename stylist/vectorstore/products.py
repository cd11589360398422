"""`Product`: one search result, the shape every tool, API and UI card uses."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel

from stylist.catalog.schema import ATTRIBUTES


class Product(BaseModel):
    """A catalog item as a search result; `.model_dump()` is plain JSON."""

    id: int
    name: str
    attributes: dict[str, str]
    price: float
    image: str
    score: float = 0.0

    @classmethod
    def from_metadata(cls, item_id: int, metadata: Mapping[str, object], score: float = 0.0):
        return cls(
            id=int(item_id),
            name=str(metadata.get("name") or ""),
            attributes={a: str(metadata.get(a, "")) for a in ATTRIBUTES},
            price=float(metadata.get("price") or 0.0),
            image=str(metadata.get("image") or ""),
            score=round(float(score), 6),
        )

    def short(self) -> str:
        """One line for an LLM or a terminal: "#1234 Roadster Men Navy Blue Shirt — $24.50"."""
        return f"#{self.id} {self.name} — ${self.price:.2f}"
