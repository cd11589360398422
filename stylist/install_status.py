"""Is this install built: the layout's presence checks, with the index judged by what it holds.

The chat's start notice, `stylist demo`'s first-run message and the API's /health and /ready
all ask here, so they never disagree. The catalog, encoder and tagger count as built when the
layout finds their files; the search index only when its collection really holds items — an
embedded store writes `chroma.sqlite3` the moment a client opens it, before anything is
indexed, so a file check alone would call an empty store "built".
"""

from __future__ import annotations

import logging

from stylist.layout import InstallLayout
from stylist.settings import StyleSettings
from stylist.vectorstore.client import get_chroma_client
from stylist.vectorstore.index import collection_names

log = logging.getLogger(__name__)

SEARCH_INDEX = "the search index"  # as InstallLayout.missing_parts words it


def indexed_items(settings: StyleSettings | None = None) -> int:
    """How many items the catalog collection holds; 0 for no store, no collection, or a
    Chroma server that cannot be reached (this is a status check: it never raises)."""
    layout = InstallLayout.of(settings)
    if not layout.index_present():  # no database file: no need to start Chroma to know
        return 0
    try:
        main_name, _images = collection_names(layout.settings)
        collection = get_chroma_client(layout.settings).get_collection(
            main_name, embedding_function=None
        )
        return int(collection.count())
    except Exception:  # noqa: BLE001 - missing collection, unreachable server, damaged store
        log.debug("the search index could not be counted", exc_info=True)
        return 0


def built_parts(settings: StyleSettings | None = None) -> dict[str, bool]:
    """{catalog, encoder, attribute_model, index}: which parts are there."""
    layout = InstallLayout.of(settings)
    return {
        "catalog": layout.catalog_present(),
        "encoder": layout.encoder_present(),
        "attribute_model": layout.tagger_present(),
        "index": indexed_items(layout.settings) > 0,
    }


def missing_parts(settings: StyleSettings | None = None) -> list[str]:
    """What is not built, in words a person reads ("the search index")."""
    layout = InstallLayout.of(settings)
    missing = layout.missing_parts()
    if SEARCH_INDEX not in missing and indexed_items(layout.settings) == 0:
        missing.append(SEARCH_INDEX)
    return missing
