"""Fixtures for the agent tests: a stand-in OpenAI-compatible server and provider settings."""

from __future__ import annotations

import pytest
from support.standin_llm import StandinLLM


@pytest.fixture(scope="module")
def standin_server():
    with StandinLLM() as server:
        yield server


@pytest.fixture
def llm(standin_server):
    """The module's stand-in server, with an empty script and request log for this test."""
    standin_server.clear()
    yield standin_server
    standin_server.clear()


@pytest.fixture
def fast_failures(monkeypatch):
    """Short client timeout and one retry, so failure tests finish in about a second."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_LLM_TIMEOUT_S", "1")
    monkeypatch.setenv("STYLIST_LLM_MAX_RETRIES", "1")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
