"""The agent on a real (quick-built) demo installation: real tools, models, index and graph.

Offline-stylist turns check intent → tool → arguments → artifacts → answer; the stand-in LLM
checks that an LLM's tool calls reach the same tools and that tool errors come back as
sentences the model can read.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from stylist.agent import StylistSession
from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog

pytestmark = pytest.mark.slow


def run(session, text, photo_ids=(), **kwargs):
    return asyncio.run(session.acollect_turn(text, photo_ids, **kwargs))


def named_products(text):
    return set(re.findall(r"\*\*(.+?)\*\*", text))


@pytest.fixture
def catalog(use_demo_world):
    return Catalog.load(use_demo_world)


def photo_of(session, catalog, **where):
    items = catalog.test
    for column, value in where.items():
        items = items[items[column] == value]
    row = items.iloc[0]
    with open(row["image"], "rb") as f:
        return session.add_photo(f.read()), row


def test_offline_search_applies_every_parsed_filter(catalog):
    item = catalog.items.iloc[0]
    budget = int(item["price"]) + 10
    text = (
        f"{item['gender'].lower()} {item['baseColour'].lower()} "
        f"{item['articleType'].lower()} under {budget}"
    )
    session = StylistSession()
    result = run(session, text)

    assert result.error is None, result.error
    [(tool, _args)] = result.tool_calls
    assert tool == "search_catalog"
    [artifact] = result.artifacts
    # The filters come from the conversation's constraints, read from the message.
    applied = artifact["filters"]
    assert applied["gender"] == item["gender"] and applied["baseColour"] == item["baseColour"]
    assert applied["articleType"] == item["articleType"] and applied["max_price"] == budget
    assert artifact["kind"] == "products" and artifact["products"]
    for product in artifact["products"]:
        assert product["attributes"]["gender"] == item["gender"]
        assert product["attributes"]["baseColour"] == item["baseColour"]
        assert product["attributes"]["articleType"] == item["articleType"]
        assert product["price"] <= budget
        assert set(product) == {"id", "name", "price", "image", "score", "attributes"}
        assert set(product["attributes"]) == set(ATTRIBUTES)
    returned = {p["name"] for p in artifact["products"]}
    assert named_products(result.text) and named_products(result.text) <= returned
    assert result.text.startswith("(Offline stylist")


def test_offline_photo_turns_tag_match_and_complete_the_outfit(catalog):
    session = StylistSession()
    photo, row = photo_of(session, catalog, articleType=catalog.test["articleType"].iloc[0])

    first = run(session, "", [photo])
    assert [t for t, _ in first.tool_calls] == ["tag_image", "find_similar"]
    tags, similar = first.artifacts
    assert tags["kind"] == "tags" and tags["photo_id"] == photo and tags["photo"] == "photo 1"
    assert list(tags["attributes"]) == list(ATTRIBUTES)
    for ranked in tags["attributes"].values():
        assert 0 <= ranked[0]["confidence"] <= 1
    assert similar["kind"] == "products" and similar["photo_id"] == photo
    assert similar["products"]
    assert "photo 1 looks like" in first.text.lower()

    outfit = run(session, "What goes with this?")
    assert outfit.tool_calls == [("complete_outfit", {"photo": "latest"})]
    [artifact] = outfit.artifacts
    assert artifact["kind"] == "outfit" and artifact["slots"]
    for slot in artifact["slots"]:
        assert slot["slot"] and slot["reason"] and slot["product"]["id"]
    named = named_products(outfit.text)
    assert named == {s["product"]["name"] for s in artifact["slots"]}

    caption = run(session, "caption this")
    [artifact] = caption.artifacts
    assert artifact["kind"] == "caption" and artifact["caption"] in caption.text


def test_offline_teach_then_classify_a_style(catalog):
    session = StylistSession()
    kind = catalog.test["articleType"].iloc[0]
    examples = catalog.test[catalog.test["articleType"] == kind].head(3)
    ids = [session.add_photo(open(p, "rb").read()) for p in examples["image"]]

    taught = run(session, "these are my 'weekend' style", ids[:2])
    assert taught.tool_calls == [("teach_style", {"label": "weekend"})]
    [artifact] = taught.artifacts
    assert artifact["kind"] == "fewshot" and artifact["mode"] == "teach"
    assert artifact["label"] == "weekend" and artifact["photo_ids"] == ids[:2]
    assert "learned your 'weekend' style from 2 photos" in taught.text

    asked = run(session, "which style is this?", ids[2:])
    [artifact] = asked.artifacts
    assert artifact["mode"] == "classify" and artifact["styles"] == ["weekend"]
    assert artifact["predictions"] and artifact["photo_id"] == ids[2]


def test_llm_tool_calls_reach_the_real_tools(catalog, llm):
    llm.script(
        [
            {
                "tool_calls": [
                    {
                        "name": "search_catalog",
                        "args": {"query": "something nice", "baseColour": "Ruby"},
                    }
                ]
            },
            {
                "tool_calls": [
                    {
                        "name": "search_catalog",
                        "args": {"query": "red things", "baseColour": "red", "k": 4},
                    }
                ]
            },
            {"content": "I found some red pieces for you."},
        ]
    )
    session = StylistSession(
        overrides={"provider": "openai-compatible", "api_key": "k", "base_url": llm.base_url}
    )
    result = run(session, "show me something red")
    assert result.error is None
    failed, found = [e for e in result.events if e.kind == "tool_end"]
    assert not failed.ok and "I don't know the colour 'Ruby'" in failed.content
    assert found.ok and found.artifact["filters"] == {"baseColour": "Red"}
    assert 0 < len(found.artifact["products"]) <= 4
    assert all(p["attributes"]["baseColour"] == "Red" for p in found.artifact["products"])
    # What the model read back: the error sentence, then a compact product list.
    tool_texts = [m["content"] for m in llm.requests[2]["messages"] if m["role"] == "tool"]
    assert tool_texts[0].startswith("Error: I don't know the colour 'Ruby'")
    # numbered for the person, each with its id (what "the second one" resolves to)
    assert len(re.findall(r"\n\d+\. item_id \d+: ", tool_texts[1])) == len(
        found.artifact["products"]
    )
    assert result.text == "I found some red pieces for you."


def test_products_per_search_follows_this_chats_setting(catalog):
    item = catalog.items.iloc[0]
    session = StylistSession(overrides={"provider": "offline", "results_k": 2})
    result = run(session, f"{item['articleType'].lower()}")
    assert result.error is None, result.error
    [artifact] = result.artifacts
    assert 1 <= len(artifact["products"]) <= 2

    wider = run(
        StylistSession(overrides={"provider": "offline", "results_k": 5}),
        f"{item['articleType'].lower()}",
    )
    assert len(wider.artifacts[0]["products"]) > 2


@pytest.fixture
def encoded_rows(use_demo_world, monkeypatch):
    """How many images the process's image encoder has encoded since the test began."""
    from stylist.tools import services

    encoder = services.encoder()
    counts = {"encode_images": 0, "rows": 0}
    encode_images, encode_pixels = encoder.encode_images, encoder.encode_pixels

    def counting_encode_images(images, *args, **kwargs):
        counts["encode_images"] += 1
        return encode_images(images, *args, **kwargs)

    def counting_encode_pixels(pixels, *args, **kwargs):
        counts["rows"] += len(pixels)  # every image encoding ends here
        return encode_pixels(pixels, *args, **kwargs)

    monkeypatch.setattr(encoder, "encode_images", counting_encode_images)
    monkeypatch.setattr(encoder, "encode_pixels", counting_encode_pixels)
    return counts


def fresh_photo(session, catalog, row: int):
    """A catalog photo mirrored, so no earlier test has seen (or encoded) these pixels."""
    import io

    from PIL import Image, ImageOps

    image = ImageOps.mirror(Image.open(catalog.test.iloc[row]["image"]).convert("RGB"))
    data = io.BytesIO()
    image.save(data, format="PNG")
    return session.add_photo(data.getvalue())


def test_a_photo_is_encoded_once_for_every_tool_and_turn(catalog, encoded_rows):
    session = StylistSession()
    photo = fresh_photo(session, catalog, 1)

    first = run(session, "", [photo])  # tag + find similar
    assert first.error is None, first.error
    assert [t for t, _ in first.tool_calls] == ["tag_image", "find_similar"]
    assert encoded_rows == {"encode_images": 1, "rows": 1}

    outfit = run(session, "What goes with this?")  # tags again, then the outfit's anchor
    assert [t for t, _ in outfit.tool_calls] == ["complete_outfit"]
    assert outfit.artifacts[0]["slots"]
    caption = run(session, "caption this")
    assert caption.artifacts[0]["kind"] == "caption"
    assert encoded_rows == {"encode_images": 1, "rows": 1}  # nothing encoded again

    second = fresh_photo(session, catalog, 2)
    run(session, "", [second])
    assert encoded_rows == {"encode_images": 2, "rows": 2}  # one more photo, one more encoding
