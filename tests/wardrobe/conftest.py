"""Wardrobe fixtures: users and photos of the demo catalog's items, on `own_demo_world` (a private
copy of the demo installation, tests/conftest.py: the wardrobe writes to its database and Chroma)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]


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
