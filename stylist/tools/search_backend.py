"""The tools' one doorway into stylist.vectorstore: filters, queries and outfits.

A sentence is read once (`understanding.read_request`) into `SearchFilters` and the words left
for the embedding; the filters, merged with the explicit arguments a tool received and validated
against the catalog, are what goes down to the search. The search itself never reads a
sentence for filter words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from stylist.settings import get_settings
from stylist.tools import services
from stylist.tools.conversation import Constraints, enforce
from stylist.tools.run_context import run_context_value
from stylist.tools.understanding import read_request
from stylist.vectorstore.filters import SearchFilters
from stylist.vectorstore.outfit import OutfitSource, complete_outfit
from stylist.vectorstore.products import Product
from stylist.vectorstore.search import get_index


def filters_for(
    query: str | None,
    explicit: dict[str, Any] | None = None,
    constraints: Constraints | None = None,
) -> SearchFilters:
    """Filter words in `query`, with `explicit` values on top and the person's constraints in
    force applied, validated against the catalog."""
    catalog = services.catalog()
    constraints = constraints or Constraints()
    parsed = read_request(query or "", catalog).filters
    # What the person said (the constraints) outranks words scraped from a tool's query; a
    # tool's explicit arguments outrank both; exclusions, gender and budget always hold.
    request = parsed.merged(constraints.filters()).merged(SearchFilters.coerce(explicit or {}))
    return enforce(request, constraints).validated(catalog)


def parse_modifier(
    modifier: str | None, constraints: Constraints | None = None
) -> tuple[SearchFilters, str]:
    """("like this but in red" →) validated filters (the constraints in force applied) and the
    words left for the embedding."""
    catalog = services.catalog()
    if not modifier or not modifier.strip():
        return enforce(SearchFilters(), constraints or Constraints()).validated(catalog), ""
    constraints = constraints or Constraints()
    parsed = read_request(modifier, catalog)
    filters = enforce(parsed.filters.merged(constraints.filters()), constraints)
    return filters.validated(catalog), parsed.remainder


def filters_dict(filters: SearchFilters | None) -> dict[str, Any]:
    return filters.model_dump(exclude_none=True) if filters is not None else {}


def describe(filters: SearchFilters | None) -> str:
    if filters is None or filters.is_empty():
        return ""
    return filters.describe()


def search(
    *,
    text: str | None = None,
    image_embedding: np.ndarray | None = None,
    item_id: int | None = None,
    filters: SearchFilters | None = None,
    k: int | None = None,
    diverse: bool = False,
) -> list[Product]:
    """Products for already-validated filters; `text` is only embedded (see the module doc)."""
    k = k or _chat_results_k() or get_settings().results_k
    return get_index().search(
        text=text, image=image_embedding, item_id=item_id, filters=filters, k=k, diverse=diverse
    )


def _chat_results_k() -> int | None:
    """The result count chosen in this chat's settings panel, when a graph run is under way."""
    return run_context_value("results_k")


def outfit(
    *,
    item_id: int | None = None,
    tags=None,
    image_embedding: np.ndarray | None = None,
    style: str | None = None,
    constraints: Constraints | None = None,
    before_catalog: Sequence[OutfitSource] = (),
    catalog_exclude: Collection[int] = (),
) -> dict[str, Any]:
    """{"anchor": {"name", "attributes", ...}, "slots": [{"slot", "product", "reason",
    "source"}], "missing": [slot names nothing compatible was found for]}; every slot respects
    the constraints in force (what they rule out, gender, budget). `before_catalog`: pools
    tried before the catalog for each slot (the person's wardrobe)."""
    filters = enforce(SearchFilters(), constraints or Constraints(), outfit=True)
    result = complete_outfit(
        anchor_item_id=item_id,
        anchor_tags=tags,
        anchor_embedding=image_embedding,
        style=style,
        filters=None if filters.is_empty() else filters,
        settings=get_settings(),
        before_catalog=before_catalog,
        catalog_exclude=catalog_exclude,
    )
    return result.model_dump()
