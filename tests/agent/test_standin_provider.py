"""Real provider clients (ChatOpenAI, ChatGroq) against the local stand-in server, through the graph."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest
from langchain_core.messages import HumanMessage

from stylist.agent import StylistSession


def openai_compatible(llm, **extra):
    return {
        "provider": "openai-compatible",
        "base_url": llm.base_url,
        "model": "standin-model",
        "api_key": "sk-test",
        **extra,
    }


def groq(llm, **extra):
    return {
        "provider": "groq",
        "base_url": llm.groq_base_url,
        "model": "standin-groq",
        "api_key": "gsk-test",
        **extra,
    }


def run(session, text, photo_ids=(), **kwargs):
    return asyncio.run(session.acollect_turn(text, photo_ids, **kwargs))


def tool_messages(request):
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_standin_serves_tool_calls_as_json_and_sse(llm):
    """The stand-in itself: both response forms decode to the same tool call."""
    from langchain_openai import ChatOpenAI

    call = {"tool_calls": [{"name": "search_catalog", "args": {"query": "red dress", "k": 3}}]}
    llm.script([call, call])
    model = ChatOpenAI(model="m", base_url=llm.base_url, api_key="k", max_retries=0)
    plain = model.invoke([HumanMessage("hi")])
    streamed = None
    for chunk in model.stream([HumanMessage("hi")]):
        streamed = chunk if streamed is None else streamed + chunk
    for message in (plain, streamed):
        assert message.tool_calls[0]["name"] == "search_catalog"
        assert message.tool_calls[0]["args"] == {"query": "red dress", "k": 3}
    assert [bool(r.get("stream")) for r in llm.requests] == [False, True]


@pytest.mark.parametrize("provider", [openai_compatible, groq], ids=["openai", "groq"])
def test_tool_call_then_answer_through_the_graph(llm, provider):
    llm.script(
        [
            {"tool_calls": [{"name": "tag_image", "args": {"photo": "latest"}}]},
            {"content": "Please attach a photo of the garment so I can tag it."},
        ]
    )
    session = StylistSession(overrides=provider(llm))
    result = run(session, "What is this garment?")

    assert result.error is None
    assert result.tool_calls == [("tag_image", {"photo": "latest"})]
    # No photo yet: the tool's failure came back as a sentence the model could read ...
    end = next(e for e in result.events if e.kind == "tool_end")
    assert end.ok is False and "no photo" in end.content.lower()
    second = llm.requests[1]
    assert "no photo" in tool_messages(second)[0]["content"].lower()
    # ... and the model's final answer is what the person gets, streamed in several tokens.
    assert result.text == "Please attach a photo of the garment so I can tag it."
    assert len([e for e in result.events if e.kind == "token"]) > 1
    assert result.events[-1].kind == "final"
    assert result.events[-1].provider == provider(llm)["provider"]
    # The tool schemas were offered to the model, and the system prompt sets the persona.
    first = llm.requests[0]
    offered = {t["function"]["name"] for t in first["tools"]}
    assert {"tag_image", "search_catalog", "find_similar", "complete_outfit"} <= offered
    assert first["messages"][0]["role"] == "system"
    assert "never invent" in first["messages"][0]["content"].lower()
    expected_path = (
        "/v1/chat/completions" if provider is openai_compatible else "/openai/v1/chat/completions"
    )
    assert set(llm.paths) == {expected_path}


def test_rejected_key_names_the_provider_and_the_chat_goes_on(llm, fast_failures):
    llm.script([{"status": 401}, {"content": "Welcome back."}])
    session = StylistSession(overrides=groq(llm))
    failed = run(session, "hello")
    assert failed.error == ("Groq rejected the API key (401). Check the key in the settings panel.")
    assert failed.events[-1].kind == "error"
    ok = run(session, "hello again")
    assert ok.error is None and ok.text == "Welcome back."
    # The retried conversation holds both human messages and nothing half-finished.
    roles = [m["role"] for m in llm.requests[-1]["messages"]]
    assert roles == ["system", "user", "user"]


def test_rate_limit_retries_then_says_so(llm, fast_failures):
    llm.script([{"status": 429}, {"status": 429}, {"content": "Back to normal."}])
    session = StylistSession(overrides=openai_compatible(llm))
    failed = run(session, "hello")
    assert failed.error.startswith("The OpenAI-compatible server is rate-limiting requests (429)")
    assert "tried 2 times" in failed.error
    assert len(llm.requests) == 2  # the first try plus settings.llm_max_retries = 1
    assert run(session, "hello").text == "Back to normal."


def test_timeout_says_so_and_the_next_turn_works(llm, fast_failures):
    llm.script([{"hang": 5}, {"hang": 5}, {"content": "Here now."}])
    session = StylistSession(overrides=openai_compatible(llm))
    failed = run(session, "hello")
    assert failed.error.startswith("The OpenAI-compatible server did not answer within 1 seconds.")
    assert run(session, "still there?").text == "Here now."


def test_refused_connection_says_so(fast_failures):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    session = StylistSession(
        overrides={
            "provider": "openai-compatible",
            "api_key": "k",
            "base_url": f"http://127.0.0.1:{port}/v1",
        }
    )
    failed = run(session, "hello")
    assert failed.error.startswith(
        f"I could not connect to The OpenAI-compatible server at http://127.0.0.1:{port}/v1"
    )


def test_failure_after_a_tool_call_leaves_a_valid_thread(llm, fast_failures):
    llm.script(
        [
            {"tool_calls": [{"name": "caption_image", "args": {}}]},
            {"status": 401},
            {"content": "Fine now."},
        ]
    )
    session = StylistSession(overrides=openai_compatible(llm))
    failed = run(session, "caption please")
    assert "rejected the API key (401)" in failed.error
    assert [e.kind for e in failed.events] == ["tool_start", "tool_end", "error"]
    ok = run(session, "try again")
    assert ok.text == "Fine now."
    sent = llm.requests[-1]["messages"]
    calls = [c["id"] for m in sent if m["role"] == "assistant" for c in m.get("tool_calls") or []]
    answered = [m["tool_call_id"] for m in sent if m["role"] == "tool"]
    assert calls and sorted(calls) == sorted(answered)


def test_step_budget_forces_an_answer(llm, monkeypatch):
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_MAX_AGENT_STEPS", "3")
    get_settings.cache_clear()
    forever = {"tool_calls": [{"name": "tag_image", "args": {}}]}
    llm.script([forever, forever, {"content": "Here is what I have."}])
    session = StylistSession(overrides=openai_compatible(llm))
    result = run(session, "loop please")
    assert result.text == "Here is what I have."
    assert len(llm.requests) == 3
    assert "tools" in llm.requests[1] and "tools" not in llm.requests[2]
    assert len(result.tool_calls) == 2


def test_vision_option_sends_the_photo_only_at_call_time(llm, tmp_path):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (32, 48), (200, 30, 30)).save(buffer, format="PNG")
    llm.script([{"content": "A red square."}, {"content": "Still here."}])
    session = StylistSession(overrides=openai_compatible(llm, vision=True))
    photo = session.add_photo(buffer.getvalue())
    assert run(session, "what colour?", [photo]).text == "A red square."
    user = llm.requests[0]["messages"][1]
    kinds = [part["type"] for part in user["content"]]
    assert kinds == ["text", "image_url"]
    assert user["content"][1]["image_url"]["url"].startswith("data:image/png;base64,")
    assert "[attached: photo 1]" in user["content"][0]["text"]
    # Without the option the model sees only the reference, and the checkpoint never has bytes.
    session.overrides = session.overrides.model_copy(update={"vision": False})
    run(session, "and now?")
    assert all(
        isinstance(m.get("content"), str) or m["role"] != "user"
        for m in llm.requests[1]["messages"]
    )
    from stylist.agent import get_agent

    async def stored():
        graph = await get_agent().graph()
        return (await graph.aget_state(session.config)).values

    values = asyncio.run(stored())
    assert values["photo_ids"] == [photo]
    assert "base64" not in json.dumps([m.content for m in values["messages"]], default=str)
