"""The chat history data layer and the owner-checked routes, without a browser.

Every test runs twice: on the default SQLite database in the data dir, and on a PostgreSQL
server (STYLIST_DATABASE_URL; the agent's memory then lives there too). One FastAPI app with the
project's access routes and Chainlit's auth, one event loop (the TestClient's portal) for the
data layer and the requests, two users.
"""

from __future__ import annotations

import io
import uuid

import chainlit as cl
import chainlit.data as chainlit_data
import pytest
from chainlit.auth import create_jwt
from chainlit.config import config as chainlit_config
from chainlit.context import init_http_context
from chainlit.types import Feedback, Pagination, ThreadFilter
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from stylist.accounts.database import open_app_database
from stylist.accounts.feedback import feedback_records
from stylist.agent import StylistSession
from stylist.images import get_image_store
from stylist.ui.access import mount_access_routes
from stylist.ui.history import RemovedAccount, StylistDataLayer, photo_url

API_KEY = "sk-test-4f9d2c0b7e1a6f3d8c5b2a9e0f1d7c4b"


def png_bytes(colour=(20, 120, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 56), colour).save(buffer, "PNG")
    return buffer.getvalue()


def step(thread_id: str, kind: str, text: str, created: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "threadId": thread_id,
        "name": "Stylist" if kind == "assistant_message" else "ada",
        "type": kind,
        "output": text,
        "streaming": False,
        "metadata": {},
        "createdAt": created,
        "start": created,
        "end": created,
    }


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, isolated_settings, monkeypatch):
    from stylist.settings import get_settings

    if request.param == "postgresql":
        monkeypatch.setenv("STYLIST_DATABASE_URL", request.getfixturevalue("postgres_url"))
        get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def world(backend, monkeypatch):
    """The app, a data layer on the test's database, and a signed-in cookie per user."""
    isolated_settings = backend
    monkeypatch.setenv("CHAINLIT_AUTH_SECRET", "test-secret-" + "x" * 40)
    monkeypatch.setattr(chainlit_config.code, "password_auth_callback", lambda u, p: None)
    app = FastAPI()
    mount_access_routes(app)
    with TestClient(app) as client:

        async def setup():
            engine = await open_app_database(isolated_settings)
            await engine.dispose()
            layer = StylistDataLayer(isolated_settings)
            ada = await layer.create_user(cl.User(identifier="ada"))
            bob = await layer.create_user(cl.User(identifier="bob"))
            return layer, ada, bob

        layer, ada, bob = client.portal.call(setup)
        monkeypatch.setattr(chainlit_data, "_data_layer", layer)
        monkeypatch.setattr(chainlit_data, "_data_layer_initialized", True)
        cookies = {
            user.identifier: {"access_token": create_jwt(cl.User(identifier=user.identifier))}
            for user in (ada, bob)
        }
        yield client, layer, ada, bob, cookies
        client.portal.call(layer.close)


def make_photo_thread(client, layer, user, text=""):
    """A thread like the chat writes it: a message with a photo, an answer with cards."""
    thread_id = str(uuid.uuid4())

    async def write():
        init_http_context(thread_id=thread_id)
        await layer.update_thread(
            thread_id,
            name=text,
            user_id=user.id,
            tags=["Stylist"],
            metadata={
                "chat_settings": {"provider": "openai", "model": "gpt-x", "api_key": API_KEY},
                "overrides": {"provider": "openai", "api_key": API_KEY},
            },
        )
        question = step(thread_id, "user_message", text, "2026-12-01T10:00:00Z")
        answer = step(thread_id, "assistant_message", "Here is what I see.", "2026-12-01T10:00:05Z")
        await layer.create_step(question)
        await layer.create_step(answer)
        photo = cl.Image(content=png_bytes(), name="shirt.png", mime="image/png")
        photo.thread_id, photo.for_id = thread_id, question["id"]
        await layer.create_element(photo)
        cards = cl.CustomElement(name="ProductCards", props={"products": [{"id": 7}]})
        cards.thread_id, cards.for_id = thread_id, answer["id"]
        await layer.create_element(cards)
        return await layer.get_thread(thread_id), question, answer

    return client.portal.call(write)


def test_a_thread_comes_back_with_its_photo_cards_title_and_tags(world):
    client, layer, ada, bob, cookies = world
    thread, _, _ = make_photo_thread(client, layer, ada)
    assert thread["name"] == "Photo chat"  # a photo alone still gets a readable title
    assert thread["tags"] == ["Stylist"]
    by_type = {e["type"]: e for e in thread["elements"]}
    image_id = by_type["image"]["objectKey"]
    assert by_type["image"]["url"] == photo_url(image_id)
    assert image_id in get_image_store()
    assert by_type["custom"]["props"] == {"products": [{"id": 7}]}  # an object, as JSX needs

    # The owner fetches the photo; it is the bytes that were sent.
    response = client.get(photo_url(image_id), cookies=cookies["ada"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content == get_image_store().path(image_id).read_bytes()


def test_another_user_gets_a_refusal_not_data(world):
    client, layer, ada, bob, cookies = world
    thread, _, _ = make_photo_thread(client, layer, ada, "a navy shirt")
    image_id = next(e["objectKey"] for e in thread["elements"] if e["type"] == "image")

    def threads_of(user):
        page = client.portal.call(
            layer.list_threads, Pagination(first=20), ThreadFilter(userId=user.id)
        )
        return [t["id"] for t in page.data]

    assert threads_of(ada) == [thread["id"]] and threads_of(bob) == []
    assert client.portal.call(layer.get_thread_author, thread["id"]) == "ada"
    assert client.portal.call(layer.get_thread_author, "no-such-thread") == ""

    refusals = {
        "bob's cookie": client.get(photo_url(image_id), cookies=cookies["bob"]),
        "no cookie": client.get(photo_url(image_id)),
        "forged cookie": client.get(photo_url(image_id), cookies={"access_token": "e30.e30.x"}),
        "path traversal": client.get(
            "/stylist/photos/..%2F..%2Fauth-secret", cookies=cookies["ada"]
        ),
        "element id": client.get(photo_url(thread["elements"][0]["id"]), cookies=cookies["ada"]),
    }
    for what, response in refusals.items():
        assert response.status_code in (401, 404), what
        detail = response.json()["detail"]
        assert detail in (
            "There is no such photo.",
            "Please log in to see this.",
            "Invalid authentication token",
        ), what
        assert "Traceback" not in response.text and image_id not in response.text

    # Catalog photos need a sign-in too.
    assert client.get("/stylist/catalog-image/1").status_code == 401
    signed_in = client.get("/stylist/catalog-image/1", cookies=cookies["bob"])
    assert signed_in.status_code != 401


def every_stored_text(layer, settings) -> list[str]:
    """Every file of the data dir and every row of every table of the app database."""
    from sqlalchemy import inspect, text

    texts = [p.read_bytes().decode("latin-1") for p in settings.data_dir.rglob("*") if p.is_file()]

    async def dump():
        async with layer.engine.connect() as conn:
            names = await conn.run_sync(lambda c: inspect(c).get_table_names())
            for name in names:
                rows = await conn.execute(text(f'SELECT * FROM "{name}"'))
                texts.extend(repr(tuple(row)) for row in rows)
        return names

    return texts, dump


def test_the_api_key_is_stored_nowhere(world, backend):
    client, layer, ada, bob, cookies = world
    thread, _, _ = make_photo_thread(client, layer, ada, "hello")
    metadata = thread["metadata"]
    assert "gpt-x" in metadata and API_KEY not in metadata  # settings kept, key dropped
    # A turn of the agent with the key in this chat's settings: its memory keeps no key either.
    session = StylistSession(thread_id=thread["id"])
    overrides = {"provider": "offline", "api_key": API_KEY}
    assert client.portal.call(session.acollect_turn, "hello", (), overrides).error is None
    client.portal.call(session.aclose)

    texts, dump = every_stored_text(layer, backend)
    tables = client.portal.call(dump)
    assert {"threads", "steps", "elements", "users", "stylist_accounts"} <= set(tables)
    if backend.postgres_url:  # the agent's checkpoints are tables of the same database
        assert "checkpoints" in tables
    else:
        assert any(p.name == "checkpoints.sqlite" for p in backend.data_dir.rglob("*"))
    assert texts and not any(API_KEY in t for t in texts)


def test_feedback_is_kept_with_the_thread_and_exported(world):
    client, layer, ada, bob, cookies = world
    thread, question, answer = make_photo_thread(client, layer, ada, "what goes with this?")
    feedback = Feedback(forId=answer["id"], value=0, threadId=thread["id"], comment="too formal")
    client.portal.call(layer.upsert_feedback, feedback)
    again = client.portal.call(layer.get_thread, thread["id"])
    rated = next(s for s in again["steps"] if s["id"] == answer["id"])
    assert rated["feedback"]["value"] == 0 and rated["feedback"]["comment"] == "too formal"
    records = client.portal.call(feedback_records, layer.engine)
    assert records == [
        {
            "feedback_id": feedback.id,
            "value": 0,
            "rating": "down",
            "comment": "too formal",
            "user": "ada",
            "thread_id": thread["id"],
            "thread_name": "what goes with this?",
            "message_id": answer["id"],
            "question": "what goes with this?",
            "answer": "Here is what I see.",
            "answered_at": "2026-12-01T10:00:05Z",
        }
    ]


def test_deleting_a_thread_deletes_its_photo_and_the_agent_memory(world):
    client, layer, ada, bob, cookies = world
    thread, _, _ = make_photo_thread(client, layer, ada, "hello")
    image_id = next(e["objectKey"] for e in thread["elements"] if e["type"] == "image")
    session = StylistSession(thread_id=thread["id"])

    async def remembered():
        graph = await session.agent.graph()
        state = await graph.aget_state(session.config)
        return bool(state.values.get("messages"))

    result = client.portal.call(session.acollect_turn, "hello")
    assert result.error is None and client.portal.call(remembered)

    client.portal.call(layer.delete_thread, thread["id"])
    assert client.portal.call(layer.get_thread, thread["id"]) is None
    assert image_id not in get_image_store()
    assert not client.portal.call(remembered)
    client.portal.call(session.aclose)


def test_a_removed_account_is_not_brought_back_by_its_old_cookie(world):
    client, layer, ada, bob, cookies = world
    from stylist.accounts.users import AccountStore

    password_user = cl.User(identifier="carol", metadata={"provider": "password"})
    with pytest.raises(RemovedAccount):  # no such account
        client.portal.call(layer.create_user, password_user)
    client.portal.call(AccountStore(layer.engine).add, "carol", "carol-password")
    assert client.portal.call(layer.create_user, password_user).identifier == "carol"
    client.portal.call(AccountStore(layer.engine).remove, "carol", None)
    assert client.portal.call(layer.get_user, "carol") is None
    with pytest.raises(RemovedAccount):
        client.portal.call(layer.create_user, password_user)
    # Users vouched for by a proxy header have no password account; they are created.
    header_user = cl.User(identifier="dave", metadata={"provider": "header"})
    assert client.portal.call(layer.create_user, header_user).identifier == "dave"


def test_a_removed_accounts_open_session_leaves_no_traceback_in_the_server_log(world):
    """The still-open browser of a removed account keeps sending its signed cookie: Chainlit's
    authentication lets it through as an unknown user (the chat then says the account no longer
    exists), and the server log gets one plain line, no traceback."""
    import logging

    from chainlit.auth import authenticate_user
    from chainlit.logger import logger as chainlit_logger
    from chainlit.user import PersistedUser

    from stylist.accounts.users import AccountStore
    from stylist.ui.history import make_data_layer

    client, layer, ada, bob, cookies = world
    client.portal.call(make_data_layer().close)  # the app's factory also quiets these records
    store = AccountStore(layer.engine)
    client.portal.call(store.add, "erin", "erin-password")
    erin = cl.User(identifier="erin", metadata={"provider": "password"})
    token = create_jwt(erin)
    assert isinstance(client.portal.call(authenticate_user, token), PersistedUser)
    client.portal.call(store.remove, "erin", None)

    log = io.StringIO()
    handler = logging.StreamHandler(log)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    chainlit_logger.addHandler(handler)
    try:
        user = client.portal.call(authenticate_user, token)
    finally:
        chainlit_logger.removeHandler(handler)
    assert user.identifier == "erin" and not isinstance(user, PersistedUser)
    text = log.getvalue()
    assert "Traceback" not in text and "Error" not in text, text
    assert "refused a session of a removed account" in text


def test_removing_a_user_removes_their_chats_photos_and_the_agents_memory(world):
    from typer.testing import CliRunner

    from stylist.cli import app as cli

    client, layer, ada, bob, cookies = world
    thread, _, _ = make_photo_thread(client, layer, ada, "hello")
    bobs, _, _ = make_photo_thread(client, layer, bob, "bob's chat")
    image_id = next(e["objectKey"] for e in thread["elements"] if e["type"] == "image")
    session = StylistSession(thread_id=thread["id"])
    assert client.portal.call(session.acollect_turn, "hello").error is None
    client.portal.call(session.aclose)

    result = CliRunner().invoke(cli, ["users", "remove", "ada", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Removed ada, 1 chat(s)" in result.output
    assert client.portal.call(layer.get_thread, thread["id"]) is None
    assert client.portal.call(layer.get_user, "ada") is None
    # The same bytes were sent by bob too: his copy stays, and so does his chat.
    assert image_id in get_image_store()
    assert client.portal.call(layer.get_thread, bobs["id"])["name"] == "bob's chat"

    async def remembered():
        graph = await session.agent.graph()
        state = await graph.aget_state(session.config)
        return bool(state.values.get("messages"))

    assert not client.portal.call(remembered)
    client.portal.call(session.aclose)

    assert CliRunner().invoke(cli, ["users", "remove", "bob", "--yes"]).exit_code == 0
    assert image_id not in get_image_store()  # its last owner is gone


def test_only_the_threads_owner_can_rate_its_answers(world):
    client, layer, ada, bob, cookies = world
    thread, _, answer = make_photo_thread(client, layer, ada, "rate me")
    rating = {"feedback": {"forId": answer["id"], "value": 1}, "sessionId": "no-session"}

    refused = client.put("/feedback", json=rating, cookies=cookies["bob"])
    assert refused.status_code == 404 and refused.json() == {"detail": "There is no such message."}
    assert client.put("/feedback", json=rating).status_code == 401
    assert client.portal.call(feedback_records, layer.engine) == []

    accepted = client.put("/feedback", json=rating, cookies=cookies["ada"])
    assert accepted.status_code == 200, accepted.text
    feedback_id = accepted.json()["feedbackId"]
    (record,) = client.portal.call(feedback_records, layer.engine)
    assert record["rating"] == "up" and record["thread_id"] == thread["id"]

    unrate = {"feedbackId": feedback_id}
    assert (
        client.request("DELETE", "/feedback", json=unrate, cookies=cookies["bob"]).status_code
        == 404
    )
    assert client.portal.call(feedback_records, layer.engine) != []
    gone = client.request("DELETE", "/feedback", json=unrate, cookies=cookies["ada"])
    assert gone.status_code == 200
    assert client.portal.call(feedback_records, layer.engine) == []
