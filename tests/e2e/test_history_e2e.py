"""Accounts and chat history in the real app: log in, chat with a photo, come back to it.

Its own copy of the demo installation (made like the previous release's data dir: catalog,
models and index, no app database), so the server creates the database on first start. The
server is restarted between sending the photo and reopening the thread, so the messages,
elements and the stylist's memory all come from disk.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from harness import ChainlitServer, ChatPage, add_account

ADA = ("ada", "ada-password-1")
BOB = ("bob", "bob-password-1")


@pytest.fixture(scope="module")
def install(demo_world, tmp_path_factory, request):
    from conftest import demo_world_env

    data_dir = tmp_path_factory.mktemp("history") / "data"
    shutil.copytree(demo_world, data_dir, ignore=shutil.ignore_patterns("app.sqlite*", "memory"))
    for leftover in ("app.sqlite", "auth-secret", "memory", "uploads"):
        path = data_dir / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    env = demo_world_env(request.config)
    return data_dir, env


@pytest.fixture(scope="module")
def catalog(demo_world):
    from stylist.catalog.store import Catalog
    from stylist.settings import StyleSettings

    return Catalog.load(StyleSettings(data_dir=demo_world))


def sidebar_threads(chat: ChatPage) -> dict[str, str]:
    """Thread id → title, as the sidebar lists them."""
    page = chat.page
    if not page.locator("#thread-history").count():
        page.click("#sidebar-trigger-button")
    page.wait_for_selector("#thread-history", timeout=30_000)
    page.wait_for_timeout(1000)  # the list is fetched after the sidebar mounts
    links = page.locator('#thread-history a[href*="/thread/"]')
    return {
        links.nth(i).get_attribute("href").rsplit("/", 1)[-1]: links.nth(i).inner_text().strip()
        for i in range(links.count())
    }


def fetch(chat: ChatPage, path: str):
    """A GET with this browser's cookies: (status, parsed JSON detail or body bytes)."""
    response = chat.page.request.get(chat.url + path)
    body = response.body()
    try:
        return response.status, json.loads(body).get("detail")
    except (ValueError, AttributeError):
        return response.status, body


def test_a_photo_chat_resumes_after_a_restart_and_stays_private(install, catalog, new_context):
    data_dir, env = install
    for name, password in (ADA, BOB):
        add_account(data_dir, name, password, extra_env=env)
    assert (data_dir / "app.sqlite").is_file()  # made by the first command on this data dir
    photo = Path(catalog.items.iloc[3]["image"])
    item_id = int(catalog.items.iloc[3]["id"])

    # --- first half: log in, chat with a photo ---------------------------------------------
    server = ChainlitServer(data_dir, name="history-1", extra_env=env).start()
    try:
        ada = ChatPage(new_context().new_page(), server.url, "history-ada", login=ADA).open()
        ada.send("", photos=(photo,))  # a photo alone: tags and similar products
        tags_before = ada.tags()
        cards_before = [c["itemId"] for c in ada.product_cards()]
        assert int(cards_before[0]) == item_id
        ada.screenshot("photo-sent")
        ada.page.reload()  # reload: the chat is in the sidebar
        ada.page.wait_for_selector("#chat-input", timeout=60_000)
        threads = sidebar_threads(ada)
        assert list(threads.values()) == ["Photo chat"], threads  # readable without any text
        (thread_id,) = threads
    finally:
        server.stop()

    # --- restart: a new process on the same data dir --------------------------------------
    server = ChainlitServer(data_dir, name="history-2", extra_env=env).start()
    try:
        ada = ChatPage(new_context().new_page(), server.url, "history-ada-back", login=ADA).open()
        threads = sidebar_threads(ada)
        assert threads.get(thread_id) == "Photo chat", threads
        ada.page.click(f'#thread-history a[href$="/thread/{thread_id}"]')
        ada.page.wait_for_selector('[data-step-type="assistant_message"]', timeout=60_000)
        ada.page.wait_for_selector("#chat-settings-open-modal", timeout=60_000)
        ada.screenshot("resumed")

        # The photo is back, served from the image store to its owner.
        image = ada.page.locator('img[src*="/stylist/photos/"]').first
        image.wait_for(timeout=30_000)
        ada.page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
        photo_path = image.get_attribute("src").split("://", 1)[-1]
        photo_path = photo_path[photo_path.index("/stylist/photos/") :]
        # ... and the tags and the product cards.
        first_answer = ada.assistant_messages().first
        assert ada.tags(first_answer) == tags_before
        assert [c["itemId"] for c in ada.product_cards(first_answer)] == cards_before

        # The stylist remembers the photo: an outfit around it, not "attach a photo first".
        answer = ada.send("What goes with the photo I sent earlier?")
        ada.screenshot("follow-up")
        assert "attach" not in answer.lower()
        slots = ada.last_answer().locator('[data-testid="outfit-slot"]')
        slots.first.wait_for(timeout=30_000)
        assert slots.count() >= 1

        # --- a second account sees no trace of it -----------------------------------------
        bob = ChatPage(new_context().new_page(), server.url, "history-bob", login=BOB).open()
        assert sidebar_threads(bob) == {}
        assert fetch(bob, photo_path) == (404, "There is no such photo.")
        assert fetch(bob, f"/project/thread/{thread_id}") == (401, "Unauthorized")
        assert fetch(ada, photo_path)[0] == 200
        bob.page.goto(f"{server.url}/thread/{thread_id}")
        bob.page.wait_for_timeout(3000)
        bob.screenshot("someone-elses-thread")
        assert bob.page.get_by_text("Photo chat").count() == 0
        assert bob.page.locator('[data-testid="tag-row"]').count() == 0
        assert bob.page.locator('img[src*="/stylist/photos/"]').count() == 0
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()

    # The install kept its catalog, models and index (the previous release's data dir).
    for part in ("catalog/items.csv", "models", "chroma"):
        assert (data_dir / part).exists(), part
