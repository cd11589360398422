"""The tools' one doorway into stylist.vectorstore: filters, queries and outfits.

Filter words are parsed and validated by the search package's own `SearchFilters` /
`parse_query` (one place builds filters); this module only combines them with the explicit
arguments a tool received and converts results to plain data.
"""

from __future__ import annotations

from typing import Any

from stylist.settings import get_settings
from stylist.tools import services


def filters_for(query: str | None, explicit: dict[str, Any] | None = None):
    """Filter words in `query`, with `explicit` values on top, validated against the catalog."""
    from stylist.vectorstore.filters import SearchFilters, parse_query

    catalog = services.catalog()
    parsed = parse_query(query or "", catalog).filters
    return parsed.merged(SearchFilters.coerce(explicit or {})).validated(catalog)


def parse_modifier(modifier: str | None):
    """("in red" →) validated filters and the words left for the embedding query."""
    from stylist.vectorstore.filters import SearchFilters, parse_query

    if not modifier or not modifier.strip():
        return SearchFilters(), ""
    catalog = services.catalog()
    parsed = parse_query(modifier, catalog)
    remainder = " ".join(w for w in parsed.remainder.split() if w not in _FILLER)
    return parsed.filters.validated(catalog), remainder


# Words of a modifier that carry no look of their own ("like this but in red" → filters + "").
_FILLER = {
    "like",
    "this",
    "but",
    "in",
    "a",
    "an",
    "the",
    "same",
    "similar",
    "more",
    "one",
    "ones",
    "it",
    "please",
    "with",
    "and",
    "for",
    "to",
    "me",
    "show",
    "find",
    "something",
    "cheaper",
    "than",
    "instead",
    "version",
    "colour",
    "color",
    "of",
}


def filters_dict(filters) -> dict[str, Any]:
    return filters.model_dump(exclude_none=True) if filters is not None else {}


def describe(filters) -> str:
    if filters is None or filters.is_empty():
        return ""
    return filters.describe()


def search(
    *,
    text: str | None = None,
    image_id: str | None = None,
    item_id: int | None = None,
    filters=None,
    k: int | None = None,
    diverse: bool = False,
) -> list[Any]:
    from stylist.vectorstore.search import get_index

    k = k or _chat_results_k() or get_settings().results_k
    return get_index().search(
        text=text, image=image_id, item_id=item_id, filters=filters, k=k, diverse=diverse
    )


def _chat_results_k() -> int | None:
    """The result count chosen in this chat's settings panel, when a graph run is under way."""
    from langgraph.runtime import get_runtime

    try:
        return getattr(get_runtime().context, "results_k", None)
    except RuntimeError:  # called outside a graph run (CLI, API)
        return None


def outfit(
    *, item_id: int | None = None, tags=None, image_id: str | None = None, style: str | None = None
) -> dict[str, Any]:
    """{"anchor": {"name", "attributes", ...}, "slots": [{"slot", "product", "reason"}],
    "missing": [slot names nothing compatible was found for]}."""
    from stylist.vectorstore.outfit import complete_outfit

    result = complete_outfit(
        anchor_item_id=item_id,
        anchor_tags=tags,
        anchor_image_id=image_id,
        style=style,
        settings=get_settings(),
    )
    return result.model_dump()
