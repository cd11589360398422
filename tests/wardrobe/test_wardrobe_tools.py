"""The wardrobe tools through a real chat session (the stand-in LLM calls them with exact
arguments): save with corrections, list with filters, outfits from what the person owns with
the catalog filling the rest ("to buy"), several looks, and another user's ids refused."""

from __future__ import annotations

import asyncio

import pytest

from stylist.agent import StylistSession
from stylist.wardrobe import Wardrobe

pytestmark = pytest.mark.slow


def call(tool, **args):
    return {"tool_calls": [{"name": tool, "args": args}]}


class Chat:
    """One chat of one user, driven by the stand-in LLM's scripted tool calls."""

    def __init__(self, llm, user_id):
        self.llm = llm
        self.session = StylistSession(
            user_id=user_id,
            overrides={
                "provider": "openai-compatible",
                "base_url": llm.base_url,
                "model": "standin",
                "api_key": "sk-test",
            },
        )

    def turn(self, text, *replies, photos=()):
        self.llm.clear()
        self.llm.script([*replies, {"content": "Done."}])

        async def go():
            ids = [self.session.add_photo(p) for p in photos]
            return await self.session.acollect_turn(text, ids)

        return asyncio.run(go())


def tool_messages(result):
    return [e.content or "" for e in result.events if e.kind == "tool_end"]


@pytest.fixture
def outfit_pieces(catalog_photo, own_demo_world):
    """A shirt and a bottom that can be worn together, whose kind of shoes the catalog sells."""
    from stylist.catalog.store import get_catalog

    items = get_catalog(own_demo_world).items
    for _, shirt in items[items["articleType"] == "Shirts"].iterrows():
        same = (
            (items["gender"] == shirt["gender"])
            & (items["usage"] == shirt["usage"])
            & (items["season"] == shirt["season"])
        )
        bottoms = items[same & (items["subCategory"] == "Bottomwear")]
        if len(bottoms) and len(items[same & (items["masterCategory"] == "Footwear")]):
            return shirt.to_dict(), bottoms.iloc[0].to_dict()
    pytest.fail("the demo catalog has no shirt + bottom + shoes of one gender/usage/season")


def corrections(row, **changes):
    keys = {
        "type": "articleType",
        "subcategory": "subCategory",
        "category": "masterCategory",
        "gender": "gender",
        "occasion": "usage",
        "season": "season",
    }
    return {word: row[a] for word, a in keys.items()} | changes


def read(row):
    from pathlib import Path

    return Path(row["image"]).read_bytes()


def test_saved_pieces_make_the_outfit_in_a_new_chat_and_the_catalog_fills_the_rest(
    llm, own_demo_world, user_ids, outfit_pieces
):
    alice, _bob = user_ids
    shirt, bottom = outfit_pieces
    other_colour = "Black" if bottom["baseColour"] != "Black" else "White"
    chat = Chat(llm, alice)
    saved = chat.turn(
        "save this to my wardrobe",
        call("save_to_wardrobe", corrections=corrections(shirt)),
        photos=[read(shirt)],
    )
    [first] = saved.artifacts
    assert first["kind"] == "wardrobe" and first["mode"] == "saved"
    shirt_item = first["items"][0]
    assert (
        shirt_item["source"] == "wardrobe" and shirt_item["attributes"]["articleType"] == "Shirts"
    )

    saved = chat.turn(
        "save this one too, it's my jeans and it's actually another colour",
        call(
            "save_to_wardrobe",
            name="my weekend bottoms",
            corrections=corrections(bottom, colour=other_colour),
        ),
        photos=[read(bottom)],
    )
    bottom_item = saved.artifacts[0]["items"][0]
    assert bottom_item["name"] == "my weekend bottoms"
    assert bottom_item["attributes"]["baseColour"] == other_colour
    assert "baseColour" in bottom_item["corrected"]

    listed = chat.turn("my bottoms", call("show_wardrobe", query="bottomwear"))
    assert [i["id"] for i in listed.artifacts[0]["items"]] == [bottom_item["id"]]

    new_chat = Chat(llm, alice)  # a new thread: nothing of the first chat in its state
    answer = new_chat.turn(
        f"what can I wear with my {shirt_item['name']}?",
        call("complete_outfit", wardrobe_item=shirt_item["name"]),
    )
    [outfit] = answer.artifacts
    assert outfit["kind"] == "outfit", tool_messages(answer)
    by_slot = {s["slot"]: s for s in outfit["slots"]}
    assert by_slot["bottom"]["source"] == "wardrobe"
    assert by_slot["bottom"]["product"]["id"] == bottom_item["id"]
    bought = [s for s in outfit["slots"] if s["source"] == "catalog"]
    assert bought and all(s["to_buy"] and s["product"]["price"] > 0 for s in bought)
    summary = tool_messages(answer)[0]
    assert "yours — wardrobe item" in summary and "to buy — item_id" in summary


def test_another_users_ids_reach_nothing_of_theirs(llm, own_demo_world, user_ids, outfit_pieces):
    alice, bob = user_ids
    shirt, bottom = outfit_pieces
    wardrobe = Wardrobe(own_demo_world, alice)
    chat = Chat(llm, alice)
    chat.turn(
        "save", call("save_to_wardrobe", corrections=corrections(shirt)), photos=[read(shirt)]
    )
    chat.turn(
        "save", call("save_to_wardrobe", corrections=corrections(bottom)), photos=[read(bottom)]
    )
    theirs = wardrobe.items()
    assert len(theirs) == 2
    their_ids = [i.id for i in theirs]

    intruder = Chat(llm, bob)
    attempts = intruder.turn(
        "show me alice's things",
        call("show_wardrobe"),
        call("update_wardrobe_item", item=str(their_ids[0]), name="stolen"),
        call("remove_from_wardrobe", item=str(their_ids[1])),
        call("complete_outfit", wardrobe_item=str(their_ids[0])),
        call("plan_outfits", count=2),
        photos=[read(shirt)],
    )
    assert all(i["source"] != "wardrobe" for a in attempts.artifacts for i in a.get("items", []))
    outcome = "\n".join(tool_messages(attempts))
    assert "Your wardrobe is empty" in outcome
    assert "stolen" not in outcome
    # Bob's outfit around the same shirt photo comes from the catalog only.
    outfit = intruder.turn("what goes with it?", call("complete_outfit", photo="latest"))
    assert {s["source"] for s in outfit.artifacts[0]["slots"]} == {"catalog"}
    assert not any(s["to_buy"] for s in outfit.artifacts[0]["slots"])
    search = intruder.turn("shirts", call("search_catalog", query="shirts"))
    assert set(their_ids).isdisjoint(
        p["id"] for p in search.artifacts[0]["products"] if p["name"] == theirs[0].name
    )
    assert [i.name for i in wardrobe.items()] == [i.name for i in theirs]  # untouched

    # Once Bob owns something, his items resolve; Alice's ids still do not.
    intruder.turn("save", call("save_to_wardrobe", photo="latest"))
    refused = intruder.turn(
        "rename", call("update_wardrobe_item", item=str(their_ids[0]), name="x")
    )
    assert f"There is no item {their_ids[0]} in your wardrobe" in tool_messages(refused)[0]
    shown = intruder.turn("show", call("show_wardrobe"))
    assert set(their_ids).isdisjoint(i["id"] for i in shown.artifacts[0]["items"])


def test_anonymous_chats_are_asked_to_sign_in(llm, own_demo_world, outfit_pieces):
    shirt, _ = outfit_pieces
    chat = Chat(llm, None)
    result = chat.turn("save this", call("save_to_wardrobe"), photos=[read(shirt)])
    assert "Sign in to keep a wardrobe" in tool_messages(result)[0]
    outfit = chat.turn("what goes with it", call("complete_outfit"))
    assert {s["source"] for s in outfit.artifacts[0]["slots"]} == {"catalog"}


def test_planned_looks_are_built_on_different_pieces(
    llm, own_demo_world, user_ids, outfit_pieces, catalog_photo
):
    alice, _ = user_ids
    shirt, bottom = outfit_pieces
    chat = Chat(llm, alice)
    tops = [shirt]
    from stylist.catalog.store import get_catalog

    items = get_catalog(own_demo_world).items
    more_tops = items[(items["subCategory"] == "Topwear") & (items["id"] != shirt["id"])].head(2)
    tops += [r.to_dict() for _, r in more_tops.iterrows()]
    bottoms = items[(items["subCategory"] == "Bottomwear")].head(2)
    for row in tops + [r.to_dict() for _, r in bottoms.iterrows()]:
        # Every piece made wearable with the others (same gender, occasion, season).
        fixes = corrections(
            shirt,
            type=row["articleType"],
            subcategory=row["subCategory"],
            category=row["masterCategory"],
        )
        chat.turn("save", call("save_to_wardrobe", corrections=fixes), photos=[read(row)])
    result = chat.turn(
        "plan 3 outfits for a week", call("plan_outfits", count=3, occasion="a week")
    )
    [plan] = result.artifacts
    assert plan["kind"] == "outfits" and len(plan["outfits"]) == 3
    anchors = [o["anchor"]["wardrobe_item_id"] for o in plan["outfits"]]
    assert len(set(anchors)) == 3
    owned_bottoms = [
        s["product"]["id"]
        for o in plan["outfits"]
        for s in o["slots"]
        if s["slot"] == "bottom" and s["source"] == "wardrobe"
    ]
    assert len(owned_bottoms) == 3
    assert len(set(owned_bottoms[:2])) == 2  # the second bottom is worn before one repeats
    # What the wardrobe cannot fill comes from the catalog: a different piece in each look,
    # not the same pair of shoes to buy three times.
    to_buy = [
        s["product"]["id"] for o in plan["outfits"] for s in o["slots"] if s["source"] != "wardrobe"
    ]
    assert to_buy and len(to_buy) == len(set(to_buy)), to_buy
