"""Photo references, state reducers, provider resolution and error sentences."""

from __future__ import annotations

import httpx
import openai
import pytest
from pydantic import SecretStr

from stylist.agent.errors import describe_provider_error
from stylist.agent.providers import (
    ProviderConfig,
    ProviderSetupError,
    make_chat_model,
    resolve_provider,
)
from stylist.agent.state import append_unique, merge_styles
from stylist.settings import StyleSettings
from stylist.tools.photo_refs import PhotoNotFound, resolve_photo

IDS = ["a" * 64, "b" * 64, "c" * 64]


@pytest.mark.parametrize(
    "ref,index",
    [
        (None, 2),
        ("latest", 2),
        ("this photo", 2),
        ("photo 1", 0),
        ("2", 1),
        ("#3", 2),
        ("first", 0),
        ("the second photo", 1),
        ("bbbbbbbb", 1),
        ("b" * 64, 1),
    ],
)
def test_photo_references(ref, index):
    assert resolve_photo(ref, IDS) == IDS[index]


def test_bad_photo_references_are_sentences():
    with pytest.raises(PhotoNotFound, match="no photo in this conversation yet"):
        resolve_photo("latest", [])
    with pytest.raises(PhotoNotFound, match="There is no photo 4; this conversation has 3 photos"):
        resolve_photo("photo 4", IDS)
    with pytest.raises(PhotoNotFound, match="I don't know which photo 'the red one' means"):
        resolve_photo("the red one", IDS)


def test_state_reducers_keep_order_and_merge_styles():
    assert append_unique(["a", "b"], ["b", "c"]) == ["a", "b", "c"]
    assert merge_styles({"boho": ["a"]}, {"boho": ["b", "a"], "grunge": ["c"]}) == {
        "boho": ["a", "b"],
        "grunge": ["c"],
    }


def test_auto_picks_groq_then_openai_then_offline():
    assert resolve_provider(StyleSettings()).provider == "offline"
    openai_only = StyleSettings(openai_api_key="sk-1")
    assert resolve_provider(openai_only).provider == "openai"
    assert resolve_provider(openai_only).model == "gpt-4.1-mini"
    both = StyleSettings(openai_api_key="sk-1", groq_api_key="gsk-1")
    config = resolve_provider(both)
    assert (config.provider, config.model) == ("groq", "llama-3.3-70b-versatile")
    assert config.api_key.get_secret_value() == "gsk-1"


def test_overrides_win_and_blanks_mean_default():
    settings = StyleSettings(
        llm_provider="groq", llm_model="settings-model", groq_api_key="g", llm_timeout_s=7
    )
    same = resolve_provider(settings, {"provider": "", "model": " ", "base_url": ""})
    assert (same.provider, same.model, same.base_url) == ("groq", "settings-model", None)
    switched = resolve_provider(settings, {"provider": "ollama", "temperature": 0.9})
    assert (switched.provider, switched.model, switched.temperature) == ("ollama", "llama3.2", 0.9)
    assert switched.timeout_s == 7
    keyed = resolve_provider(settings, {"provider": "openai", "api_key": "sk-chat"})
    assert keyed.api_key.get_secret_value() == "sk-chat"


def test_factory_builds_each_provider_with_timeouts():
    from langchain_groq import ChatGroq
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    from stylist.agent.offline import OfflineStylist

    def config(provider, **kw):
        return ProviderConfig(
            provider=provider, model="m", temperature=0.1, timeout_s=3, max_retries=4, **kw
        )

    groq = make_chat_model(config("groq", api_key=SecretStr("g")))
    assert isinstance(groq, ChatGroq) and groq.request_timeout == 3 and groq.max_retries == 4
    compatible = make_chat_model(config("openai-compatible", base_url="http://127.0.0.1:9/v1"))
    assert isinstance(compatible, ChatOpenAI)
    assert compatible.openai_api_base == "http://127.0.0.1:9/v1"
    ollama = make_chat_model(config("ollama"))
    assert isinstance(ollama, ChatOllama) and ollama.base_url == "http://localhost:11434"
    assert isinstance(make_chat_model(config("offline")), OfflineStylist)
    with pytest.raises(ProviderSetupError, match="No Groq API key is set"):
        make_chat_model(config("groq"))
    with pytest.raises(ProviderSetupError, match="needs a base URL"):
        make_chat_model(config("openai-compatible"))


def _status_error(cls, status):
    request = httpx.Request("POST", "http://x/v1/chat/completions")
    return cls("boom", response=httpx.Response(status, request=request), body=None)


def test_error_sentences_name_the_provider():
    config = ProviderConfig(
        provider="openai", model="gpt-x", temperature=0, timeout_s=5, max_retries=2
    )
    request = httpx.Request("POST", "http://x")
    assert describe_provider_error(_status_error(openai.AuthenticationError, 401), config) == (
        "OpenAI rejected the API key (401). Check the key in the settings panel."
    )
    assert "tried 3 times" in describe_provider_error(
        _status_error(openai.RateLimitError, 429), config
    )
    assert "does not know the model 'gpt-x'" in describe_provider_error(
        _status_error(openai.NotFoundError, 404), config
    )
    assert describe_provider_error(openai.APITimeoutError(request=request), config) == (
        "OpenAI did not answer within 5 seconds. Please try again, or pick another provider "
        "in the settings panel."
    )
    assert describe_provider_error(httpx.ConnectError("refused"), config).startswith(
        "I could not connect to OpenAI"
    )
