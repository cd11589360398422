"""The demo catalog's vocabulary as test helpers read it."""

from __future__ import annotations

import json
from importlib import resources


def demo_known_values() -> dict[str, list[str]]:
    """The demo catalog's values per attribute, as `Catalog.known_values` would list them."""
    vocab = json.loads(resources.files("stylist.catalog").joinpath("demo_vocab.json").read_text())
    types = vocab["types"]
    return {
        "gender": list(vocab["genders"]),
        "masterCategory": list(dict.fromkeys(t["masterCategory"] for t in types.values())),
        "subCategory": list(dict.fromkeys(t["subCategory"] for t in types.values())),
        "articleType": list(types),
        "baseColour": list(vocab["colours"]),
        "season": list(vocab["seasons"]),
        "usage": list(vocab["usages"]),
    }
