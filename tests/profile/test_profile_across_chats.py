"""The style profile through `StylistSession` with the offline stylist on the demo world: said
once in one chat, applied in every new chat of the same person (and said so in the answer),
overridable in one chat, not applied to anyone else; listed and forgotten on request."""

from __future__ import annotations

import asyncio

import pytest

from stylist.agent import StylistSession

pytestmark = pytest.mark.slow

# Enough products per search that an unfiltered plain search shows some yellow.
OVERRIDES = {"provider": "offline", "results_k": 20}


@pytest.fixture
def private_memory(use_demo_world, tmp_path, monkeypatch):
    """The shared demo catalog and index, with this test's own memory and app database."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_CHECKPOINT_DB", str(tmp_path / "memory" / "checkpoints.sqlite"))
    monkeypatch.setenv("STYLIST_DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def colours(result) -> list[str]:
    return [
        p["attributes"]["baseColour"]
        for a in result.artifacts
        if a.get("kind") == "products"
        for p in a["products"]
    ]


def turn(session, text):
    return asyncio.run(session.acollect_turn(text))


def test_a_profile_said_in_one_chat_filters_every_new_chat_of_that_person(private_memory):
    plain = "show me some clothes for summer"
    other = StylistSession(user_id="user-bob", overrides=OVERRIDES)
    unfiltered = turn(other, plain)
    assert "Yellow" in colours(unfiltered), "the check needs yellow in the unfiltered results"
    assert "your profile" not in unfiltered.text

    first = StylistSession(user_id="user-ada", overrides=OVERRIDES)
    noted = turn(first, "I never wear yellow")
    assert [name for name, _ in noted.tool_calls] == ["remember_preference"]
    assert "Noted in your style profile: no Yellow" in noted.text

    # A new chat: nothing said there about colours, and still no yellow, and the answer says why.
    second = StylistSession(user_id="user-ada", overrides=OVERRIDES)
    filtered = turn(second, plain)
    assert colours(filtered) and "Yellow" not in colours(filtered)
    assert "(your profile: no Yellow)" in filtered.text

    # Someone else's chats are not affected.
    again = turn(StylistSession(user_id="user-bob", overrides=OVERRIDES), plain)
    assert "Yellow" in colours(again) and "your profile" not in again.text

    # Overridden in one chat only.
    override = turn(second, "actually I'd wear yellow today")
    assert "Yellow" in colours(override)
    third = turn(StylistSession(user_id="user-ada", overrides=OVERRIDES), plain)
    assert "Yellow" not in colours(third)


def test_what_do_you_know_about_me_and_forget_that(private_memory):
    session = StylistSession(user_id="user-cy", overrides=OVERRIDES)
    turn(session, "I never wear yellow")
    turn(session, "my budget is around 50")
    listed = turn(session, "what do you know about me?")
    assert [name for name, _ in listed.tool_calls] == ["show_profile"]
    assert 'no Yellow (you said: "I never wear yellow")' in listed.text
    assert "budget up to $50" in listed.text

    new_chat = StylistSession(user_id="user-cy", overrides=OVERRIDES)
    capped = turn(new_chat, "show me some clothes for summer")
    prices = [p["price"] for a in capped.artifacts for p in a.get("products", [])]
    assert prices and max(prices) <= 50 and "up to $50" in capped.text

    forgot = turn(new_chat, "forget that")
    assert [name for name, _ in forgot.tool_calls] == ["forget_preference"]
    assert "Forgotten: budget up to $50" in forgot.text
    left = turn(new_chat, "what do you know about me?")
    assert "no Yellow" in left.text and "budget" not in left.text


def test_an_anonymous_chat_keeps_a_statement_for_that_chat_only(private_memory):
    session = StylistSession(overrides=OVERRIDES)
    said = turn(session, "I never wear yellow")
    assert "signed-in account" in said.text
    assert "Yellow" not in colours(turn(session, "show me some clothes for summer"))
    elsewhere = turn(StylistSession(overrides=OVERRIDES), "show me some clothes for summer")
    assert "Yellow" in colours(elsewhere)
