"""Colour harmony between two Kaggle colour names, from the table in colour_harmony.json.

Neutrals go with everything; two hues close on the wheel are analogous, opposite ones
complementary. The outfit builder ranks candidates with it and the offline stylist explains its
advice with the same sentences, so there is one colour theory in the product.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Harmony:
    score: float  # 0..1, higher goes better together
    kind: str  # neutral, both_neutral, same, analogous, complementary, triadic, multi, clash...
    reason: str  # "neutral with navy blue"


@lru_cache(maxsize=1)
def colour_table() -> dict:
    return json.loads(
        resources.files("stylist.vectorstore").joinpath("colour_harmony.json").read_text()
    )


def _entry(colour: str) -> dict | None:
    colours = colour_table()["colours"]
    if colour in colours:
        return colours[colour]
    lowered = {k.lower(): v for k, v in colours.items()}
    return lowered.get(str(colour).strip().lower())


def is_neutral(colour: str) -> bool:
    entry = _entry(colour)
    return bool(entry and entry.get("neutral"))


def colour_harmony(colour: str, other: str) -> Harmony:
    """How well `colour` (a candidate) goes with `other` (e.g. the anchor garment's colour)."""
    relations = colour_table()["relations"]
    a, b = _entry(colour), _entry(other)

    def make(kind: str) -> Harmony:
        rel = relations[kind]
        reason = rel["reason"].format(this=str(colour).lower(), other=str(other).lower())
        return Harmony(float(rel["score"]), kind, reason)

    if a is None or b is None:
        return make("unknown")
    if str(colour).lower() == str(other).lower():
        return make("both_neutral") if a.get("neutral") else make("same")
    if a.get("neutral") and b.get("neutral"):
        return make("both_neutral")
    if a.get("neutral"):
        return Harmony(
            relations["neutral"]["score"],
            "neutral",
            f"neutral {str(colour).lower()} goes with {str(other).lower()}",
        )
    if b.get("neutral"):
        return make("neutral")
    if a.get("multi") or b.get("multi"):
        return make("multi")
    if "hue" not in a or "hue" not in b:
        return make("unknown")
    distance = abs(a["hue"] - b["hue"]) % 360
    distance = min(distance, 360 - distance)
    if distance <= relations["analogous"]["max_degrees"]:
        return make("analogous")
    if distance >= relations["complementary"]["min_degrees"]:
        return make("complementary")
    tri = relations["triadic"]
    if tri["min_degrees"] <= distance <= tri["max_degrees"]:
        return make("triadic")
    return make("clash")


def nearest_colours(word: str, known: list[str]) -> list[str]:
    """Catalog colours that a colour word the catalog does not use is closest to
    ("scarlet" -> Red, Maroon), limited to colours the catalog has."""
    synonyms = colour_table()["synonyms"]
    wanted = synonyms.get(str(word).strip().lower(), [])
    known_set = set(known)
    return [c for c in wanted if c in known_set]
