"""What the offline stylist understood from one message, as plain JSON-serialisable data."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Intent = Literal[
    "search",
    "similar",
    "outfit",
    "compare",
    "tag",
    "caption",
    "classify_style",
    "refine",
    "teach_style",
    "profile",
    "small_talk",
    "help",
    "show_constraints",
    "clear_constraints",
    "clarify",
    "wardrobe_save",
    "wardrobe_show",
    "wardrobe_edit",
    "wardrobe_remove",
    "wardrobe_outfit",
    "wardrobe_plan",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PriceConstraint(_Frozen):
    """A price range, and/or "cheaper" / "pricier" than what was shown."""

    min: float | None = Field(None, ge=0)
    max: float | None = Field(None, ge=0)
    relative: Literal["cheaper", "pricier"] | None = None


class Comparative(_Frozen):
    """ "less formal" -> Comparative(dimension="formality", direction="less")."""

    dimension: Literal["formality", "sportiness", "darkness", "brightness", "warmth"]
    direction: Literal["more", "less"]


class ResultRef(_Frozen):
    """Items the stylist showed: "the second one" (position=2), "the first two" (first_n=2),
    "the last one" (position=-1), "that bag" (kind="bag", kind_values={"subCategory": ["Bags"]})."""

    type: Literal["result"] = "result"
    position: int | None = None
    first_n: int | None = Field(None, ge=1)
    kind: str | None = None
    kind_values: dict[str, list[str]] = Field(default_factory=dict)


class PhotoRef(_Frozen):
    """A photo the person sent: index 1, 2... in the order sent, -1 the latest; earlier=True is
    "the photo I sent earlier" (the latest one before this message's own photo, if any)."""

    type: Literal["photo"] = "photo"
    index: int | None = -1
    earlier: bool = False


class ItemRef(_Frozen):
    """A catalog item named by its id ("item 15970")."""

    type: Literal["item"] = "item"
    item_id: int


Reference = Annotated[ResultRef | PhotoRef | ItemRef, Field(discriminator="type")]


class IntentScore(_Frozen):
    intent: Intent
    confidence: float


class Understanding(BaseModel):
    """One message, understood: what to do (in order) and the constraints it states."""

    model_config = ConfigDict(extra="forbid")

    text: str
    intents: list[Intent]
    candidates: list[IntentScore] = Field(default_factory=list)
    confidence: float = 0.0
    include: dict[str, list[str]] = Field(default_factory=dict)
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    exclude_terms: list[str] = Field(default_factory=list)
    price: PriceConstraint | None = None
    comparatives: list[Comparative] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    gender: str | None = None
    correction: bool = False
    reset: list[str] = Field(default_factory=list)
    style_label: str | None = None
    query_text: str = ""
    summary_text: str = ""

    @property
    def intent(self) -> Intent:
        return self.intents[0]
