"""Tool artifacts → what the chat shows (the pure part of stylist.ui, no server needed)."""

from __future__ import annotations

from stylist.catalog.schema import ATTRIBUTES
from stylist.ui.artifacts import render_artifact
from stylist.ui.settings_panel import describe_choice, overrides_from_panel


def product(item_id: int, price: float = 24.5, colour: str = "Red") -> dict:
    return {
        "id": item_id,
        "name": f"Item {item_id}",
        "price": price,
        "image": f"/x/{item_id}.jpg",
        "score": 0.5,
        "attributes": {
            "gender": "Women",
            "masterCategory": "Apparel",
            "subCategory": "Dress",
            "articleType": "Dresses",
            "baseColour": colour,
            "season": "Summer",
            "usage": "Casual",
        },
    }


def test_tags_become_rows_with_percent_bars_in_attribute_order():
    artifact = {
        "kind": "tags",
        "photo_id": "a" * 64,
        "photo": "photo 1",
        "attributes": {
            a: [
                {"label": f"{a}-top", "confidence": 0.834},
                {"label": f"{a}-next", "confidence": 0.1},
            ]
            for a in reversed(ATTRIBUTES)
        },
    }
    rendered = render_artifact(artifact)
    ((name, props),) = rendered.elements
    assert name == "AttributeTags"
    assert [row["key"] for row in props["rows"]] == list(ATTRIBUTES)
    assert props["rows"][0]["labels"][0] == {
        "label": "gender-top",
        "confidence": 0.834,
        "percent": 83,
    }
    assert props["title"] == "What I see in photo 1"


def test_products_become_cards_with_price_attributes_and_served_image_url():
    artifact = {
        "kind": "products",
        "title": "Red dresses",
        "query": "red dress",
        "photo_id": None,
        "item_id": None,
        "filters": {"baseColour": "Red", "max_price": 50.0},
        "products": [product(7, 24.5), product(9, 1234.0)],
    }
    ((name, props),) = render_artifact(artifact).elements
    assert name == "ProductCards"
    first, second = props["products"]
    assert first["imageUrl"] == "/stylist/catalog-image/7"  # never the file path itself
    # numbered as shown, with the item id: what "the second one" / "#2" refers to
    assert (first["number"], second["number"]) == (1, 2)
    assert second["label"] == "#2 · item 9"
    assert first["priceText"] == "$24.50" and second["priceText"] == "$1,234.00"
    assert [a["key"] for a in first["attributes"]] == list(ATTRIBUTES)
    assert [f["value"] for f in props["filters"]] == ["Red", "up to $50.00"]


def test_no_products_is_a_sentence_not_an_empty_grid():
    rendered = render_artifact({"kind": "products", "title": "Blue shoes", "products": []})
    assert rendered.elements == []
    assert "no products matched" in rendered.markdown


def test_outfit_is_grouped_by_slot_with_reasons():
    artifact = {
        "kind": "outfit",
        "anchor": {"photo_id": "b" * 64, "item_id": None, "description": "your navy shirt"},
        "slots": [
            {"slot": "bottom", "product": product(1), "reason": "neutral"},
            {"slot": "footwear", "product": product(2), "reason": "casual"},
        ],
    }
    ((name, props),) = render_artifact(artifact).elements
    assert name == "OutfitBoard"
    assert props["title"] == "An outfit around your navy shirt"
    assert [(s["slot"], s["slotName"], s["reason"]) for s in props["slots"]] == [
        ("bottom", "Bottom", "neutral"),
        ("footwear", "Shoes", "casual"),
    ]


def test_caption_and_fewshot_render_as_text_or_bars():
    caption = render_artifact(
        {
            "kind": "caption",
            "photo_id": "c" * 64,
            "photo": "photo 2",
            "caption": "A red summer dress.",
        }
    )
    assert "A red summer dress." in caption.markdown and "photo 2" in caption.markdown

    taught = render_artifact(
        {
            "kind": "fewshot",
            "mode": "teach",
            "label": "boho",
            "photo_ids": ["a", "b"],
            "styles": ["boho"],
            "predictions": [],
        }
    )
    assert "boho" in taught.markdown and "2 photo" in taught.markdown

    classified = render_artifact(
        {
            "kind": "fewshot",
            "mode": "classify",
            "photo_id": "a",
            "predictions": [{"label": "boho", "confidence": 0.7}],
        }
    )
    ((name, props),) = classified.elements
    assert name == "AttributeTags" and props["rows"][0]["labels"][0]["percent"] == 70


def test_unknown_or_missing_artifacts_render_nothing():
    assert render_artifact(None).elements == [] and render_artifact(None).markdown == ""
    assert render_artifact({"kind": "hologram"}).elements == []


def test_settings_panel_values_become_overrides_and_blank_means_default():
    overrides = overrides_from_panel(
        {
            "provider": "openai-compatible",
            "model": " m1 ",
            "api_key": "",
            "base_url": "http://127.0.0.1:9/v1",
            "temperature": 0.2,
            "vision": False,
            "results_k": 3.0,
        }
    )
    assert overrides == {
        "provider": "openai-compatible",
        "model": "m1",
        "base_url": "http://127.0.0.1:9/v1",
        "temperature": 0.2,
        "vision": False,
        "results_k": 3,
    }
    assert "api_key" not in overrides
    assert overrides_from_panel({"provider": "nonsense"}) == {}

    shown = describe_choice(overrides_from_panel({"provider": "groq", "api_key": "sk-secret"}))
    assert "sk-secret" not in shown and "your API key" in shown
