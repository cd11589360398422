"""What the chat and the wardrobe page show of a wardrobe: the person's own photos and "yours",
catalog pieces "to buy · $price", and only the signed-in owner's items on the page."""

from __future__ import annotations

from types import SimpleNamespace

from chainlit.auth import get_current_user
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stylist.ui.artifacts import photo_url, render_artifact
from stylist.ui.wardrobe_actions import NOT_YOUR_PHOTO, save_actions, save_clicked
from stylist.ui.wardrobe_page import WARDROBE_ROUTE, mount_wardrobe_page
from stylist.wardrobe import Wardrobe

ATTRS = {
    "gender": "Men",
    "masterCategory": "Apparel",
    "subCategory": "Bottomwear",
    "articleType": "Jeans",
    "baseColour": "Blue",
    "season": "Summer",
    "usage": "Casual",
}
PHOTO = "b" * 64


def owned(item_id=7, name="my weekend jeans"):
    return {
        "id": item_id,
        "name": name,
        "price": 0.0,
        "image": "",
        "score": 0.5,
        "attributes": ATTRS,
        "source": "wardrobe",
        "photo_id": PHOTO,
        "corrected": ["baseColour"],
    }


def catalog_piece(item_id=1534, price=24.0):
    return {
        "id": item_id,
        "name": "Brown Sandals",
        "price": price,
        "image": "/x.jpg",
        "score": 0.4,
        "attributes": {**ATTRS, "articleType": "Sandals"},
        "source": "catalog",
    }


def test_outfit_cards_say_yours_and_to_buy_with_the_price():
    artifact = {
        "kind": "outfit",
        "anchor": {"description": "your white shirt"},
        "slots": [
            {
                "slot": "bottom",
                "product": owned(),
                "reason": "r",
                "source": "wardrobe",
                "to_buy": False,
            },
            {
                "slot": "footwear",
                "product": catalog_piece(),
                "reason": "r",
                "source": "catalog",
                "to_buy": True,
            },
        ],
        "missing": [],
    }
    [(name, props)] = render_artifact(artifact).elements
    assert name == "OutfitBoard"
    mine, bought = (s["product"] for s in props["slots"])
    assert (mine["source"], mine["priceText"], mine["price"]) == ("wardrobe", "yours", None)
    assert mine["imageUrl"] == photo_url(PHOTO) and mine["label"].endswith("wardrobe item 7")
    assert (bought["source"], bought["priceText"]) == ("to_buy", "to buy · $24.00")
    assert bought["imageUrl"].endswith("/1534")


def test_a_catalog_only_outfit_is_not_marked_to_buy():
    artifact = {
        "kind": "outfit",
        "anchor": {"description": "photo 1"},
        "slots": [{"slot": "footwear", "product": catalog_piece(), "reason": "r"}],
    }
    [(_name, props)] = render_artifact(artifact).elements
    assert props["slots"][0]["product"]["priceText"] == "$24.00"
    assert props["slots"][0]["product"]["source"] == "catalog"


def test_wardrobe_lists_and_planned_looks_render_as_cards_and_boards():
    listed = render_artifact(
        {"kind": "wardrobe", "mode": "list", "title": "Your wardrobe", "items": [owned()]}
    )
    [(name, props)] = listed.elements
    assert name == "ProductCards" and props["products"][0]["corrected"] == ["baseColour"]
    empty = render_artifact(
        {"kind": "wardrobe", "mode": "list", "title": "Your wardrobe", "items": []}
    )
    assert empty.elements == [] and "nothing there yet" in empty.markdown
    looks = render_artifact(
        {
            "kind": "outfits",
            "outfits": [
                {
                    "anchor": {"description": f"your top {n}"},
                    "slots": [
                        {"slot": "bottom", "product": owned(), "reason": "r", "source": "wardrobe"}
                    ],
                }
                for n in (1, 2)
            ],
        }
    )
    assert [p["title"] for _n, p in looks.elements] == [
        "Look 1: around your top 1",
        "Look 2: around your top 2",
    ]


def test_the_save_button_comes_with_tagged_photos_of_signed_in_chats_only():
    tags = {"kind": "tags", "photo_id": PHOTO, "attributes": {}}
    assert save_actions([tags], None) == []
    [action] = save_actions([tags, {"kind": "products"}], "alice")
    assert action.payload == {"photo_id": PHOTO} and action.label == "Save to wardrobe"


def test_the_save_button_refuses_photos_of_other_chats(isolated_settings):
    text, artifact = save_clicked(PHOTO, "alice", chat_photo_ids=["c" * 64])
    assert (text, artifact) == (NOT_YOUR_PHOTO, None)
    text, artifact = save_clicked(PHOTO, None, chat_photo_ids=[PHOTO])
    assert "Sign in" in text and artifact is None


def page_client(user_id):
    app = FastAPI()
    mount_wardrobe_page(app)
    app.dependency_overrides[get_current_user] = lambda: SimpleNamespace(id=user_id)
    return TestClient(app)


def test_the_wardrobe_page_lists_only_the_signed_in_owners_items(isolated_settings):
    Wardrobe(isolated_settings, "alice").save([PHOTO], ATTRS, name="alice's jeans")
    Wardrobe(isolated_settings, "bob").save(
        ["d" * 64], {**ATTRS, "baseColour": "Red"}, name="bob's jeans"
    )

    alice_page = page_client("alice").get(WARDROBE_ROUTE)
    assert alice_page.status_code == 200
    assert "alice&#39;s jeans" in alice_page.text and "bob" not in alice_page.text
    assert photo_url(PHOTO) in alice_page.text
    bob_page = page_client("bob").get(WARDROBE_ROUTE)
    assert "bob&#39;s jeans" in bob_page.text and "alice" not in bob_page.text
    assert page_client(None).get(WARDROBE_ROUTE).status_code == 401
