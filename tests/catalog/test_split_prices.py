"""Label cleaning, the shared split, and simulated prices."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stylist.catalog.cleaning import merge_rare_classes
from stylist.catalog.prices import price_ranges, simulated_price
from stylist.catalog.split import assign_split


def _items(n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    types = rng.choice(
        ["Tshirts", "Shirts", "Jeans", "Heels", "Watches"], size=n, p=[0.4, 0.2, 0.2, 0.15, 0.05]
    )
    ids = rng.choice(np.arange(1000, 60000), size=n, replace=False)
    return pd.DataFrame({"id": ids, "articleType": types})


def test_rare_classes_merge_into_other():
    labels = pd.Series(["a"] * 60 + ["b"] * 49 + ["c"] * 3)
    cleaned = merge_rare_classes(labels, 50)
    assert cleaned.value_counts().to_dict() == {"a": 60, "Other": 52}
    assert merge_rare_classes(labels, 3).equals(labels)


def test_split_is_seeded_stratified_and_order_independent():
    items = _items()
    split = assign_split(items, seed=42, test_fraction=0.2)
    assert split.value_counts().to_dict() == {"train": 800, "test": 200}
    # stratified: every type's share of the test set is close to 20%
    shares = (split == "test").groupby(items["articleType"]).mean()
    assert shares.between(0.17, 0.23).all(), shares
    # the same seed gives the same split whatever the row order; another seed differs
    shuffled = items.sample(frac=1.0, random_state=1)
    again = assign_split(shuffled, seed=42, test_fraction=0.2)
    assert again.loc[items.index].equals(split)
    assert not assign_split(items, seed=7, test_fraction=0.2).equals(split)


def test_split_survives_lonely_classes():
    items = pd.DataFrame({"id": range(1, 12), "articleType": ["a"] * 10 + ["lonely"]})
    split = assign_split(items, seed=0, test_fraction=0.2, min_count=1)
    assert set(split) == {"train", "test"}


def test_prices_are_deterministic_and_inside_the_documented_range():
    ranges = price_ranges()
    for article_type in ("Tshirts", "Formal Shoes", "Watches", "Unknown Type"):
        low, high = ranges.get(article_type, ranges["_default"])
        prices = [simulated_price(article_type, i) for i in range(1, 500)]
        assert all(low <= p <= high for p in prices), article_type
        assert prices == [simulated_price(article_type, i) for i in range(1, 500)]
        assert len(set(prices)) > 20  # spread, not a constant
        assert all(round(p % 1, 2) == 0.99 for p in prices)
