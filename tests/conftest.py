"""Shared fixtures: every test runs offline against its own data dir."""

from __future__ import annotations

import os

import pytest
from support.demo_world import copy_demo_world
from support.standin_llm import StandinLLM

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """A fresh data dir and no provider keys, so that no test sees the developer's setup."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_DATA_DIR", str(tmp_path / "data"))
    for key in (
        "GROQ_API_KEY",
        "OPENAI_API_KEY",
        "STYLIST_GROQ_API_KEY",
        "STYLIST_OPENAI_API_KEY",
        "STYLIST_CHROMA_URL",
        "STYLIST_ENCODER",
        "STYLIST_LLM_PROVIDER",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env file is read
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


# The demo world is small (400 items, ~20 per article type), so the "merge rare classes" bar is
# lowered to keep its classes: otherwise every type would become "Other".
DEMO_WORLD_ENV = {"STYLIST_MIN_CLASS_COUNT": "8"}


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """A small demo installation (catalog, quick-trained models, index), built once per run.

    Returns the data dir; tests that use it point STYLIST_DATA_DIR there and set DEMO_WORLD_ENV
    (see `use_demo_world`; subprocesses such as the Chainlit server need both).
    """
    from stylist.pipeline import build_demo
    from stylist.settings import StyleSettings

    data_dir = tmp_path_factory.mktemp("demo-world")
    settings = StyleSettings(
        data_dir=data_dir, min_class_count=int(DEMO_WORLD_ENV["STYLIST_MIN_CLASS_COUNT"])
    )
    build_demo(settings, n=400, quick=True, progress=False, log=lambda _msg: None)
    return data_dir


def _settings_on(data_dir, monkeypatch):
    """This test's settings on a demo installation at `data_dir` (built with DEMO_WORLD_ENV)."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_DATA_DIR", str(data_dir))
    for key, value in DEMO_WORLD_ENV.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def use_demo_world(demo_world, monkeypatch):
    """Point this test's settings at the shared demo installation (read-only use)."""
    yield from _settings_on(demo_world, monkeypatch)


@pytest.fixture
def own_demo_world(demo_world, tmp_path, monkeypatch):
    """Settings on this test's own copy of the demo installation (see `copy_demo_world`)."""
    yield from _settings_on(copy_demo_world(demo_world, tmp_path / "data"), monkeypatch)


@pytest.fixture(scope="module")
def standin_server():
    """A stand-in OpenAI-compatible LLM server on loopback, one per test module."""
    with StandinLLM() as server:
        yield server


@pytest.fixture
def llm(standin_server):
    """The module's stand-in server, with an empty script and request log for this test."""
    standin_server.clear()
    yield standin_server
    standin_server.clear()


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server of the test run's own (installed with apt-get when missing)."""
    from support.postgres import PostgresServer

    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server, request):
    """A fresh database on the test PostgreSQL server, for one test."""
    import re
    import uuid

    name = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:6]
    return postgres_server.create_database(name)


def pytest_unconfigure(config):
    """End the test process once pytest has reported, whatever threads tests left behind.

    Servers, clients and worker threads that a test did not shut down (a stand-in LLM's
    keep-alive handler, an async SQLite worker of a session a test dropped) must not keep CI
    waiting after the summary is printed: exit with pytest's own status. xdist workers and
    in-process pytest runs (pytester) are left alone.
    """
    if hasattr(config, "workerinput") or not getattr(config, "_stylist_session_done", False):
        return
    import os
    import sys

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(config._stylist_exit_status)


def pytest_sessionfinish(session, exitstatus):
    session.config._stylist_session_done = True
    session.config._stylist_exit_status = int(exitstatus)
