"""The offline stylist's plans for wardrobe asks, from the real sentence encoder's reading."""

from __future__ import annotations

import pytest
from support.demo_vocab import demo_known_values

from stylist.agent.planning import ConversationView, plan_understood
from stylist.tools.conversation import Constraints, update_constraints

PHOTO = "a" * 64


@pytest.fixture(scope="module")
def understander():
    from stylist.language.sentence_encoder import get_sentence_encoder
    from stylist.language.understanding import Understander

    return Understander(demo_known_values(), encoder=get_sentence_encoder())


def plan(understander, text, photos=(PHOTO,)):
    u = understander.understand(text)
    view = ConversationView(photo_ids=list(photos), new_photos=len(photos))
    result = plan_understood(u, view)
    return u, [(c.name, c.args) for c in result.calls], result.reply


@pytest.mark.parametrize(
    ("text", "tool", "args"),
    [
        ("save this to my wardrobe", "save_to_wardrobe", {"photo": "latest"}),
        ("add this to my closet", "save_to_wardrobe", {"photo": "latest"}),
        (
            "save this to my wardrobe as my lucky shirt",
            "save_to_wardrobe",
            {"photo": "latest", "name": "lucky shirt"},
        ),
        ("show my wardrobe", "show_wardrobe", {"query": "show my wardrobe"}),
        ("my shoes", "show_wardrobe", {"query": "my shoes"}),
        ("my summer things", "show_wardrobe", {"query": "my summer things"}),
        (
            "change its colour to red",
            "update_wardrobe_item",
            {"corrections": {"baseColour": "Red"}},
        ),
        (
            "the colour is actually green",
            "update_wardrobe_item",
            {"corrections": {"baseColour": "Green"}},
        ),
        ("call it my lucky shirt", "update_wardrobe_item", {"name": "lucky shirt"}),
        (
            "remove my navy blazer from my wardrobe",
            "remove_from_wardrobe",
            {"item": "navy blazer"},
        ),
        (
            "what can I wear with my green shirt?",
            "complete_outfit",
            {"wardrobe_item": "green shirt"},
        ),
        (
            "what can I wear with my navy blue shirt from my wardrobe?",
            "complete_outfit",
            {"wardrobe_item": "navy blue shirt"},
        ),
        (
            "plan 3 outfits for a week in summer from my wardrobe",
            "plan_outfits",
            {"count": 3, "occasion": "a week in summer"},
        ),
    ],
)
def test_wardrobe_asks_plan_the_wardrobe_tools(understander, text, tool, args):
    _u, calls, reply = plan(understander, text)
    assert calls == [(tool, args)], reply


def test_plain_outfit_and_search_asks_are_unchanged(understander):
    assert plan(understander, "what goes with this?")[1] == [
        ("complete_outfit", {"photo": "latest"})
    ]
    _u, calls, _ = plan(understander, "show me red dresses")
    assert [c[0] for c in calls] == ["search_catalog"]


def test_saving_without_a_photo_asks_for_one(understander):
    _u, calls, reply = plan(understander, "save this to my wardrobe", photos=())
    assert calls == [] and "photo" in reply.lower()


def test_words_about_owned_things_do_not_become_shopping_constraints(understander):
    before = Constraints(max_price=50)
    for text in (
        "my summer things",
        "save this black shirt to my wardrobe",
        "change its colour to red",
    ):
        u = understander.understand(text)
        assert update_constraints(before, u) == before, text
    u = understander.understand("show me summer dresses")
    assert update_constraints(before, u).include.get("season") == ["Summer"]
