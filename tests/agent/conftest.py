"""Fixtures for the agent tests: provider settings (the stand-in LLM server and `llm` are in\ntests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def fast_failures(monkeypatch):
    """Short client timeout and one retry, so failure tests finish in about a second."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("STYLIST_LLM_MAX_RETRIES", "1")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
