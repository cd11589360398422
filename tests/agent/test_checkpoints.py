"""Conversation memory: a SQLite checkpoint lets a conversation continue after a restart."""

from __future__ import annotations

import asyncio
import io

from PIL import Image

from stylist.agent.runner import StylistAgent, StylistSession
from stylist.settings import get_settings


def png_bytes(colour=(30, 60, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (24, 32), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_sqlite_conversation_continues_after_restart(tmp_path, monkeypatch):
    monkeypatch.setenv("STYLIST_CHECKPOINT_DB", str(tmp_path / "memory" / "chat.sqlite"))
    get_settings.cache_clear()
    db = get_settings().checkpoint_db

    first = StylistSession(agent=StylistAgent(db))  # the offline stylist (no keys set)
    photo = first.add_photo(png_bytes())
    greeting = first.run_turn("hello", [photo])  # the sync entry point
    assert greeting.error is None and "offline stylist" in greeting.text.lower()
    assert db.is_file()

    # A new process: a fresh agent on the same file, the same thread id.
    again = StylistSession(thread_id=first.thread_id, agent=StylistAgent(db))

    async def continue_chat():
        photos = await again.aphoto_ids()
        result = await again.acollect_turn("caption this")
        graph = await again.agent.graph()
        state = await graph.aget_state(again.config)
        await again.aclose()
        return photos, result, state.values

    photos, result, values = asyncio.run(continue_chat())
    assert photos == [photo]
    # The stylist remembers the photo from before the restart, so it captions it rather than
    # asking for one.
    assert result.tool_calls == [("caption_image", {"photo": "latest"})]
    humans = [m.content for m in values["messages"] if m.type == "human"]
    assert humans == ["hello\n[attached: photo 1]", "caption this"]


def test_threads_do_not_share_photos():
    agent = StylistAgent(None)
    alice, bob = StylistSession(agent=agent), StylistSession(agent=agent)
    photo = alice.add_photo(png_bytes((200, 0, 0)))
    alice.run_turn("hi", [photo])
    bob_result = bob.run_turn("caption this")
    assert bob_result.tool_calls == []
    assert "attach a photo" in bob_result.text.lower()


def test_empty_turn_and_unknown_photo_are_sentences():
    session = StylistSession(agent=StylistAgent(None))
    assert session.run_turn("   ").error == "Please type a message or attach a photo."
    assert "attach it again" in session.run_turn("hi", ["f" * 64]).error
