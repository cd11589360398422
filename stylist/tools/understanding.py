"""What the tools know about words and colours, for whoever plans tool calls or explains them.

The offline stylist reads a person's message with `read_request` before it calls a tool, and the
search tools read the same sentence when the call arrives: the reading is kept (per sentence and
catalog vocabulary), so a turn parses its sentence once. `colour_partners` gives the colours
that go with one colour, from the same harmony table the outfit builder ranks with.
"""

from __future__ import annotations

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog
from stylist.process_cache import ReloadingCache
from stylist.tools import services
from stylist.vectorstore.filters import ParsedQuery, parse_query, vocabulary_key
from stylist.vectorstore.harmony import colour_harmony, colour_table, is_neutral

# The sentences of the last few turns of every open chat.
_READINGS: ReloadingCache[ParsedQuery] = ReloadingCache(maxsize=256)


def read_request(text: str, catalog: Catalog | None = None) -> ParsedQuery:
    """Filter words (colour, type, gender, season, occasion, price) in `text` as SearchFilters
    (not yet validated), and the words left for the embedding query."""
    catalog = catalog if catalog is not None else services.catalog()
    text = text or ""
    return _READINGS.get((text, vocabulary_key(catalog)), lambda: parse_query(text, catalog))


def catalog_values(catalog: Catalog | None = None) -> dict[str, list[str]]:
    """The catalog's known values per attribute, most frequent first: what a message is read
    against. Counted once per catalog object (a turn must not recount the whole table)."""
    catalog = catalog if catalog is not None else services.catalog()
    return {a: list(values) for a, values in zip(ATTRIBUTES, vocabulary_key(catalog), strict=True)}


def colour_partners(colour: str, n: int = 3) -> list[str]:
    """Colours that go well with `colour`, best first (classic neutrals first among equals)."""
    scored = []
    for order, other in enumerate(colour_table()["colours"]):
        if other.lower() == colour.lower():
            continue
        harmony = colour_harmony(other, colour)
        if harmony.kind not in ("unknown", "clash"):
            scored.append((-harmony.score, not is_neutral(other), order, other))
    return [entry[-1] for entry in sorted(scored)[:n]]
