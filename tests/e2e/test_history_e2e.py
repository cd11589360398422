"""Accounts and chat history in the real app: log in, chat with a photo, come back to it.

Each test has its own copy of the demo installation (made like the previous release's data dir:
catalog, models and index, no app database), so the first command creates the database.
- SQLite (the default): the server is restarted between sending the photo and reopening the
  thread, so messages, elements and the stylist's memory all come from disk.
- PostgreSQL (a server of the test run's own) and a Chroma server: two app processes on
  different ports; the chat started on one resumes on the other.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from harness import ARTIFACTS, ChainlitServer, ChatPage, add_account, free_port, server_env
from support.demo_world import copy_demo_world

ADA = ("ada", "ada-password-1")
API_KEY = "sk-e2e-9c1f0a7d3b5e8f2a4c6d0b1e7f3a9c5d"
BOB = ("bob", "bob-password-1")


def fresh_install(demo_world, root: Path) -> Path:
    """A copy of the demo installation without any chat state (as the previous release left it)."""
    return copy_demo_world(demo_world, root / "data", "demo-*")


@pytest.fixture
def install(demo_world, tmp_path, request):
    from harness import demo_world_env

    return fresh_install(demo_world, tmp_path), demo_world_env(request.config)


class ChromaServer:
    """`chroma run` on a copy of the installation's index (the embedded store's folder)."""

    def __init__(self, store: Path, log: Path):
        self.store, self.log = store, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self, timeout: float = 60.0) -> ChromaServer:
        chroma = Path(sys.executable).parent / "chroma"
        command = [str(chroma), "run", "--path", str(self.store), "--host", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the Chroma server did not start; see {self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


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


def rate_answer_down(chat: ChatPage, answer, comment: str) -> None:
    """Chainlit's thumbs down under an answer, with a comment if it asks for one."""
    page = chat.page
    answer.hover()
    page.locator(".negative-feedback-off").first.click()
    dialog = page.locator('[role="dialog"] textarea')
    if dialog.count() or dialog.first.is_visible(timeout=3000):
        dialog.first.fill(comment)
        page.locator('[role="dialog"] button[type="submit"], [role="dialog"] button').filter(
            has_text="Submit"
        ).first.click()
    page.locator(".negative-feedback-on").first.wait_for(timeout=30_000)


def choose_settings(chat: ChatPage, model: str, key: str) -> None:
    """This chat's settings: the offline stylist, a model name and an API key."""
    page = chat.page
    page.click("#chat-settings-open-modal")
    page.click("#provider")
    page.get_by_role("option", name="Offline stylist (no network)").click()
    page.fill("#model", model)
    page.fill("#api_key", key)
    before = chat.count_answers()
    page.click("#confirm")
    assert "Settings saved" in chat.wait_for_answer(before)


def send_photo(server, new_context, photo: Path, name: str):
    """Ada's first chat: a photo alone. Returns (thread id, tags shown, card ids shown)."""
    ada = ChatPage(new_context().new_page(), server.url, name, login=ADA).open()
    ada.send("", photos=(photo,))  # a photo alone: tags and similar products
    tags, cards = ada.tags(), [c["itemId"] for c in ada.product_cards()]
    # The answer's thumbs work at once in this new chat, not only once it is reopened.
    ada.last_answer().hover()
    ada.page.wait_for_function(
        "() => [...document.querySelectorAll('.negative-feedback-off')].some(b => !b.disabled)",
        timeout=30_000,
    )
    ada.screenshot("photo-sent")
    choose_settings(ada, model="my-own-model", key=API_KEY)
    ada.page.reload()  # reload: the chat is in the sidebar
    ada.page.wait_for_selector("#chat-input", timeout=60_000)
    threads = sidebar_threads(ada)
    assert list(threads.values()) == ["Photo chat"], threads  # readable without any text
    (thread_id,) = threads
    return thread_id, tags, cards


def resume_and_ask(server, new_context, thread_id: str, tags, cards, name: str) -> str:
    """Ada reopens the thread from the sidebar: all of it is there, and the stylist remembers
    the photo. Returns the photo's URL path."""
    ada = ChatPage(new_context().new_page(), server.url, name, login=ADA).open()
    threads = sidebar_threads(ada)
    assert threads.get(thread_id) == "Photo chat", threads
    ada.page.click(f'#thread-history a[href$="/thread/{thread_id}"]')
    ada.page.wait_for_selector('[data-step-type="assistant_message"]', timeout=60_000)
    ada.page.wait_for_selector("#chat-settings-open-modal", timeout=60_000)
    ada.screenshot("resumed")

    # The chat's settings are back, without the API key.
    ada.page.click("#chat-settings-open-modal")
    assert ada.page.input_value("#model") == "my-own-model"
    assert ada.page.input_value("#api_key") == ""
    ada.page.keyboard.press("Escape")
    # Thumbs down on the resumed answer (kept with the thread; exported below).
    rate_answer_down(ada, ada.assistant_messages().first, "too many caps")

    # The photo is back, served from the image store to its owner ...
    image = ada.page.locator('img[src*="/stylist/photos/"]').first
    image.wait_for(timeout=30_000)
    ada.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    photo_path = image.get_attribute("src").split("://", 1)[-1]
    photo_path = photo_path[photo_path.index("/stylist/photos/") :]
    assert fetch(ada, photo_path)[0] == 200
    # ... and the tags and the product cards.
    first_answer = ada.assistant_messages().first
    assert ada.tags(first_answer) == tags
    assert [c["itemId"] for c in ada.product_cards(first_answer)] == cards

    # The stylist remembers the photo: an outfit around it, not "attach a photo first".
    answer = ada.send("What goes with the photo I sent earlier?")
    ada.screenshot("follow-up")
    assert "attach" not in answer.lower()
    slots = ada.last_answer().locator('[data-testid="outfit-slot"]')
    slots.first.wait_for(timeout=30_000)
    assert slots.count() >= 1
    assert "photo 1" in ada.last_answer().inner_text().lower()
    return photo_path


def assert_no_trace_for_bob(server, new_context, thread_id: str, photo_path: str, name: str):
    bob = ChatPage(new_context().new_page(), server.url, name, login=BOB).open()
    assert sidebar_threads(bob) == {}
    assert fetch(bob, photo_path) == (404, "There is no such photo.")
    assert fetch(bob, f"/project/thread/{thread_id}") == (401, "Unauthorized")
    bob.page.goto(f"{server.url}/thread/{thread_id}")
    bob.page.wait_for_timeout(3000)
    bob.screenshot("someone-elses-thread")
    assert bob.page.get_by_text("Photo chat").count() == 0
    assert bob.page.locator('[data-testid="tag-row"]').count() == 0
    assert bob.page.locator('img[src*="/stylist/photos/"]').count() == 0


def test_a_photo_chat_resumes_after_a_restart_and_stays_private(install, catalog, new_context):
    data_dir, env = install
    for name, password in (ADA, BOB):
        add_account(data_dir, name, password, extra_env=env)
    assert (data_dir / "app.sqlite").is_file()  # made by the first command on this data dir
    photo = Path(catalog.items.iloc[3]["image"])

    server = ChainlitServer(data_dir, name="history-1", extra_env=env).start()
    try:
        thread_id, tags, cards = send_photo(server, new_context, photo, "history-ada")
        assert int(cards[0]) == int(catalog.items.iloc[3]["id"])
    finally:
        server.stop()

    # Restart: a new process on the same data dir.
    server = ChainlitServer(data_dir, name="history-2", extra_env=env).start()
    try:
        photo_path = resume_and_ask(server, new_context, thread_id, tags, cards, "history-back")
        assert_no_trace_for_bob(server, new_context, thread_id, photo_path, "history-bob")
        assert "Traceback" not in server.log_text()
    finally:
        server.stop()

    # The rating is exported; the API key typed in the settings is in no file of the install.
    exported = subprocess.run(
        [sys.executable, "-m", "stylist.cli", "feedback", "export"],
        env=server_env(data_dir, env),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (rating,) = [json.loads(line) for line in exported.splitlines()]
    assert rating["user"] == "ada" and rating["rating"] == "down"
    assert rating["thread_id"] == thread_id and rating["comment"] in ("too many caps", "")
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path

    # The install kept its catalog, models and index (the previous release's data dir).
    for part in ("catalog/items.csv", "models/encoder", "models/attribute-heads.pt", "chroma"):
        assert (data_dir / part).exists(), part


def test_two_app_processes_on_postgresql_and_a_chroma_server_share_the_chats(
    install, catalog, new_context, postgres_url
):
    data_dir, env = install
    # The index moves out of the data dir into a Chroma server of its own.
    store = shutil.move(data_dir / "chroma", data_dir.parent / "chroma-server")
    chroma = ChromaServer(Path(store), ARTIFACTS / "chroma-server.log").start()
    env = {
        **env,
        "STYLIST_DATABASE_URL": postgres_url,
        "STYLIST_CHROMA_URL": chroma.url,
        # Processes on separate machines share the cookie key through the environment.
        "CHAINLIT_AUTH_SECRET": "e2e-shared-secret-" + "k" * 40,
    }
    for name, password in (ADA, BOB):
        add_account(data_dir, name, password, extra_env=env)
    assert not (data_dir / "app.sqlite").exists()  # everything is in PostgreSQL
    photo = Path(catalog.items.iloc[5]["image"])
    one = ChainlitServer(data_dir, name="history-pg-1", extra_env=env).start()
    two = ChainlitServer(data_dir, name="history-pg-2", extra_env=env).start()
    try:
        thread_id, tags, cards = send_photo(one, new_context, photo, "pg-ada-on-one")
        assert int(cards[0]) == int(catalog.items.iloc[5]["id"])
        photo_path = resume_and_ask(two, new_context, thread_id, tags, cards, "pg-ada-on-two")
        assert_no_trace_for_bob(one, new_context, thread_id, photo_path, "pg-bob-on-one")
        for server in (one, two):
            assert "Traceback" not in server.log_text()
    finally:
        one.stop()
        two.stop()
        chroma.stop()
    assert not (data_dir / "memory").exists()  # the agent's memory was in PostgreSQL too
