"""The offline stylist's rules: each intent routes to the right tool with the right arguments."""

from __future__ import annotations

import pandas as pd
import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from stylist.agent.intents import plan_turn
from stylist.agent.offline import OfflineStylist
from stylist.catalog.schema import ITEM_COLUMNS
from stylist.catalog.store import Catalog
from stylist.tools import ALL_TOOLS

ROWS = [
    # id, gender, master, sub, article, colour, season, usage, name, price
    (
        1,
        "Men",
        "Footwear",
        "Shoes",
        "Formal Shoes",
        "Black",
        "Winter",
        "Formal",
        "Black Oxford",
        55,
    ),
    (2, "Women", "Apparel", "Dress", "Dresses", "Red", "Summer", "Casual", "Red Sundress", 40),
    (3, "Men", "Apparel", "Topwear", "Shirts", "Navy Blue", "Summer", "Casual", "Navy Shirt", 25),
    (4, "Women", "Apparel", "Bottomwear", "Jeans", "Blue", "Fall", "Casual", "Blue Jeans", 35),
    (5, "Men", "Apparel", "Topwear", "Tshirts", "White", "Summer", "Sports", "White Tee", 15),
]


@pytest.fixture(scope="module")
def catalog():
    frame = pd.DataFrame(
        [
            {
                "id": i,
                "gender": g,
                "masterCategory": m,
                "subCategory": s,
                "articleType": a,
                "baseColour": c,
                "season": se,
                "year": 2020,
                "usage": u,
                "productDisplayName": n,
                "price": float(p),
                "image": f"/x/{i}.jpg",
                "split": "train",
            }
            for i, g, m, s, a, c, se, u, n, p in ROWS
        ],
        columns=list(ITEM_COLUMNS),
    )
    return Catalog(frame, min_class_count=1)


def only_call(plan):
    assert plan.reply is None and len(plan.calls) == 1, plan
    return plan.calls[0].name, plan.calls[0].args


def test_search_parses_filters_from_words(catalog):
    name, args = only_call(
        plan_turn("men black formal shoes under 60", has_photo=False, new_photos=0, catalog=catalog)
    )
    assert name == "search_catalog"
    assert args == {
        "query": "men black formal shoes under 60",
        "gender": "Men",
        "baseColour": "Black",
        "articleType": "Formal Shoes",
        "max_price": 60.0,
    }


def test_search_with_season_occasion_and_price_range(catalog):
    name, args = only_call(
        plan_turn(
            "Find me a casual summer dress for women between 20 and 50",
            has_photo=True,
            new_photos=0,
            catalog=catalog,
        )
    )
    assert name == "search_catalog"
    assert args["articleType"] == "Dresses" and args["gender"] == "Women"
    assert args["season"] == "Summer" and args["usage"] == "Casual"
    assert (args["min_price"], args["max_price"]) == (20.0, 50.0)


@pytest.mark.parametrize(
    "text",
    [
        "What goes with this?",
        "what should I wear with it",
        "complete the outfit",
        "pair this for a party",
    ],
)
def test_outfit_questions_complete_the_outfit(catalog, text):
    name, args = only_call(plan_turn(text, has_photo=True, new_photos=1, catalog=catalog))
    assert name == "complete_outfit"
    assert args["photo"] == "latest"


def test_outfit_around_a_catalog_item_with_style_words(catalog):
    name, args = only_call(
        plan_turn(
            "what goes with item 3 for a casual summer day?",
            has_photo=False,
            new_photos=0,
            catalog=catalog,
        )
    )
    assert name == "complete_outfit"
    assert args == {"item_id": 3, "style": "Casual Summer"}


def test_similar_with_a_colour_modifier(catalog):
    name, args = only_call(
        plan_turn("something like this but in red", has_photo=True, new_photos=0, catalog=catalog)
    )
    assert name == "find_similar"
    assert args == {"photo": "latest", "modifier": "something like this but in red"}


def test_more_like_an_item(catalog):
    name, args = only_call(
        plan_turn("more like item 4", has_photo=False, new_photos=0, catalog=catalog)
    )
    assert (name, args) == ("find_similar", {"item_id": 4})


@pytest.mark.parametrize(
    "text,tool",
    [
        ("caption this", "caption_image"),
        ("Describe my photo", "caption_image"),
        ("tag this photo", "tag_image"),
        ("what colour is it?", "tag_image"),
        ("which style is this?", "classify_fewshot"),
    ],
)
def test_photo_intents(catalog, text, tool):
    name, args = only_call(plan_turn(text, has_photo=True, new_photos=0, catalog=catalog))
    assert name == tool and args == {"photo": "latest"}


@pytest.mark.parametrize(
    "text,label",
    [
        ("this is my 'boho' style", "boho"),
        ('These are my "street chic" look', "street chic"),
        ("this is my grunge style", "grunge"),
        ("learn the style called minimal", "minimal"),
    ],
)
def test_teach_style(catalog, text, label):
    name, args = only_call(plan_turn(text, has_photo=True, new_photos=2, catalog=catalog))
    assert (name, args) == ("teach_style", {"label": label})


def test_photo_intents_without_a_photo_ask_for_one(catalog):
    for text in ("what goes with this?", "caption this", "this is my 'boho' style"):
        plan = plan_turn(text, has_photo=False, new_photos=0, catalog=catalog)
        assert not plan.calls and "attach a photo" in plan.reply.lower()


def test_a_bare_photo_is_tagged_and_matched(catalog):
    plan = plan_turn("", has_photo=True, new_photos=1, catalog=catalog)
    assert [c.name for c in plan.calls] == ["tag_image", "find_similar"]


def test_greeting_gets_help_without_tools(catalog):
    plan = plan_turn("hello!", has_photo=False, new_photos=0, catalog=catalog)
    assert not plan.calls and "offline stylist" in plan.reply


def test_model_answers_with_tool_calls_then_composes_from_results():
    model = OfflineStylist().bind_tools(ALL_TOOLS)
    first = model.invoke([HumanMessage("caption this\n[attached: photo 1]")])
    assert [c["name"] for c in first.tool_calls] == ["caption_image"]
    call_id = first.tool_calls[0]["id"]
    result = ToolMessage(
        "Caption for photo 1: Red summer dress.",
        tool_call_id=call_id,
        name="caption_image",
        artifact={
            "kind": "caption",
            "photo_id": "ab" * 32,
            "photo": "photo 1",
            "caption": "Red summer dress.",
        },
    )
    final = model.invoke([HumanMessage("caption this\n[attached: photo 1]"), first, result])
    assert not final.tool_calls
    assert "Offline stylist" in final.content and "Red summer dress." in final.content


def test_compose_lists_only_returned_products_and_reports_errors():
    from stylist.agent.compose import compose_answer

    product = {
        "id": 2,
        "name": "Red Sundress",
        "price": 40.0,
        "image": "/x/2.jpg",
        "score": 0.9,
        "attributes": {
            "gender": "Women",
            "masterCategory": "Apparel",
            "subCategory": "Dress",
            "articleType": "Dresses",
            "baseColour": "Red",
            "season": "Summer",
            "usage": "Casual",
        },
    }
    found = ToolMessage(
        "...",
        tool_call_id="a",
        name="search_catalog",
        artifact={
            "kind": "products",
            "title": 'Catalog results for "red dress"',
            "query": "red dress",
            "photo_id": None,
            "item_id": None,
            "filters": {"baseColour": "Red"},
            "products": [product],
        },
    )
    failed = ToolMessage(
        "Error: I don't know the colour 'Ruby'; the closest I have is Red.",
        tool_call_id="b",
        name="search_catalog",
        status="error",
    )
    text = compose_answer([found, failed], last_text="red dress")
    assert "1. **Red Sundress** (item 2) — $40.00" in text
    assert "Tip: Red goes well with" in text
    assert "I couldn't search the catalog: I don't know the colour 'Ruby'" in text
    assert text.count("**") == 2  # exactly one product named


def test_streaming_yields_the_answer_in_chunks():
    chunks = list(OfflineStylist().stream([HumanMessage("hello")]))
    assert len(chunks) > 3
    assert "".join(c.content for c in chunks).startswith("(Offline stylist")
    assert isinstance(OfflineStylist().invoke([HumanMessage("hi")]), AIMessage)


def test_a_sentence_is_read_once_per_catalog(catalog):
    """The planner and the search tool read the same sentence: the second read is the first."""
    from stylist.tools.understanding import read_request

    text = "black formal shoes for men under 60"
    first = read_request(text, catalog)
    assert first.filters.model_dump(exclude_none=True) == {
        "gender": "Men",
        "articleType": "Formal Shoes",
        "baseColour": "Black",
        "max_price": 60,
    }
    assert read_request(text, catalog) is first
    # Another vocabulary reads the sentence afresh (no colour Black there).
    other = Catalog(catalog.items[catalog.items["baseColour"] != "Black"], min_class_count=1)
    assert read_request(text, other).filters.baseColour is None
