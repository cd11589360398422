"""The conversation state reaches an LLM provider: the prompt the stand-in OpenAI-compatible
server receives carries the constraints in force and the numbered results with their ids, and
the tools apply the constraints and resolve "#2" whichever model calls them."""

from __future__ import annotations

import asyncio
import re

import pytest
from conversation_scripts import card_problems, state_of

from stylist.agent import StylistSession

pytestmark = pytest.mark.slow


def provider(llm):
    return {
        "provider": "openai-compatible",
        "base_url": llm.base_url,
        "model": "standin-model",
        "api_key": "sk-test",
    }


def system_prompt(request) -> str:
    [system] = [m for m in request["messages"] if m["role"] == "system"]
    return system["content"]


def search(query, **filters):
    return {"tool_calls": [{"name": "search_catalog", "args": {"query": query, **filters}}]}


def test_follow_ups_reach_the_llm_with_constraints_and_numbered_results(llm, use_demo_world):
    session = StylistSession(overrides=provider(llm))

    async def turn(text, replies):
        llm.clear()
        llm.script(replies)
        result = await session.acollect_turn(text)
        return result, [*llm.requests], await state_of(session)

    async def go():
        out = []
        out.append(
            await turn("summer dresses for women", [search("summer dresses"), {"content": "Here."}])
        )
        out.append(
            await turn("not black please", [search("summer dresses"), {"content": "No black."}])
        )
        out.append(
            await turn(
                "what goes with the second one?",
                [
                    {"tool_calls": [{"name": "complete_outfit", "args": {"result": 2}}]},
                    {"content": "An outfit."},
                ],
            )
        )
        out.append(
            await turn(
                "what about the ninth one?",
                [
                    {"tool_calls": [{"name": "find_similar", "args": {"result": 9}}]},
                    {"content": "There are not that many."},
                ],
            )
        )
        await session.aclose()
        return out

    (first, r1, s1), (second, r2, s2), (third, r3, s3), (fourth, r4, _s4) = asyncio.run(go())

    # Turn 1: the first request already carries the constraints read from the message (and no
    # results yet); they hold in the search even though the model passed no filters.
    assert "constraints in force: Women · Dresses · Summer" in system_prompt(r1[0])
    assert "Latest results shown" not in system_prompt(r1[0])
    assert not card_problems(first, s1["constraints"]) and first.artifacts[0]["products"]
    assert s1["constraints"]["gender"] == "Women"
    # Turn 2: the prompt carries the constraints and the numbered results with their ids.
    prompt = system_prompt(r2[0])
    assert "constraints in force: Women" in prompt
    shown = s1["shown"][-1]["items"]
    for item in shown:
        assert f"#{item['n']} item_id {item['id']}: {item['name']}" in prompt
    assert "no black" in system_prompt(r2[1])  # the answer step sees the new exclusion
    assert not card_problems(second, s2["constraints"])
    assert all(p["attributes"]["baseColour"] != "Black" for p in second.artifacts[0]["products"])
    # Turn 3: "#2" resolved by the tool against the list the model was shown.
    numbered = re.findall(r"#(\d+) item_id (\d+)", system_prompt(r3[0]))
    expected = dict(numbered)["2"]
    [outfit] = third.artifacts
    assert outfit["anchor"]["item_id"] == int(expected)
    assert not card_problems(third, s3["constraints"])
    # Turn 4: a number past the end is a sentence the model reads, not a crash.
    [tool_end] = [e for e in fourth.events if e.kind == "tool_end"]
    assert tool_end.ok is False and "There is no #9" in tool_end.content
    tool_results = [m for m in r4[1]["messages"] if m["role"] == "tool"]
    assert "There is no #9" in tool_results[-1]["content"]
