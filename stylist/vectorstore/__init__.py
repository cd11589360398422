"""Catalog search: the Chroma collection of catalog items, queries, filters, outfits.

Names are re-exported lazily so that `import stylist.vectorstore` stays cheap (chromadb and
torch load on first use).
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "SearchError": "errors",
    "IndexMissing": "errors",
    "EncoderMismatch": "errors",
    "UnknownFilterValue": "errors",
    "UnknownItem": "errors",
    "SearchFilters": "filters",
    "ParsedQuery": "filters",
    "parse_query": "filters",
    "parse_query_filters": "filters",
    "Product": "products",
    "build_index": "index",
    "index_is_current": "index",
    "CatalogIndex": "search",
    "get_index": "search",
    "search": "search",
    "item_pool": "search",
    "complete_outfit": "outfit",
    "Outfit": "outfit",
    "OutfitSlot": "outfit",
    "OutfitSource": "outfit",
    "compatible": "outfit",
    "garment_kind": "outfit",
    "colour_harmony": "harmony",
    "Harmony": "harmony",
    "is_neutral": "harmony",
    "mmr_select": "mmr",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'stylist.vectorstore' has no attribute {name!r}")
    return getattr(importlib.import_module(f"stylist.vectorstore.{module}"), name)
