"""Wardrobe fixtures: a private copy of the demo installation (the wardrobe writes to the app
database and to Chroma, so the shared demo world stays untouched), and photos of its items."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


def _demo_world_env(config) -> dict[str, str]:
    """tests/conftest.py's DEMO_WORLD_ENV (the settings the demo world was built with)."""
    for plugin in config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "/").resolve() == TESTS / "conftest.py":
            return dict(plugin.DEMO_WORLD_ENV)
    return {}


@pytest.fixture
def own_demo_world(demo_world, tmp_path, monkeypatch, request):
    """Settings on a copy of the demo installation without any chat or account state."""
    from stylist.settings import get_settings

    data_dir = tmp_path / "data"
    shutil.copytree(
        demo_world,
        data_dir,
        ignore=shutil.ignore_patterns("app.sqlite*", "auth-secret", "memory", "uploads"),
    )
    monkeypatch.setenv("STYLIST_DATA_DIR", str(data_dir))
    for key, value in _demo_world_env(request.config).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def user_ids():
    """Two distinct users of the app database (ids as Chainlit makes them)."""
    return f"alice-{uuid.uuid4().hex[:8]}", f"bob-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def catalog_photo(own_demo_world):
    """photo bytes + attributes of a catalog item matching some attributes."""
    from stylist.catalog.store import get_catalog

    items = get_catalog(own_demo_world).items

    def pick(n: int = 0, **attributes):
        rows = items
        for attribute, value in attributes.items():
            rows = rows[rows[attribute] == value]
        row = rows.iloc[n]
        return Path(row["image"]).read_bytes(), row.to_dict()

    return pick
