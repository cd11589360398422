"""Outfit completion: complete and compatible outfits, reasons, anchors, rules as data."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from stylist.vectorstore.errors import SearchError
from stylist.vectorstore.harmony import colour_harmony, colour_table, is_neutral
from stylist.vectorstore.outfit import (
    compatible,
    complete_outfit,
    garment_kind,
    outfit_rules,
)
from stylist.vectorstore.search import CatalogIndex


@pytest.fixture
def index(world) -> CatalogIndex:
    return CatalogIndex(world)


def assert_complete_and_compatible(outfit, anchor_attrs):
    plan = outfit_rules()["plans"][garment_kind(anchor_attrs)]
    assert outfit.missing == []
    assert [s.slot for s in outfit.slots] == plan
    ids = [s.product.id for s in outfit.slots]
    assert len(set(ids)) == len(ids)
    for slot in outfit.slots:
        attrs = slot.product.attributes
        assert garment_kind(attrs) in outfit_rules()["slots"][slot.slot]["kinds"]
        assert compatible(anchor_attrs, attrs, slot.slot), (slot.slot, anchor_attrs, attrs)
        assert slot.reason.endswith(".") and len(slot.reason) < 160
    genders = {s.product.attributes["gender"] for s in outfit.slots} - {"Unisex"}
    assert len(genders) <= 1  # never a men's and a women's item in one outfit


def test_every_held_out_top_and_dress_gets_a_complete_compatible_outfit(index):
    catalog = index.catalog
    anchors = catalog.test[catalog.test["subCategory"].isin(["Topwear", "Dress"])]
    assert len(anchors) >= 20
    for item in anchors.to_dict("records"):
        outfit = complete_outfit(anchor_item_id=int(item["id"]), index=index)
        assert outfit.anchor["id"] == item["id"]
        assert item["id"] not in {s.product.id for s in outfit.slots}
        assert_complete_and_compatible(outfit, {a: item[a] for a in outfit.anchor["attributes"]})


def test_reason_names_colour_occasion_and_season(index):
    shirt = index.catalog.items.query("articleType == 'Shirts'").iloc[0]
    outfit = complete_outfit(
        anchor_item_id=int(shirt["id"]), style="casual summer outfit", index=index
    )
    bottom = outfit.slots[0]
    assert bottom.slot == "bottom"
    reason = bottom.reason.lower()
    assert reason.startswith(bottom.product.attributes["baseColour"].lower())
    assert bottom.product.attributes["usage"].lower() in reason
    assert "shirt" in reason or shirt["usage"].lower() in reason
    json.loads(outfit.model_dump_json())  # the artifact is plain JSON


def test_outfit_from_predicted_tags_and_a_photo(index, world):
    dress = index.catalog.items.query("articleType == 'Dresses'").iloc[0]
    tags = {
        a: [(dress[a], 0.9), ("Other", 0.1)]
        for a in (
            "gender",
            "masterCategory",
            "subCategory",
            "articleType",
            "baseColour",
            "season",
            "usage",
        )
    }
    photo_embedding = index.encoder.encode_images([dress["image"]])[0]
    for kwargs in (
        {"anchor_tags": tags},
        {"anchor_tags": tags, "anchor_embedding": photo_embedding},
    ):
        outfit = complete_outfit(**kwargs, index=index)
        assert outfit.anchor["kind"] == "dress" and outfit.anchor["id"] is None
        assert [s.slot for s in outfit.slots] == ["footwear", "bag"]
        assert_complete_and_compatible(outfit, {a: t[0][0] for a, t in tags.items()})


def test_price_filter_applies_to_every_slot(index):
    top = index.catalog.items.query("subCategory == 'Topwear'").iloc[0]
    plan = outfit_rules()["plans"][garment_kind(top)]
    unfiltered = complete_outfit(anchor_item_id=int(top["id"]), index=index)
    assert [s.slot for s in unfiltered.slots] == plan
    # Just under the dearest pick: that slot must change or go missing, the others stay.
    budget = max(s.product.price for s in unfiltered.slots) - 0.01
    outfit = complete_outfit(
        anchor_item_id=int(top["id"]),
        # A category filter from the conversation must not empty the slots.
        filters={"max_price": budget, "articleType": "Dresses"},
        index=index,
    )
    assert len(outfit.slots) >= len(plan) - 1 >= 1
    assert all(s.product.price <= budget for s in outfit.slots)
    assert sorted([s.slot for s in outfit.slots] + outfit.missing) == sorted(plan)
    assert {s.product.id for s in outfit.slots} != {s.product.id for s in unfiltered.slots}


def test_anchor_errors_are_sentences(index):
    with pytest.raises(SearchError, match="which garment"):
        complete_outfit(index=index)
    with pytest.raises(SearchError, match="not both"):
        complete_outfit(
            anchor_item_id=int(index.catalog.items["id"].iloc[0]),
            anchor_tags={"gender": [("Men", 1.0)]},
            index=index,
        )
    with pytest.raises(SearchError, match="articleType"):
        complete_outfit(anchor_tags={"gender": [("Men", 1.0)]}, index=index)


def test_colour_harmony_rules():
    assert colour_harmony("Beige", "Navy Blue").kind == "both_neutral"
    assert colour_harmony("Blue", "Orange").kind == "complementary"
    assert colour_harmony("Red", "Orange").kind == "analogous"
    assert colour_harmony("Pink", "Yellow").kind == "clash"
    assert colour_harmony("Red", "Black").kind == "neutral"
    assert colour_harmony("Red", "Black").score > colour_harmony("Pink", "Yellow").score
    assert is_neutral("Navy Blue") and not is_neutral("Red")
    assert colour_harmony("Beige", "Navy Blue").reason == "neutral with navy blue"


def test_every_demo_and_kaggle_colour_is_on_the_wheel():
    vocab = json.loads(resources.files("stylist.catalog").joinpath("demo_vocab.json").read_text())
    kaggle = [
        "Navy Blue",
        "Blue",
        "Silver",
        "Black",
        "Grey",
        "Green",
        "Purple",
        "White",
        "Beige",
        "Brown",
        "Bronze",
        "Teal",
        "Copper",
        "Pink",
        "Off White",
        "Maroon",
        "Red",
        "Khaki",
        "Orange",
        "Coffee Brown",
        "Yellow",
        "Charcoal",
        "Gold",
        "Steel",
        "Tan",
        "Multi",
        "Magenta",
        "Lavender",
        "Sea Green",
        "Cream",
        "Peach",
        "Olive",
        "Skin",
        "Burgundy",
        "Grey Melange",
        "Rust",
        "Rose",
        "Lime Green",
        "Mauve",
        "Turquoise Blue",
        "Metallic",
        "Mustard",
        "Taupe",
        "Nude",
        "Mushroom Brown",
        "Fluorescent Green",
    ]
    for colour in [*vocab["colours"], *kaggle]:
        assert colour in colour_table()["colours"], colour


def test_compatibility_tables():
    men_formal = {"gender": "Men", "usage": "Formal", "season": "Winter"}
    assert compatible(men_formal, {"gender": "Unisex", "usage": "Formal", "season": "Fall"})
    assert not compatible(men_formal, {"gender": "Women", "usage": "Formal", "season": "Winter"})
    assert not compatible(men_formal, {"gender": "Men", "usage": "Sports", "season": "Winter"})
    assert not compatible(men_formal, {"gender": "Men", "usage": "Formal", "season": "Summer"})
    # a watch is not seasonal
    assert compatible(
        men_formal, {"gender": "Men", "usage": "Formal", "season": "Summer"}, "accessory"
    )
    assert garment_kind({"articleType": "Jeans", "subCategory": "Bottomwear"}) == "bottom"
    assert garment_kind({"articleType": "Sarees", "subCategory": "Saree"}) == "dress"
    assert garment_kind({"masterCategory": "Footwear", "subCategory": "Sandal"}) == "footwear"
    assert garment_kind({"subCategory": "Bags", "masterCategory": "Accessories"}) == "bag"
