"""Exclusions in SearchFilters ("not black", "no sandals"): spelled like the catalog, applied by
the mask and by single-item matching alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_filters import catalog  # noqa: F401 - the module-scoped fixture

from stylist.catalog.schema import ATTRIBUTES
from stylist.vectorstore.errors import UnknownFilterValue
from stylist.vectorstore.filters import SearchFilters


def test_exclusions_are_checked_and_spelled_like_the_catalog(catalog):  # noqa: F811
    filters = SearchFilters(exclude_baseColour=["black", "NAVY BLUE"]).validated(catalog)
    assert filters.exclude_baseColour == ["Black", "Navy Blue"]
    assert not filters.is_empty()
    assert "no black or navy blue" in filters.describe()
    with pytest.raises(UnknownFilterValue, match="Scarlettish"):
        SearchFilters(exclude_baseColour="Scarlettish").validated(catalog)
    with pytest.raises(UnknownFilterValue, match="exclude_fabric"):
        SearchFilters.coerce({"exclude_fabric": ["silk"]})


def test_the_mask_and_matches_leave_excluded_values_out(catalog):  # noqa: F811
    items = catalog.items
    columns = {a: pd.Categorical(items[a]) for a in ATTRIBUTES}
    prices = items["price"].to_numpy()
    filters = SearchFilters(
        gender="Men", exclude_articleType=["Formal Shoes"], exclude_baseColour="Blue"
    ).validated(catalog)
    expected = (
        (items["gender"] == "Men")
        & (items["articleType"] != "Formal Shoes")
        & (items["baseColour"] != "Blue")
    ).to_numpy()
    assert expected.any() and not expected.all()
    assert np.array_equal(filters.mask(columns, prices), expected)
    for row, ok in zip(items.to_dict("records"), expected, strict=True):
        assert filters.matches(row, row["price"]) == ok
