"""Outfits from other pools first (a person's wardrobe), the catalog filling what they lack."""

from __future__ import annotations

import pytest

from stylist.vectorstore.outfit import OutfitSource, complete_outfit, garment_kind, outfit_rules
from stylist.vectorstore.search import CatalogIndex, item_pool

OWNED_ID_BASE = 900_000  # owned ids live in their own pool; far from the catalog's on purpose


@pytest.fixture
def index(world) -> CatalogIndex:
    return CatalogIndex(world)


def owned_pool(index: CatalogIndex, item_ids: list[int]):
    """Copies of catalog items as someone's own things: new ids, no price."""
    mirror = index.mirror()
    rows = [mirror.row_of[i] for i in item_ids]
    metadatas = [{**mirror.metadatas[r], "price": 0.0} for r in rows]
    return item_pool([OWNED_ID_BASE + i for i in item_ids], mirror.fused[rows], metadatas)


def first_shirt_outfit(index):
    shirt = index.catalog.items.query("articleType == 'Shirts'").iloc[0]
    return int(shirt["id"]), complete_outfit(anchor_item_id=int(shirt["id"]), index=index)


def test_an_owned_piece_fills_its_slot_and_the_catalog_the_rest(index):
    shirt_id, catalog_only = first_shirt_outfit(index)
    assert {s.source for s in catalog_only.slots} == {"catalog"}
    bottom = next(s for s in catalog_only.slots if s.slot == "bottom")
    owned = owned_pool(index, [bottom.product.id])

    outfit = complete_outfit(
        anchor_item_id=shirt_id,
        index=index,
        before_catalog=[OutfitSource("wardrobe", owned, priced=False)],
        filters={"min_price": 1.0},  # a price limit never hides what the person owns
    )
    by_slot = {s.slot: s for s in outfit.slots}
    assert by_slot["bottom"].source == "wardrobe"
    assert by_slot["bottom"].product.id == OWNED_ID_BASE + bottom.product.id
    assert by_slot["bottom"].product.price == 0.0
    others = [s for s in outfit.slots if s.slot != "bottom"]
    assert others and {s.source for s in others} == {"catalog"}
    assert "(wardrobe)" in outfit.summary()


def test_excluded_owned_pieces_are_not_offered(index):
    shirt_id, catalog_only = first_shirt_outfit(index)
    bottom = next(s for s in catalog_only.slots if s.slot == "bottom")
    owned = owned_pool(index, [bottom.product.id])
    outfit = complete_outfit(
        anchor_item_id=shirt_id,
        index=index,
        before_catalog=[
            OutfitSource("wardrobe", owned, frozenset({OWNED_ID_BASE + bottom.product.id}))
        ],
    )
    assert {s.source for s in outfit.slots} == {"catalog"}


def test_an_owned_piece_incompatible_with_the_anchor_is_not_used(index):
    shirt_id, catalog_only = first_shirt_outfit(index)
    anchor = catalog_only.anchor["attributes"]
    items = index.catalog.items
    wrong = items[
        (items["gender"] != anchor["gender"])
        & (items["gender"] != "Unisex")
        & items["articleType"].isin(["Jeans", "Trousers", "Shorts"])
    ]
    assert len(wrong)
    owned = owned_pool(index, [int(wrong.iloc[0]["id"])])
    assert garment_kind(owned.metadatas[0]) in outfit_rules()["slots"]["bottom"]["kinds"]
    outfit = complete_outfit(
        anchor_item_id=shirt_id,
        index=index,
        before_catalog=[OutfitSource("wardrobe", owned, priced=False)],
    )
    assert {s.source for s in outfit.slots} == {"catalog"}
