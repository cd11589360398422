"""What a person sees in the chat: the real Chainlit app on the demo catalog, in headless Chromium.

One server for the module (offline stylist by default); each test opens its own chat(s).
Screenshots of every step land in test-artifacts/e2e/.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from harness import ARTIFACTS, ChatPage
from support.standin_llm import StandinLLM


@pytest.fixture(scope="module")
def catalog(demo_world):
    from stylist.catalog.store import Catalog
    from stylist.settings import StyleSettings

    return Catalog.load(StyleSettings(data_dir=demo_world))


def open_chat(new_context, server, name: str) -> ChatPage:
    return ChatPage(new_context().new_page(), server.url, name).open()


def photo_of(catalog, row: int) -> tuple[int, Path]:
    item = catalog.items.iloc[row]
    return int(item["id"]), Path(item["image"])


def test_welcome_screen_shows_starters_and_the_api_key_is_masked(chainlit_server, new_context):
    chat = open_chat(new_context, chainlit_server, "welcome")
    page = chat.page
    for starter in ("What goes with this?", "Find me a summer dress under 50", "Caption my photo"):
        assert page.get_by_text(starter).first.is_visible()
    assert page.get_by_text("I'm Stylist", exact=False).first.is_visible()
    chat.screenshot("welcome")
    page.click("#chat-settings-open-modal")
    page.wait_for_selector("#api_key")
    assert page.locator("#api_key").get_attribute("type") == "password"
    chat.screenshot("settings-panel")


def test_photo_after_a_first_message_shows_its_tags_and_product_cards(
    chainlit_server, new_context, catalog
):
    chat = open_chat(new_context, chainlit_server, "photo")
    hello = chat.send("Hello!")
    assert "offline stylist" in hello.lower()
    chat.screenshot("first-message")

    item_id, photo = photo_of(catalog, 0)
    chat.send("", photos=(photo,))
    chat.screenshot("photo-tags-and-cards")
    tags = chat.tags()
    for attribute in ("articleType", "baseColour"):
        label, confidence = tags[attribute]
        assert label in catalog.known_values(attribute) + ["Other"]
        assert 0.0 < confidence <= 1.0
    # The confidences are shown as text too (e.g. "83%").
    shown = chat.last_answer().locator('[data-testid="tag-confidence"]').all_inner_texts()
    assert len(shown) == 7 and all(text.strip().endswith("%") for text in shown)
    cards = chat.product_cards()
    assert cards, "no product cards for the photo"
    # The photo is a catalog photo, so the closest image in the index is that very item.
    assert int(cards[0]["itemId"]) == item_id
    first = chat.last_answer().locator('[data-testid="product-card"]').first
    assert first.locator("img").evaluate("img => img.complete && img.naturalWidth > 0")
    assert first.locator('[data-testid="product-price"]').inner_text().startswith("$")

    # The starters' follow-ups on the same photo: an outfit by slot, then a caption.
    chat.send("What goes with this?")
    chat.screenshot("outfit")
    slots = chat.last_answer().locator('[data-testid="outfit-slot"]')
    slots.first.wait_for()
    names = [slots.nth(i).get_attribute("data-slot") for i in range(slots.count())]
    assert names and len(set(names)) == len(names)
    assert all(slots.nth(i).locator("img").count() == 1 for i in range(slots.count()))

    caption = chat.send("Caption my photo")
    chat.screenshot("caption")
    assert "caption for photo 1" in caption


def _filtered_query(catalog):
    """A catalog group with several items, and a query naming its type, gender and a price."""
    from stylist.vectorstore import parse_query

    groups = catalog.items.groupby(["gender", "articleType"]).size().sort_values(ascending=False)
    for (gender, article_type), _count in groups.items():
        prices = catalog.items[
            (catalog.items["gender"] == gender) & (catalog.items["articleType"] == article_type)
        ]["price"]
        ceiling = math.ceil(float(prices.median()))
        text = f"find {article_type.lower()} for {gender.lower()} under {ceiling}"
        parsed = parse_query(text, catalog).filters
        if (parsed.gender, parsed.articleType, parsed.max_price) == (gender, article_type, ceiling):
            return text, gender, article_type, ceiling
    pytest.fail("no catalog group whose type and gender the query parser reads back")


def test_text_search_with_filters_shows_only_matching_cards(chainlit_server, new_context, catalog):
    text, gender, article_type, ceiling = _filtered_query(catalog)
    chat = open_chat(new_context, chainlit_server, "search")
    chat.send(text)
    chat.screenshot("filtered-search")
    cards = chat.product_cards()
    assert cards
    for card in cards:  # read off the rendered cards
        assert card["gender"] == gender
        assert card["articletype"] == article_type
        assert float(card["price"]) <= ceiling
    prices = chat.last_answer().locator('[data-testid="product-price"]').all_inner_texts()
    assert all(float(p.strip("$").replace(",", "")) <= ceiling for p in prices)


def _choose_provider(chat: ChatPage, label: str, base_url: str, model: str, key: str) -> str:
    page = chat.page
    page.click("#chat-settings-open-modal")
    page.click("#provider")
    page.get_by_role("option", name=label).click()
    page.fill("#model", model)
    page.fill("#api_key", key)
    page.fill("#base_url", base_url)
    chat.screenshot("settings-filled")
    before = chat.count_answers()
    page.click("#confirm")
    return chat.wait_for_answer(before)


def test_switching_to_a_local_openai_compatible_server_answers_from_it(
    chainlit_server, new_context
):
    secret = "sk-e2e-secret-4242"
    with StandinLLM() as llm:
        llm.script(
            [
                {"tool_calls": [{"name": "search_catalog", "args": {"query": "shirt"}}]},
                {"content": "Greetings from the stand-in stylist: the first shirt is a winner."},
                {"status": 401},
            ]
        )
        chat = open_chat(new_context, chainlit_server, "provider")
        confirmation = _choose_provider(
            chat, "OpenAI-compatible server", llm.base_url, "standin-model", secret
        )
        assert "OpenAI-compatible" in confirmation and secret not in confirmation

        answer = chat.send("Show me a shirt")
        chat.screenshot("standin-answer")
        assert "Greetings from the stand-in stylist" in answer
        assert chat.product_cards(), "the tool the stand-in asked for rendered no cards"
        assert chat.page.get_by_text("search_catalog").first.is_visible()  # the tool step
        assert [r["model"] for r in llm.requests] == ["standin-model", "standin-model"]

        rejected = chat.send("And another one?")
        chat.screenshot("standin-rejects-key")
        assert "401" in rejected and "key" in rejected.lower()
        assert "Traceback" not in rejected

        after = chat.send("Still there?")
        assert "Stand-in reply." in after  # the thread survived the failed turn
    assert secret not in chainlit_server.log_text()


def test_bad_uploads_get_a_sentence_and_the_chat_goes_on(
    chainlit_server, new_context, catalog, tmp_path
):
    chat = open_chat(new_context, chainlit_server, "bad-uploads")
    _, good = photo_of(catalog, 1)
    corrupt = tmp_path / "torn.jpg"
    corrupt.write_bytes(good.read_bytes()[:400])
    said = chat.send("", photos=(corrupt,))
    chat.screenshot("corrupt-image")
    assert "torn.jpg" in said and "corrupt" in said

    # A text file dressed up as a PNG passes the browser's type filter; the server refuses it.
    disguised = tmp_path / "notes.png"
    disguised.write_bytes(b"these are my shopping notes, not a photo")
    said = chat.send("", photos=(disguised,))
    chat.screenshot("disguised-non-image")
    assert "notes.png" in said and "not an image" in said

    # A plain non-image: Chainlit's accept filter (config.toml) refuses it in the browser, with
    # a notice naming the accepted types; nothing reaches the server.
    text_file = tmp_path / "notes.txt"
    text_file.write_text("shopping list")
    before = chat.count_answers()
    chat.page.set_input_files("#upload-button-input", str(text_file))
    notice = chat.page.get_by_text("File type must be", exact=False).first
    notice.wait_for()
    assert "image/jpeg" in notice.inner_text()
    chat.screenshot("plain-non-image")
    assert chat.count_answers() == before

    answer = chat.send("Hello again")
    chat.screenshot("chat-goes-on")
    assert "offline stylist" in answer.lower()


def test_two_people_chatting_at_once_never_see_each_others_photos(
    chainlit_server, new_context, catalog
):
    alice = open_chat(new_context, chainlit_server, "alice")
    bob = open_chat(new_context, chainlit_server, "bob")
    alice_item, alice_photo = photo_of(catalog, 2)
    bob_item, bob_photo = photo_of(catalog, len(catalog) - 1)
    assert alice_item != bob_item

    # Both send at the same time; each waits for its own answer.
    before = {"alice": alice.count_answers(), "bob": bob.count_answers()}
    for chat, photo in ((alice, alice_photo), (bob, bob_photo)):
        chat.attach(photo)
        chat.page.fill("#chat-input", "What is this? Show me similar items")
    alice.page.click("#chat-submit")
    bob.page.click("#chat-submit")

    # Playwright's sync API is not thread-safe: both pages are polled from this thread.
    alice.wait_for_answer(before["alice"])
    bob.wait_for_answer(before["bob"])
    alice.screenshot("own-photo")
    bob.screenshot("own-photo")

    alice_ids = {int(c["itemId"]) for c in alice.product_cards()}
    bob_ids = {int(c["itemId"]) for c in bob.product_cards()}
    assert int(alice.product_cards()[0]["itemId"]) == alice_item
    assert int(bob.product_cards()[0]["itemId"]) == bob_item
    assert bob_item not in alice_ids and alice_item not in bob_ids
    # Each page shows exactly one uploaded photo: its own.
    for chat in (alice, bob):
        assert chat.page.locator('[data-step-type="user_message"] img').count() == 1

    # A follow-up without a photo still refers to each person's own latest photo.
    alice.send("Show me more like this")
    bob.send("Show me more like this")
    assert int(alice.product_cards()[0]["itemId"]) == alice_item
    assert int(bob.product_cards()[0]["itemId"]) == bob_item
    assert any(ARTIFACTS.glob("alice-*.png")) and any(ARTIFACTS.glob("bob-*.png"))
