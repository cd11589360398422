"""Multi-turn conversations through `StylistSession` with the offline stylist on the demo world:
each turn checks what was understood, which tools ran (in order, with which anchor), the
conversation state after it, and that every product card respects the constraints in force.
"""

from __future__ import annotations

import asyncio

import pytest
from conversation_scripts import SCRIPTS, Script, card_problems, state_of, text_of

from stylist.agent import StylistSession
from stylist.catalog.store import Catalog

pytestmark = pytest.mark.slow


def photo_for(session, catalog, where):
    items = catalog.test
    for column, value in where.items():
        items = items[items[column] == value]
    with open(items.iloc[0]["image"], "rb") as f:
        return session.add_photo(f.read())


async def play(script: Script, catalog) -> list[str]:
    """Run the script; the list of every failed expectation (empty when all hold)."""
    session = StylistSession()
    failures: list[str] = []
    before: dict = {}
    for number, turn in enumerate(script.turns, 1):
        photos = [photo_for(session, catalog, turn.photo)] if turn.photo else []
        text = text_of(turn, before)
        result = await session.acollect_turn(text, photos)
        state = await state_of(session)
        where = f"turn {number} {text!r}"
        if result.error:
            failures.append(f"{where}: error {result.error}")
        tools = [name for name, _ in result.tool_calls]
        if turn.tools is not None and tools != turn.tools:
            failures.append(f"{where}: tools {tools}, expected {turn.tools}")
        for words in turn.says:
            if words.lower() not in (result.text or "").lower():
                failures.append(f"{where}: answer lacks {words!r}: {result.text[:300]!r}")
        for check in turn.checks:
            try:
                check(state, before, result)
            except AssertionError as err:
                failures.append(f"{where}: {err}")
        failures += [f"{where}: {p}" for p in card_problems(result, state.get("constraints"))]
        before = state
    await session.aclose()
    return failures


@pytest.fixture
def catalog(use_demo_world):
    return Catalog.load(use_demo_world)


@pytest.mark.parametrize("script", SCRIPTS, ids=str)
def test_conversation_script(script, catalog, use_demo_world):
    failures = asyncio.run(play(script, catalog))
    assert not failures, "\n".join(failures)


def test_at_least_twelve_scripts():
    assert len(SCRIPTS) >= 12


def test_the_conversation_state_survives_in_the_checkpoint(catalog, use_demo_world):
    """A new session object on the same thread continues with the numbered results and the
    constraints (what `stylist chat --thread` and a resumed Chainlit chat rely on)."""

    async def go():
        first = StylistSession()
        await first.acollect_turn("shirts for men, not black")
        shown = (await state_of(first))["shown"][-1]["items"]
        again = StylistSession(thread_id=first.thread_id)
        result = await again.acollect_turn("what goes with the third one?")
        state = await state_of(again)
        await again.aclose()
        return shown, result, state

    shown, result, state = asyncio.run(go())
    assert result.tool_calls == [("complete_outfit", {"result": 3})], result.text
    [outfit] = result.artifacts
    assert outfit["anchor"]["item_id"] == shown[2]["id"]
    assert outfit["anchor"]["description"].startswith(f"#3 {shown[2]['name']}")
    assert state["constraints"]["exclude"] == {"baseColour": ["Black"]}
    assert state["constraints"]["gender"] == "Men"
