"""Simulated prices: the Kaggle catalog has none, and price filters need them.

A price is a pure function of (articleType, id): deterministic across runs and machines,
spread log-uniformly inside the type's documented range (price_ranges.json), ending in .99.
"""

from __future__ import annotations

import hashlib
import json
import math
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def price_ranges() -> dict[str, tuple[float, float]]:
    raw = json.loads(resources.files("stylist.catalog").joinpath("price_ranges.json").read_text())
    return {k: (float(v[0]), float(v[1])) for k, v in raw.items() if not k.startswith("_comment")}


def simulated_price(article_type: str, item_id: int) -> float:
    ranges = price_ranges()
    low, high = ranges.get(article_type, ranges["_default"])
    digest = hashlib.sha256(f"{article_type}|{item_id}".encode()).digest()
    unit = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    price = math.exp(math.log(low) + unit * (math.log(high) - math.log(low)))
    return round(math.floor(price) + 0.99, 2)
