"""The chat's settings panel: which language model writes the advice, for this chat only.

The values come back from Chainlit as a plain dict keyed by widget id; `overrides_from_panel`
turns them into the agent's `ProviderOverrides`. The API key is never put back into a widget,
shown, or logged; chainlit_app.py's stylist.js masks its text box (Chainlit 2.12's TextInput has
no password type).
"""

from __future__ import annotations

from typing import Any

from chainlit.input_widget import Select, Slider, Switch, TextInput

from stylist.settings import PROVIDER_NAMES, StyleSettings, get_settings

PROVIDERS = list(PROVIDER_NAMES)
PROVIDER_LABELS = {
    "auto": "Automatic (Groq or OpenAI if a key is set, else offline)",
    "groq": "Groq",
    "openai": "OpenAI",
    "ollama": "Ollama (local)",
    "openai-compatible": "OpenAI-compatible server",
    "offline": "Offline stylist (no network)",
}


def panel_widgets(settings: StyleSettings | None = None) -> list[Any]:
    s = settings or get_settings()
    return [
        Select(
            id="provider",
            label="Language model provider",
            items={PROVIDER_LABELS[p]: p for p in PROVIDERS},
            initial_value=s.llm_provider,
            description="Who writes the advice. The tools (tagging, search) are the same for all.",
        ),
        TextInput(
            id="model",
            label="Model",
            initial=s.llm_model or "",
            placeholder="the provider's default",
            description="e.g. llama-3.3-70b-versatile, gpt-4.1-mini, llama3.2",
        ),
        TextInput(
            id="api_key",
            label="API key",
            initial="",
            placeholder="uses GROQ_API_KEY / OPENAI_API_KEY when empty",
            description="Used for this chat only; never shown back or logged.",
        ),
        TextInput(
            id="base_url",
            label="Base URL",
            initial=s.llm_base_url or "",
            placeholder="for Ollama or an OpenAI-compatible server",
        ),
        Slider(
            id="temperature",
            label="Temperature",
            initial=s.llm_temperature,
            min=0,
            max=2,
            step=0.1,
        ),
        Slider(
            id="results_k",
            label="Products per search",
            initial=s.results_k,
            min=1,
            max=20,
            step=1,
        ),
        Switch(
            id="vision",
            label="Also show my photos to the model (vision models only)",
            initial=False,
        ),
    ]


def overrides_from_panel(values: dict[str, Any] | None) -> dict[str, Any]:
    """Panel values → the fields of `ProviderOverrides` (blank text boxes mean "default").

    A plain dict (not the pydantic model) so that it can be kept in the user session and
    validated by the agent at the start of each turn.
    """
    values = values or {}
    overrides: dict[str, Any] = {}
    provider = values.get("provider")
    if provider in PROVIDERS:
        overrides["provider"] = provider
    for key in ("model", "api_key", "base_url"):
        text = values.get(key)
        if isinstance(text, str) and text.strip():
            overrides[key] = text.strip()
    if values.get("temperature") is not None:
        overrides["temperature"] = float(values["temperature"])
    if values.get("vision") is not None:
        overrides["vision"] = bool(values["vision"])
    if values.get("results_k") is not None:
        overrides["results_k"] = int(values["results_k"])
    return overrides


def describe_choice(overrides: dict[str, Any]) -> str:
    """A one-line confirmation for the chat, without the key."""
    provider = overrides.get("provider", "auto")
    parts = [PROVIDER_LABELS.get(provider, provider)]
    if overrides.get("model"):
        parts.append(f"model {overrides['model']}")
    if overrides.get("base_url"):
        parts.append(f"at {overrides['base_url']}")
    if overrides.get("api_key"):
        parts.append("with your API key")
    return ", ".join(parts)
