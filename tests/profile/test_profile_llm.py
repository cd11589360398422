"""An LLM provider uses the same profile tools: its remember_preference call (with the person's
sentence) lands in the signed-in person's profile — never in one the model names — and in a new
chat the model is told the profile and the search tool applies it."""

from __future__ import annotations

import asyncio

import pytest
from support.standin_llm import StandinLLM

from stylist.agent import StylistSession
from stylist.profile import get_profile_store

pytestmark = pytest.mark.slow


@pytest.fixture
def private_memory(use_demo_world, tmp_path, monkeypatch):
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_CHECKPOINT_DB", str(tmp_path / "memory" / "checkpoints.sqlite"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_an_llm_remembers_through_the_profile_tool_and_sees_the_profile_later(private_memory):
    with StandinLLM() as llm:
        overrides = {"provider": "openai-compatible", "api_key": "k", "base_url": llm.base_url}
        llm.script(
            [
                {
                    "tool_calls": [
                        {
                            "name": "remember_preference",
                            "args": {"statement": "I never wear yellow", "user_id": "user-bob"},
                        }
                    ]
                },
                {"content": "Noted: no yellow."},
            ]
        )
        first = StylistSession(user_id="user-ada", overrides=overrides)
        noted = asyncio.run(first.acollect_turn("I never wear yellow"))
        assert noted.error is None
        ends = [e for e in noted.events if e.kind == "tool_end"]
        assert ends[0].ok and ends[0].artifact["action"] == "remembered"
        store = get_profile_store(private_memory)
        assert store.load("user-ada").avoided_colours == ["Yellow"]
        assert store.count("user-bob") == 0  # the model cannot pick whose profile it writes

        llm.clear()
        llm.script(
            [
                {"tool_calls": [{"name": "search_catalog", "args": {"query": "summer clothes"}}]},
                {"content": "Here you go (your profile filtered out yellow)."},
            ]
        )
        second = StylistSession(user_id="user-ada", overrides={**overrides, "results_k": 20})
        found = asyncio.run(second.acollect_turn("show me some clothes for summer"))
        system = llm.requests[0]["messages"][0]["content"]
        assert "style profile" in system and "no Yellow" in system
        products = next(e.artifact for e in found.events if e.kind == "tool_end")["products"]
        assert products and all(p["attributes"]["baseColour"] != "Yellow" for p in products)
        tool_text = next(m for m in llm.requests[1]["messages"] if m["role"] == "tool")["content"]
        assert "(your profile: no Yellow)" in tool_text
