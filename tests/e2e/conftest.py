"""Fixtures for the browser tests: one Chainlit server per module, one Chromium per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from harness import CHROMIUM, CHROMIUM_ARGS, DEFAULT_LOGIN, ChainlitServer, add_account


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


def demo_world_env(config) -> dict[str, str]:
    """The settings the demo world was built with (tests/conftest.py's DEMO_WORLD_ENV): the
    Chainlit subprocess must read the data dir with the same ones."""
    root_conftest = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root_conftest:
            return dict(getattr(plugin, "DEMO_WORLD_ENV", {}))
    return {}


@pytest.fixture(scope="module")
def chainlit_server(demo_world, request):
    name = request.module.__name__.rsplit(".", 1)[-1]
    env = demo_world_env(request.config)
    add_account(demo_world, *DEFAULT_LOGIN, extra_env=env)  # the chat needs a login
    server = ChainlitServer(demo_world, name=name, extra_env=env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed (make system-deps installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser):
    """Fresh browser contexts (separate cookies and storage: separate people)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 1400})
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
