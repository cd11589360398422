"""One factory for the chat model: settings + per-chat overrides → a LangChain chat model.

Providers: `groq` (ChatGroq), `openai` (ChatOpenAI), `ollama` (ChatOllama), `openai-compatible`
(ChatOpenAI pointed at any base URL), and `offline` (the rule-based stylist, no network).
`auto` picks groq when a Groq key is set, else openai when an OpenAI key is set, else offline.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from langchain_core.language_models import BaseChatModel
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from stylist.agent.offline import OfflineStylist
from stylist.settings import ChatProvider, ProviderName, StyleSettings, get_settings

DEFAULT_MODELS: dict[str, str] = {
    "groq": "llama-3.3-70b-versatile",
    "openai": "gpt-4.1-mini",
    "ollama": "llama3.2",
    "openai-compatible": "local-model",
    "offline": "rules",
}
OLLAMA_BASE_URL = "http://localhost:11434"

# The names a person reads in error sentences.
DISPLAY_NAMES: dict[str, str] = {
    "groq": "Groq",
    "openai": "OpenAI",
    "ollama": "Ollama",
    "openai-compatible": "The OpenAI-compatible server",
    "offline": "The offline stylist",
}


class ProviderSetupError(ValueError):
    """The chosen provider cannot be used as configured; `str(err)` is a sentence."""


class ProviderOverrides(BaseModel):
    """Per-chat choices from the settings panel; any field left None falls back to settings."""

    model_config = ConfigDict(extra="ignore")

    provider: ProviderName | None = None
    model: str | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    api_key: SecretStr | None = None
    base_url: str | None = None
    # Also send the photo itself to a vision-capable model (injected at call time, never stored).
    vision: bool | None = None
    # How many products a search shows in this chat (settings.results_k when unset).
    results_k: int | None = Field(None, ge=1, le=20)

    @field_validator("provider", "model", "base_url", "api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # Settings panels send "" for an empty text box; that means "use the default".
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    def merged(self, other: ProviderOverrides | None) -> ProviderOverrides:
        """These overrides with `other`'s set fields on top."""
        if other is None:
            return self
        return self.model_copy(update=other.model_dump(exclude_none=True))


class ProviderConfig(BaseModel):
    """A fully resolved provider choice (what `make_chat_model` builds)."""

    provider: ChatProvider
    model: str
    temperature: float
    api_key: SecretStr | None = None
    base_url: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 2
    vision: bool = False

    @property
    def display_name(self) -> str:
        return DISPLAY_NAMES[self.provider]


def as_overrides(value: ProviderOverrides | dict[str, Any] | None) -> ProviderOverrides | None:
    if value is None or isinstance(value, ProviderOverrides):
        return value
    return ProviderOverrides.model_validate(value)


def resolve_provider(
    settings: StyleSettings | None = None,
    overrides: ProviderOverrides | dict[str, Any] | None = None,
) -> ProviderConfig:
    """Settings + overrides → the concrete provider, model, key and URL to use."""
    settings = settings or get_settings()
    over = as_overrides(overrides) or ProviderOverrides()
    chosen = over.provider or settings.llm_provider
    key = over.api_key
    if chosen == "auto":
        if settings.groq_api_key:
            chosen = "groq"
        elif settings.openai_api_key:
            chosen = "openai"
        else:
            chosen = "offline"
    if key is None:
        if chosen == "groq":
            key = settings.groq_api_key
        elif chosen in ("openai", "openai-compatible"):
            key = settings.openai_api_key
    base_url = over.base_url or settings.llm_base_url
    # A model named in settings applies to the provider chosen in settings; a per-chat provider
    # switch without a model name gets that provider's default.
    if over.model:
        model = over.model
    elif settings.llm_model and (over.provider is None or over.provider == settings.llm_provider):
        model = settings.llm_model
    else:
        model = DEFAULT_MODELS[chosen]
    return ProviderConfig(
        provider=chosen,
        model=model,
        temperature=over.temperature if over.temperature is not None else settings.llm_temperature,
        api_key=key,
        base_url=base_url,
        timeout_s=settings.llm_timeout_s,
        max_retries=settings.llm_max_retries,
        vision=bool(over.vision),
    )


_loop_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Any] = (
    weakref.WeakKeyDictionary()
)


def _async_http_client(timeout_s: float):
    """An httpx.AsyncClient for the running event loop (None outside one).

    The OpenAI/Groq SDKs otherwise share one process-wide async client, whose pooled
    connections belong to the loop that opened them; the sync `run_turn` runs a fresh loop per
    turn, so each loop gets its own pool.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    client = _loop_clients.get(loop)
    if client is None:
        import httpx

        client = httpx.AsyncClient(timeout=timeout_s, follow_redirects=True)
        _loop_clients[loop] = client
    return client


def make_chat_model(config: ProviderConfig) -> BaseChatModel:
    """Build the LangChain chat model for a resolved provider config."""
    key = config.api_key.get_secret_value() if config.api_key else None
    if config.provider == "offline":
        return OfflineStylist()
    if config.provider == "groq":
        if not key:
            raise ProviderSetupError(
                "No Groq API key is set. Add it in the settings panel or set GROQ_API_KEY, "
                "or choose the offline stylist."
            )
        from langchain_groq import ChatGroq

        return ChatGroq(
            model=config.model,
            temperature=config.temperature,
            api_key=key,
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            http_async_client=_async_http_client(config.timeout_s),
        )
    if config.provider in ("openai", "openai-compatible"):
        if config.provider == "openai" and not key:
            raise ProviderSetupError(
                "No OpenAI API key is set. Add it in the settings panel or set OPENAI_API_KEY, "
                "or choose the offline stylist."
            )
        if config.provider == "openai-compatible" and not config.base_url:
            raise ProviderSetupError(
                "The OpenAI-compatible provider needs a base URL (for example "
                "http://localhost:8080/v1) in the settings panel or STYLIST_LLM_BASE_URL."
            )
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=config.model,
            temperature=config.temperature,
            # Local OpenAI-compatible servers usually ignore the key, but the SDK insists on one.
            api_key=key or "not-needed",
            base_url=config.base_url,
            timeout=config.timeout_s,
            max_retries=config.max_retries,
            http_async_client=_async_http_client(config.timeout_s),
        )
    if config.provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            model=config.model,
            temperature=config.temperature,
            base_url=config.base_url or OLLAMA_BASE_URL,
            client_kwargs={"timeout": config.timeout_s},
        )
    raise ProviderSetupError(f"I don't know the provider {config.provider!r}.")
