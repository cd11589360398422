"""Outfit completion: from one garment (a catalog item, or a photo's predicted attributes) to a
whole outfit, one item per complementary slot, each with a one-line reason.

The rules are data (outfit_rules.json: garment kinds, slot plans, gender / season / usage
compatibility; colour_harmony.json: the colour wheel). Candidates for a slot are the catalog
items of the slot's kinds that pass every compatibility rule and the caller's filters; they are
ranked by colour harmony with the outfit so far, by embedding similarity to the style (a style
text such as "casual summer outfit", else the anchor's own embedding), and by exact matches of
occasion / season / gender.

Where candidates come from is a parameter: `before_catalog` lists other pools of items (a
person's wardrobe, as `OutfitSource`s) tried slot by slot before the catalog, which stays the
fallback; each slot records the source it was filled from.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
from pydantic import BaseModel

from stylist.catalog.schema import ATTRIBUTES
from stylist.settings import StyleSettings
from stylist.vectorstore.errors import SearchError
from stylist.vectorstore.filters import SearchFilters
from stylist.vectorstore.harmony import colour_harmony
from stylist.vectorstore.products import Product
from stylist.vectorstore.search import CatalogIndex, get_index

CATEGORY_FIELDS = ("masterCategory", "subCategory", "articleType")
CATALOG_SOURCE = "catalog"


@dataclass(frozen=True)
class OutfitSource:
    """A pool of candidate items for the slots (`search.item_pool`), tried before the catalog.

    `name` marks the slots it fills ("wardrobe"); `exclude` holds ids it must not offer (the
    anchor itself, pieces already used in other outfits); `priced=False`: its items have no
    price (things a person owns), so the caller's price limits do not apply to them."""

    name: str
    pool: object
    exclude: frozenset[int] = frozenset()
    priced: bool = True


class OutfitSlot(BaseModel):
    slot: str
    product: Product
    reason: str
    source: str = CATALOG_SOURCE


class Outfit(BaseModel):
    anchor: dict  # {"id": int | None, "name": str, "attributes": {...}, "kind": str}
    slots: list[OutfitSlot]
    missing: list[str] = []

    def summary(self) -> str:
        """Lines for an LLM or a terminal."""
        lines = [f"Outfit around {self.anchor.get('name') or 'your garment'}:"]
        lines += [
            f"- {s.slot}: {s.product.short() if s.source == CATALOG_SOURCE else s.product.name}"
            f"{'' if s.source == CATALOG_SOURCE else f' ({s.source})'} — {s.reason}"
            for s in self.slots
        ]
        lines += [f"- {slot}: nothing compatible in the catalog" for slot in self.missing]
        return "\n".join(lines)


@lru_cache(maxsize=1)
def outfit_rules() -> dict:
    return json.loads(
        resources.files("stylist.vectorstore").joinpath("outfit_rules.json").read_text()
    )


def garment_kind(attributes: Mapping[str, object]) -> str:
    """top / bottom / dress / footwear / bag / accessory, from the most specific rule."""
    kinds = outfit_rules()["kinds"]
    for field in ("articleType", "subCategory", "masterCategory"):
        kind = kinds[field].get(str(attributes.get(field, "")))
        if kind:
            return kind
    return "top"


def _compatible_values(table: str, value: object) -> list[str]:
    """Values compatible with `value` (itself first); an unknown value is only itself."""
    value = str(value)
    return outfit_rules()[table].get(value, [value])


def compatible(
    anchor: Mapping[str, object], candidate: Mapping[str, object], slot: str | None = None
) -> bool:
    """Whether a candidate item may be worn with the anchor (gender, season, usage tables).
    `slot` tells whether season matters (not for accessories and bags)."""
    if str(candidate.get("gender")) not in _compatible_values("gender", anchor.get("gender")):
        return False
    if str(candidate.get("usage")) not in _compatible_values("usage", anchor.get("usage")):
        return False
    season_matters = outfit_rules()["slots"].get(slot or "", {}).get("season_matters", True)
    return not season_matters or str(candidate.get("season")) in _compatible_values(
        "season", anchor.get("season")
    )


def complete_outfit(
    anchor_item_id: int | None = None,
    anchor_tags: Mapping[str, Sequence] | None = None,
    anchor_embedding: np.ndarray | None = None,
    style: str | None = None,
    filters: SearchFilters | Mapping[str, object] | None = None,
    settings: StyleSettings | None = None,
    *,
    index: CatalogIndex | None = None,
    before_catalog: Sequence[OutfitSource] = (),
    catalog_exclude: Collection[int] = (),
) -> Outfit:
    """Complete an outfit around one anchor; see docs/architecture.md (Outfits).

    The anchor is a catalog item, or a photo described by its predicted tags (`anchor_tags`)
    and, when the caller has it, the photo's image embedding (`anchor_embedding`, which ranks
    the slots by looks; without it the tags' words do). Each slot is filled from the first of
    `before_catalog` that has a compatible item, else from the catalog, leaving out the items
    in `catalog_exclude` (pieces already proposed in an earlier look of the same plan).
    """
    index = index or get_index(settings)
    if anchor_item_id is None and not anchor_tags:
        if anchor_embedding is not None:
            raise SearchError(
                "I need the photo's attributes to build an outfit around it; tag the photo first."
            )
        raise SearchError("Tell me which garment to build the outfit around: a photo or an item.")
    if anchor_item_id is not None and (anchor_tags or anchor_embedding is not None):
        raise SearchError(
            "Build the outfit around one garment: a catalog item or a photo, not both."
        )
    filters = SearchFilters.coerce(filters)
    # The slots decide categories; a category filter from the conversation would empty them.
    filters = SearchFilters.model_validate(
        {**filters.model_dump(), **{f: None for f in CATEGORY_FIELDS}}
    ).validated(index.catalog)

    if anchor_item_id is not None:
        product = index.product(anchor_item_id)
        attributes, name = dict(product.attributes), product.name
        anchor_vector = index.embedding_of(anchor_item_id, "fused")
    else:
        attributes = _top_labels(anchor_tags)
        name = _describe(attributes)
        anchor_vector = (
            np.asarray(anchor_embedding, np.float32).reshape(-1)
            if anchor_embedding is not None
            else index.encoder.encode_texts([name])[0]
        )
    style_vector = index.encoder.encode_texts([style])[0] if style else anchor_vector
    kind = garment_kind(attributes)
    anchor = {"id": anchor_item_id, "name": name, "attributes": attributes, "kind": kind}

    chosen: list[OutfitSlot] = []
    missing: list[str] = []
    # A Unisex anchor can go either way; the first gendered pick sets the outfit's gender.
    outfit_gender = attributes.get("gender")
    excluded = {int(i) for i in catalog_exclude}
    if anchor_item_id is not None:
        excluded.add(int(anchor_item_id))
    catalog = OutfitSource(CATALOG_SOURCE, index.mirror(), frozenset(excluded))
    unpriced = filters.model_copy(update={"min_price": None, "max_price": None})
    for slot in outfit_rules()["plans"].get(kind, outfit_rules()["plans"]["top"]):
        pick = None
        for source in (*before_catalog, catalog):
            pick = _best_for_slot(
                source,
                slot,
                attributes,
                outfit_gender,
                chosen,
                style_vector,
                filters if source.priced else unpriced,
            )
            if pick is not None:
                break
        if pick is None:
            missing.append(slot)
            continue
        chosen.append(pick)
        if outfit_gender == "Unisex" and pick.product.attributes["gender"] in ("Men", "Women"):
            outfit_gender = pick.product.attributes["gender"]
    return Outfit(anchor=anchor, slots=chosen, missing=missing)


def _best_for_slot(source, slot, anchor, outfit_gender, chosen, style_vector, filters):
    rules = outfit_rules()
    spec = rules["slots"][slot]
    mirror = source.pool
    if len(mirror.ids) == 0:
        return None
    cols = mirror.columns
    kinds = _row_kinds(mirror)
    mask = np.isin(kinds, spec["kinds"])
    mask &= ~np.isin(np.asarray(cols["articleType"]), spec.get("exclude_articleType", []))
    mask &= np.isin(np.asarray(cols["gender"]), _compatible_values("gender", outfit_gender))
    mask &= np.isin(np.asarray(cols["usage"]), _compatible_values("usage", anchor.get("usage")))
    if spec.get("season_matters", True):
        mask &= np.isin(
            np.asarray(cols["season"]), _compatible_values("season", anchor.get("season"))
        )
    extra = filters.mask(cols, mirror.prices, mirror.names)
    if extra is not None:
        mask &= extra
    for item in source.exclude:
        row = mirror.row_of.get(int(item))
        if row is not None:
            mask[row] = False
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return None

    weights = rules["weights"]
    colours = np.asarray(cols["baseColour"])[rows]
    others = [str(anchor.get("baseColour"))] + [s.product.attributes["baseColour"] for s in chosen]
    harmony_of = {c: _harmony_with_outfit(c, others) for c in set(colours.tolist())}
    harmony = np.array([harmony_of[c][0] for c in colours])
    similarity = (mirror.fused[rows] @ np.asarray(style_vector, np.float32) + 1.0) / 2.0
    score = weights["colour"] * harmony + weights["style"] * similarity
    score += weights["usage_exact"] * (np.asarray(cols["usage"])[rows] == anchor.get("usage"))
    score += weights["season_exact"] * (np.asarray(cols["season"])[rows] == anchor.get("season"))
    score += weights["gender_exact"] * (np.asarray(cols["gender"])[rows] == outfit_gender)
    best = int(np.argmax(score))
    row = int(rows[best])
    product = Product.from_metadata(mirror.ids[row], mirror.metadatas[row], float(score[best]))
    return OutfitSlot(
        slot=slot,
        product=product,
        reason=_reason(product, anchor, harmony_of[colours[best]][1], slot),
        source=source.name,
    )


def _harmony_with_outfit(colour: str, others: list[str]) -> tuple[float, str]:
    """Mean harmony with every colour already in the outfit; the reason names the anchor's."""
    results = [colour_harmony(colour, other) for other in others]
    return float(np.mean([h.score for h in results])), results[0].reason


# The garment kind of every row of an index mirror, computed once per mirror (a reloaded
# mirror is a new object; its kinds go with it).
_ROW_KINDS: weakref.WeakKeyDictionary[object, np.ndarray] = weakref.WeakKeyDictionary()
_ROW_KINDS_LOCK = threading.Lock()


def _row_kinds(mirror) -> np.ndarray:
    with _ROW_KINDS_LOCK:
        kinds = _ROW_KINDS.get(mirror)
        if kinds is None:
            kinds = np.array([garment_kind(m) for m in mirror.metadatas])
            _ROW_KINDS[mirror] = kinds
        return kinds


def _reason(product: Product, anchor: Mapping[str, object], colour_reason: str, slot: str) -> str:
    attrs = product.attributes
    anchor_type = _singular(str(anchor.get("articleType", "garment")))
    usage, anchor_usage = attrs["usage"], str(anchor.get("usage"))
    if usage == anchor_usage:
        occasion = f"{usage.lower()} like your {anchor_type}"
    else:
        occasion = f"{usage.lower()}, which works with {anchor_usage.lower()}"
    parts = [colour_reason, occasion]
    if outfit_rules()["slots"][slot].get("season_matters", True):
        parts.append(outfit_rules()["season_words"].get(attrs["season"], attrs["season"].lower()))
    title = f"{attrs['baseColour']} {_singular(attrs['articleType'])}".strip()
    return f"{title[:1].upper()}{title[1:]}: {', '.join(parts)}."


def _singular(article_type: str) -> str:
    word = article_type.lower()
    if word in ("jeans", "shorts", "trousers", "sunglasses", "track pants", "flip flops"):
        return word
    if word.endswith(("ches", "shes", "sses")):
        return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") else word


def _top_labels(tags: Mapping[str, Sequence]) -> dict[str, str]:
    """attribute -> most likely label, from the tagger's ranked (label, prob) lists."""
    out: dict[str, str] = {}
    for attribute in ATTRIBUTES:
        ranked = tags.get(attribute)
        if not ranked:
            continue
        first = ranked[0]
        out[attribute] = str(first[0] if isinstance(first, list | tuple) else first)
    for needed in ("gender", "articleType"):
        if needed not in out:
            raise SearchError(
                f"I need at least the garment's {needed} to build an outfit "
                "around it; tag the photo first."
            )
    return out


def _describe(attributes: Mapping[str, str]) -> str:
    words = [attributes.get(a, "") for a in ("gender", "baseColour", "usage", "articleType")]
    return " ".join(w for w in words if w and w != "Other")
