"""Fixtures for the accounts tests: an app database in the test's data dir."""

from __future__ import annotations

import asyncio

import pytest

from stylist.accounts.database import open_app_database


@pytest.fixture
def run():
    """Run a coroutine on a fresh loop (the engines below belong to the loop that made them)."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture
def engine(run, isolated_settings):
    engine = run(open_app_database(isolated_settings))
    yield engine
    run(engine.dispose())
