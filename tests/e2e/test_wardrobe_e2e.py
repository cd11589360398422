"""The wardrobe in the real app: log in, save two garment photos (one with the tag card's
"Save to wardrobe" button, one in chat with a corrected tag), then in a new chat ask for an
outfit around the first — the second is in it, marked as yours, and a catalog piece fills a
slot the wardrobe cannot, marked to buy with its price. The wardrobe page lists both; another
person's page and outfits show none of them.

The pair of photos is chosen by what the app's own tagger says about them (run here through
the same code path on the same installation), so that the two can be worn together.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness import ChainlitServer, ChatPage, add_account, demo_world_env
from support.demo_world import copy_demo_world

ADA = ("ada", "ada-wardrobe-pw-1")
BOB = ("bob", "bob-wardrobe-pw-1")


@pytest.fixture
def install(demo_world, tmp_path, request, monkeypatch):
    """A copy of the demo installation (the wardrobe writes to its database and Chroma)."""
    from stylist.settings import get_settings

    data_dir = copy_demo_world(demo_world, tmp_path / "data")
    env = demo_world_env(request.config)
    monkeypatch.setenv("STYLIST_DATA_DIR", str(data_dir))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield data_dir, env
    get_settings.cache_clear()


def wearable_pair(data_dir: Path) -> tuple[dict, dict]:
    """(top, bottom): catalog photos the tagger reads as a top and a bottom that go together,
    with catalog shoes that go with the top (the slot the wardrobe will not fill)."""
    from stylist.catalog.store import get_catalog
    from stylist.tools.artifacts import top_labels
    from stylist.tools.photo_tools import predict_tags
    from stylist.tools.photos import accept_photo
    from stylist.vectorstore.outfit import compatible, garment_kind

    items = get_catalog().items

    def read(kinds: tuple[str, ...], limit: int) -> list[dict]:
        rows = items[items["subCategory"].isin(kinds)].head(limit)
        out = []
        for _, row in rows.iterrows():
            photo = Path(row["image"])
            tags = top_labels(predict_tags(accept_photo(photo.read_bytes())))
            out.append({"path": photo, "tags": tags})
        return out

    shoes = [r.to_dict() for _, r in items[items["masterCategory"] == "Footwear"].iterrows()]
    for top in read(("Topwear",), 12):
        if garment_kind(top["tags"]) != "top":
            continue
        if not any(compatible(top["tags"], s, "footwear") for s in shoes):
            continue
        for bottom in read(("Bottomwear",), 12):
            if garment_kind(bottom["tags"]) == "bottom" and compatible(
                top["tags"], bottom["tags"], "bottom"
            ):
                return top, bottom
    pytest.skip("the tagger reads no top and bottom of this demo catalog as a wearable pair")


def another_colour(colour: str) -> str:
    return "Black" if colour != "Black" else "White"


def cards(chat: ChatPage) -> list[dict]:
    return chat.product_cards()


def test_save_two_garments_then_an_outfit_from_the_wardrobe_in_a_new_chat(install, new_context):
    data_dir, env = install
    for name, password in (ADA, BOB):
        add_account(data_dir, name, password, extra_env=env)
    top, bottom = wearable_pair(data_dir)
    server = ChainlitServer(data_dir, name="wardrobe", extra_env=env).start()
    try:
        context = new_context()
        ada = ChatPage(context.new_page(), server.url, "wardrobe-ada", login=ADA).open()

        # 1. A photo alone: its tag card comes with a "Save to wardrobe" button.
        ada.send("", photos=(top["path"],))
        assert ada.tags()["articleType"][0] == top["tags"]["articleType"]
        answers = ada.count_answers()
        ada.page.get_by_role("button", name="Save to wardrobe").first.click()
        text = ada.wait_for_answer(answers)
        assert "your wardrobe" in text.lower()
        [saved_top] = cards(ada)
        assert saved_top["source"] == "wardrobe"
        top_name = ada.last_answer().locator('[data-testid="product-name"]').inner_text()
        ada.screenshot("saved-with-the-button")

        # 2. A second photo saved in chat, then one tag corrected.
        ada.send("save this to my wardrobe", photos=(bottom["path"],))
        [saved_bottom] = cards(ada)
        assert saved_bottom["source"] == "wardrobe"
        colour = another_colour(bottom["tags"]["baseColour"])
        ada.send(f"the colour is actually {colour.lower()}")
        [corrected] = cards(ada)
        assert corrected["itemId"] == saved_bottom["itemId"]
        assert corrected["basecolour"] == colour
        ada.screenshot("tag-corrected")

        # 3. A new chat: an outfit around the first piece, from the wardrobe.
        fresh = ChatPage(context.new_page(), server.url, "wardrobe-new-chat", login=ADA).open()
        answer = fresh.send(f"what can I wear with my {top_name.lower()}?")
        board = fresh.last_answer().locator('[data-testid="outfit-slot"]')
        board.first.wait_for()
        slots = [
            board.nth(i).evaluate("e => Object.assign({}, e.dataset)") for i in range(board.count())
        ]
        prices = [
            board.nth(i).locator('[data-testid="slot-price"]').inner_text()
            for i in range(board.count())
        ]
        fresh.screenshot("outfit-from-the-wardrobe")
        mine = [s for s in slots if s["source"] == "wardrobe"]
        assert [s["itemId"] for s in mine] == [saved_bottom["itemId"]], (slots, answer)
        assert mine[0]["slot"] == "bottom"
        bought = [(s, p) for s, p in zip(slots, prices, strict=True) if s["source"] == "to_buy"]
        assert bought, slots
        assert all(re.fullmatch(r"to buy · \$\d[\d,]*\.\d\d", p.strip()) for _s, p in bought)
        assert "yours" in answer.lower() and "to buy" in answer.lower()

        # 4. The wardrobe page lists both, with the corrected tag.
        fresh.page.goto(f"{server.url}/wardrobe")
        listed = fresh.page.locator('[data-testid="wardrobe-item"]')
        assert sorted(
            listed.nth(i).get_attribute("data-item-id") for i in range(listed.count())
        ) == sorted([saved_top["itemId"], saved_bottom["itemId"]])
        row = fresh.page.locator(
            f'[data-testid="wardrobe-item"][data-item-id="{saved_bottom["itemId"]}"]'
        )
        assert row.get_attribute("data-basecolour") == colour
        fresh.screenshot("wardrobe-page")

        # 5. Another person: an empty wardrobe page, and an outfit from the catalog only.
        bob = ChatPage(new_context().new_page(), server.url, "wardrobe-bob", login=BOB).open()
        bob_answer = bob.send(f"what can I wear with my {top_name.lower()}?")
        assert "your wardrobe is empty" in bob_answer.lower()
        bob.send("what goes with this?", photos=(top["path"],))
        board = bob.last_answer().locator('[data-testid="outfit-slot"]')
        board.first.wait_for()
        assert {board.nth(i).get_attribute("data-source") for i in range(board.count())} == {
            "catalog"
        }
        bob.page.goto(f"{server.url}/wardrobe")
        assert bob.page.locator('[data-testid="wardrobe-item"]').count() == 0
        assert "Nothing saved yet" in bob.page.content()
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()
