"""Header sign-in behind a proxy, and the settings panel of a reopened chat."""

from __future__ import annotations

import asyncio
import json

from starlette.datastructures import Headers

from stylist.settings import get_settings
from stylist.ui.login import header_login
from stylist.ui.resume import restored_widgets, stored_settings


def test_header_login_trusts_only_the_configured_header(monkeypatch):
    headers = Headers({"X-Forwarded-User": "Ada.Lovelace@example.org", "X-Other": "mallory"})
    assert asyncio.run(header_login(headers)) is None  # not configured: no header is trusted
    monkeypatch.setenv("STYLIST_HEADER_AUTH", "X-Forwarded-User")
    get_settings.cache_clear()
    user = asyncio.run(header_login(headers))
    assert user.identifier == "ada.lovelace@example.org"
    assert user.metadata == {"provider": "header"}
    assert asyncio.run(header_login(Headers({"X-Other": "mallory"}))) is None
    assert asyncio.run(header_login(Headers({"X-Forwarded-User": "../../root"}))) is None


def test_a_reopened_chat_gets_its_settings_back_but_never_a_key():
    stored = {
        "provider": "ollama",
        "model": "llama3.2",
        "api_key": "sk-should-never-come-back",
        "base_url": "http://localhost:11434",
        "temperature": 1.1,
        "results_k": 9,
        "vision": True,
    }
    thread = {"id": "t1", "metadata": json.dumps({"chat_settings": stored})}
    values = stored_settings(thread)
    assert "api_key" not in values and values["model"] == "llama3.2"
    widgets = {w.id: w for w in restored_widgets(values)}
    assert widgets["provider"].initial == "ollama"
    assert widgets["model"].initial == "llama3.2"
    assert widgets["temperature"].initial == 1.1 and widgets["results_k"].initial == 9
    assert widgets["vision"].initial is True
    assert widgets["api_key"].initial == ""
    assert stored_settings({"id": "t2", "metadata": None}) == {}
    assert stored_settings({"id": "t3", "metadata": "not json"}) == {}
