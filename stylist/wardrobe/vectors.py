"""The wardrobe's embeddings in Chroma, scoped by owner so that an unscoped query cannot be
written.

Choice: one shared collection (per embedding size) with the owner's id in every vector's
metadata, reached only through `WardrobeVectors(settings, user_id)`, whose every get / upsert /
delete adds `{"user_id": ...}` to the `where` clause. Not a collection per user: Chroma keeps
each collection's own index segment on disk and in its system tables, so a collection per
person grows without bound and has to be listed to count or forget anyone, while a wardrobe is
small (tens to hundreds of photos) and is always read whole per person — the outfit builder
scores it with numpy, it never runs a similarity query across owners. The class has no method
without the owner, so the filter cannot be left out by a caller.

One vector per photo (`id` "<item id>:<image id>"): the fused embedding normalize(0.9·image +
0.1·text) the catalog uses, so outfit ranking compares like with like. The encoder's
fingerprint rides along: vectors of another encoder are stale and are recomputed from the
photos (the app database is the record; these vectors can always be rebuilt from it).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from stylist.settings import StyleSettings
from stylist.vectorstore.client import get_chroma_client

COLLECTION_SUFFIX = "-wardrobe"


def collection_prefix(settings: StyleSettings) -> str:
    return f"{settings.chroma_collection}{COLLECTION_SUFFIX}-"


def vector_id(item_id: int, image_id: str) -> str:
    return f"{int(item_id)}:{image_id}"


class WardrobeVectors:
    """One owner's photo vectors; see the module doc for why a filter, not a collection."""

    def __init__(self, settings: StyleSettings, user_id: str) -> None:
        if not user_id:
            raise ValueError("A wardrobe belongs to a signed-in user; no user id was given.")
        self.settings = settings
        self.user_id = str(user_id)

    def _where(self, **more: object) -> dict:
        clauses = [{"user_id": self.user_id}] + [{k: v} for k, v in more.items()]
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def _collections(self) -> list:
        prefix = collection_prefix(self.settings)
        client = get_chroma_client(self.settings)
        names = [getattr(c, "name", c) for c in client.list_collections()]
        return [client.get_collection(n) for n in names if str(n).startswith(prefix)]

    def _collection_for(self, dim: int):
        return get_chroma_client(self.settings).get_or_create_collection(
            f"{collection_prefix(self.settings)}{int(dim)}d", metadata={"hnsw:space": "cosine"}
        )

    def put(
        self, item_id: int, image_ids: list[str], vectors: np.ndarray, fingerprint: str
    ) -> None:
        """Store (or replace) the vectors of some photos of one item."""
        vectors = np.asarray(vectors, np.float32)
        if not image_ids:
            return
        self._collection_for(vectors.shape[1]).upsert(
            ids=[vector_id(item_id, i) for i in image_ids],
            embeddings=vectors,
            metadatas=[
                {
                    "user_id": self.user_id,
                    "item_id": int(item_id),
                    "image_id": i,
                    "encoder": fingerprint,
                }
                for i in image_ids
            ],
        )

    def get(self, fingerprint: str) -> dict[tuple[int, str], np.ndarray]:
        """(item id, image id) -> vector, for every photo of the owner this encoder embedded."""
        found: dict[tuple[int, str], np.ndarray] = {}
        for collection in self._collections():
            got = collection.get(
                where=self._where(encoder=fingerprint), include=["embeddings", "metadatas"]
            )
            for meta, vector in zip(got["metadatas"], got["embeddings"], strict=True):
                found[(int(meta["item_id"]), str(meta["image_id"]))] = np.asarray(
                    vector, np.float32
                )
        return found

    def count(self) -> int:
        return sum(len(c.get(where=self._where(), include=[])["ids"]) for c in self._collections())

    def delete(self, item_ids: Iterable[int] | None = None) -> int:
        """Delete the vectors of some items (every one of the owner's when None)."""
        deleted = 0
        ids = None if item_ids is None else [int(i) for i in item_ids]
        for collection in self._collections():
            where = self._where() if ids is None else self._where(item_id={"$in": ids})
            found = collection.get(where=where, include=[])["ids"]
            if found:
                collection.delete(ids=found)
                deleted += len(found)
        return deleted
