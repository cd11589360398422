"""Forget me: after it, nothing of the person is left in any store — the app database (account,
threads, steps, elements, feedback, photo ownership), the conversation memory, the style
profile, the wardrobe (its rows and its Chroma vectors) and the image store — and someone
else's data (even a photo both sent) is untouched.

Through both doors: the chat (asks to confirm, and only the person's own "yes" deletes) and
`stylist users forget NAME`. Each store is counted directly here, not with the code under test.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
import uuid

import chainlit as cl
import numpy as np
import pytest
from chainlit.context import init_http_context
from chainlit.types import Feedback
from PIL import Image
from sqlalchemy import func, or_, select
from typer.testing import CliRunner

from stylist.accounts.api_keys import ApiKeyStore
from stylist.accounts.database import open_app_database
from stylist.accounts.schema import (
    accounts,
    api_keys,
    elements,
    feedbacks,
    photo_owners,
    steps,
    threads,
    wardrobe_items,
    wardrobe_photos,
)
from stylist.accounts.schema import users as chainlit_users
from stylist.accounts.users import AccountStore
from stylist.agent import StylistSession
from stylist.cli import app
from stylist.images import get_image_store
from stylist.profile import get_profile_store
from stylist.ui.history import StylistDataLayer
from stylist.vectorstore.client import get_chroma_client
from stylist.wardrobe import Wardrobe

pytestmark = pytest.mark.slow
OFFLINE = {"provider": "offline"}


@pytest.fixture
def private_memory(use_demo_world, tmp_path, monkeypatch):
    """The demo catalog (the offline stylist reads messages against it), with this test's own
    app database and memory; the photos are random, so no other test shares their files."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_CHECKPOINT_DB", str(tmp_path / "memory" / "checkpoints.sqlite"))
    monkeypatch.setenv("STYLIST_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def random_png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 255, (48, 40, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    return buffer.getvalue()


def step(thread_id: str, kind: str, text: str) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "threadId": thread_id,
        "name": "Stylist" if kind == "assistant_message" else "person",
        "type": kind,
        "output": text,
        "streaming": False,
        "metadata": {},
        "createdAt": "2026-12-01T10:00:00Z",
    }


async def chat_history(layer, user, photos: list[bytes]) -> str:
    """A thread as the chat writes it: a message with photos, an answer, a thumbs up."""
    thread_id = str(uuid.uuid4())
    init_http_context(thread_id=thread_id)
    await layer.update_thread(thread_id, name="a chat", user_id=user.id)
    question, answer = (
        step(thread_id, "user_message", "hi"),
        step(thread_id, "assistant_message", "hello"),
    )
    await layer.create_step(question)
    await layer.create_step(answer)
    for n, data in enumerate(photos):
        photo = cl.Image(content=data, name=f"p{n}.png", mime="image/png")
        photo.thread_id, photo.for_id = thread_id, question["id"]
        await layer.create_element(photo)
    await layer.upsert_feedback(Feedback(forId=answer["id"], threadId=thread_id, value=1))
    return thread_id


async def app_rows(engine, name: str, user_id: str, thread_ids: list[str]) -> int:
    queries = [
        select(func.count()).select_from(accounts).where(accounts.c.identifier == name),
        select(func.count()).select_from(chainlit_users).where(chainlit_users.c.id == user_id),
        select(func.count())
        .select_from(threads)
        .where(or_(threads.c.userId == user_id, threads.c.id.in_(thread_ids))),
        select(func.count()).select_from(steps).where(steps.c.threadId.in_(thread_ids)),
        select(func.count()).select_from(elements).where(elements.c.threadId.in_(thread_ids)),
        select(func.count()).select_from(feedbacks).where(feedbacks.c.threadId.in_(thread_ids)),
        select(func.count()).select_from(photo_owners).where(photo_owners.c.user_id == user_id),
        select(func.count()).select_from(api_keys).where(api_keys.c.user_id == user_id),
    ]
    async with engine.connect() as conn:
        return sum([int((await conn.execute(q)).scalar()) for q in queries])


async def wardrobe_rows(engine, user_id: str) -> int:
    queries = [
        select(func.count()).select_from(table).where(table.c.user_id == user_id)
        for table in (wardrobe_items, wardrobe_photos)
    ]
    async with engine.connect() as conn:
        return sum([int((await conn.execute(q)).scalar()) for q in queries])


def checkpoint_rows(settings, thread_ids: list[str]) -> int:
    marks = ",".join("?" * len(thread_ids))
    with sqlite3.connect(settings.checkpoint_db) as conn:
        return sum(
            conn.execute(
                f"SELECT count(*) FROM {table} WHERE thread_id IN ({marks})", thread_ids
            ).fetchone()[0]
            for table in ("checkpoints", "writes")
        )


def wardrobe_vectors(settings, user_id: str) -> int:
    """Vectors in any Chroma collection whose metadata names this user (read without the
    wardrobe's own code, so a vector stored under another collection name still counts)."""
    client = get_chroma_client(settings)
    names = [getattr(c, "name", c) for c in client.list_collections()]
    return sum(
        len(client.get_collection(n).get(where={"user_id": user_id}, include=[])["ids"])
        for n in names
    )


def save_garment(settings, user_id: str, photo_id: str) -> None:
    """One wardrobe item with a vector, as the save tool stores it."""
    Wardrobe(settings, user_id).save(
        [photo_id],
        {"articleType": "Shirts", "baseColour": "Navy Blue"},
        name="my navy shirt",
        embed=lambda _image_id, _attributes: np.full(8, 0.5, np.float32),
        fingerprint="test-encoder",
    )


class World:
    """Two people, each with a chat history, a conversation memory, a profile and photos;
    one photo sent by both."""

    def __init__(self, settings):
        self.settings = settings

    async def build(self):
        engine = await open_app_database(self.settings)
        self.engine = engine
        accounts_store = AccountStore(engine)
        await accounts_store.add("ada", "a long enough password 1")
        await accounts_store.add("bob", "a long enough password 2")
        self.layer = StylistDataLayer(self.settings)
        self.ada = await self.layer.create_user(
            cl.User(identifier="ada", metadata={"provider": "password"})
        )
        self.bob = await self.layer.create_user(
            cl.User(identifier="bob", metadata={"provider": "password"})
        )
        shared = random_png(1)
        self.ada_only = get_image_store().put(random_png(2))  # id of the photo only ada sent
        self.shared = get_image_store().put(shared)
        self.ada_threads = [await chat_history(self.layer, self.ada, [random_png(2), shared])]
        self.bob_threads = [await chat_history(self.layer, self.bob, [shared])]
        for user, threads_of in ((self.ada, self.ada_threads), (self.bob, self.bob_threads)):
            session = StylistSession(thread_id=threads_of[0], user_id=user.id, overrides=OFFLINE)
            await session.acollect_turn("I never wear yellow")  # a profile fact and a checkpoint
        await asyncio.to_thread(save_garment, self.settings, self.ada.id, self.ada_only)
        await asyncio.to_thread(save_garment, self.settings, self.bob.id, self.shared)
        for user in (self.ada, self.bob):  # an API key acting for each (api-keys create --user)
            await ApiKeyStore(engine).create(f"{user.identifier}-script", user_id=user.id)
        return self

    async def counts(self, who: str) -> dict[str, int]:
        user, thread_ids = (
            (self.ada, self.ada_threads) if who == "ada" else (self.bob, self.bob_threads)
        )
        store = get_image_store()
        mine = [self.ada_only] if who == "ada" else []
        return {
            "app database": await app_rows(self.engine, who, user.id, thread_ids),
            "checkpoints": checkpoint_rows(self.settings, thread_ids),
            "profile": get_profile_store(self.settings).count(user.id),
            "photos only they sent": sum(store.path(i).is_file() for i in mine),
            "wardrobe rows": await wardrobe_rows(self.engine, user.id),
            "wardrobe vectors": wardrobe_vectors(self.settings, user.id),
        }

    async def close(self):
        await self.layer.close()
        await self.engine.dispose()


def test_forget_me_in_the_chat_asks_first_then_leaves_nothing(private_memory):
    async def scenario():
        world = await World(private_memory).build()
        try:
            before = await world.counts("ada")
            assert all(before.values()), before  # every store holds something of ada
            bob_before = await world.counts("bob")

            chat = StylistSession(user_id=world.ada.id, overrides=OFFLINE)
            await world.layer.update_thread(chat.thread_id, name="forget", user_id=world.ada.id)
            world.ada_threads.append(chat.thread_id)
            asked = await chat.acollect_turn("forget me")
            assert [name for name, _ in asked.tool_calls] == ["forget_me"]
            assert "Reply **yes** to confirm" in asked.text
            assert (await world.counts("ada"))["profile"] == before["profile"]  # nothing deleted

            # Something else than yes: nothing is deleted, and the question lapses.
            kept = await chat.acollect_turn("no, show me shirts")
            assert not any(e.kind == "forgotten" for e in kept.events)
            late_yes = await chat.acollect_turn("yes")
            assert not any(e.kind == "forgotten" for e in late_yes.events)
            assert (await world.counts("ada"))["profile"] == before["profile"]

            await chat.acollect_turn("delete my data")
            done = await chat.acollect_turn("yes")
            forgotten = [e for e in done.events if e.kind == "forgotten"]
            assert forgotten and "deleted everything" in done.text
            assert forgotten[0].artifact["remaining"] == {
                "wardrobe": 0,
                "app database": 0,
                "conversation memory": 0,
                "style profile": 0,
                "image store": 0,
            }
            assert forgotten[0].artifact["deleted"]["style profile"] == 1

            after = await world.counts("ada")
            assert after == {k: 0 for k in after}, after
            assert await world.counts("bob") == bob_before  # bob keeps everything...
            assert world.shared in get_image_store()  # ...including the photo both sent
        finally:
            await world.close()

    asyncio.run(scenario())


def test_the_model_alone_cannot_forget_anyone(private_memory):
    """A "yes" with no question asked before it is an ordinary message."""

    async def scenario():
        world = await World(private_memory).build()
        try:
            before = await world.counts("ada")
            chat = StylistSession(
                thread_id=world.ada_threads[0], user_id=world.ada.id, overrides=OFFLINE
            )
            result = await chat.acollect_turn("yes")
            assert not any(e.kind == "forgotten" for e in result.events)
            after = await world.counts("ada")
            assert {k: v for k, v in after.items() if k != "checkpoints"} == {
                k: v for k, v in before.items() if k != "checkpoints"
            }
        finally:
            await world.close()

    asyncio.run(scenario())


def test_stylist_users_forget_prints_what_each_store_held(private_memory):
    world = World(private_memory)

    async def build():
        await world.build()
        try:
            return await world.counts("bob")
        finally:
            await world.close()

    bob_before = asyncio.run(build())
    assert bob_before["app database"] and bob_before["checkpoints"] and bob_before["profile"]
    runner = CliRunner()
    refused = runner.invoke(app, ["users", "forget", "bob"], input="n\n")
    assert refused.exit_code != 0

    async def bob_counts():
        world.engine = await open_app_database(private_memory)
        try:
            return await world.counts("bob")
        finally:
            await world.engine.dispose()

    assert asyncio.run(bob_counts()) == bob_before  # not confirmed: nothing deleted
    done = runner.invoke(app, ["users", "forget", "bob", "--yes"])
    assert done.exit_code == 0, done.output
    assert "style profile" in done.output and "Forgot bob" in done.output
    # The printout's app-database count includes the key acting for bob.
    expected = f"{'app database':22} {bob_before['app database']:6} deleted"
    assert expected in done.output, done.output
    assert asyncio.run(bob_counts()) == {k: 0 for k in bob_before}
    assert world.ada_only in get_image_store() and world.shared in get_image_store()
    unknown = runner.invoke(app, ["users", "forget", "nobody", "--yes"])
    assert unknown.exit_code == 1 and "There is no user called nobody" in unknown.output
