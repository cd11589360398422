"""Catalog embeddings: every item's image, name and fused (Marqo product) embedding, computed
once per (encoder weights, catalog) and kept on disk.

Attribute heads, the few-shot head, evaluators and the index all start from the same arrays, so
the expensive part (decoding and encoding every catalog image) happens once. The cache file is
named by the encoder fingerprint and a hash of the catalog's items, so a retrained encoder or a
re-ingested catalog never reads stale embeddings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylist.atomic import atomic_write
from stylist.catalog.store import Catalog
from stylist.images import ImageRejected
from stylist.layout import InstallLayout
from stylist.models.encoder import Encoder
from stylist.models.errors import ModelMissing
from stylist.settings import StyleSettings


@dataclass
class CatalogEmbeddings:
    """Arrays aligned row by row with `ids` (the catalog's item order)."""

    ids: np.ndarray  # int64 (n,)
    image: np.ndarray  # float32 (n, dim), L2-normalised
    text: np.ndarray  # float32 (n, dim), L2-normalised productDisplayName embeddings
    fused: np.ndarray  # float32 (n, dim), normalize(0.9 * image + 0.1 * text)
    fingerprint: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dim(self) -> int:
        return int(self.image.shape[1])

    def rows(self, item_ids: np.ndarray | list[int]) -> np.ndarray:
        """Row positions of the given item ids (KeyError naming the first unknown id)."""
        position = {int(i): r for r, i in enumerate(self.ids)}
        try:
            return np.array([position[int(i)] for i in item_ids], dtype=np.int64)
        except KeyError as err:
            raise KeyError(f"Item {err.args[0]} has no embedding in this catalog.") from None

    def subset(self, item_ids: np.ndarray | list[int]) -> CatalogEmbeddings:
        rows = self.rows(item_ids)
        return CatalogEmbeddings(
            self.ids[rows], self.image[rows], self.text[rows], self.fused[rows], self.fingerprint
        )


def catalog_hash(catalog: Catalog) -> str:
    """Identifies the items (ids, names, pictures) whatever file or table they came from."""
    table = catalog.items[["id", "productDisplayName", "image"]]
    return hashlib.sha256(table.to_csv(index=False).encode()).hexdigest()[:16]


def cache_path(catalog: Catalog, encoder: Encoder, settings: StyleSettings | None = None) -> Path:
    encoder_hash = hashlib.sha256(encoder.fingerprint.encode()).hexdigest()[:16]
    return InstallLayout.of(settings).embeddings_dir / f"{encoder_hash}-{catalog_hash(catalog)}.npz"


def embed_catalog(
    catalog: Catalog,
    encoder: Encoder,
    progress: bool = True,
    *,
    settings: StyleSettings | None = None,
    cache: bool = True,
) -> CatalogEmbeddings:
    """Image, text and fused embeddings of every catalog item (from the disk cache if there)."""
    path = cache_path(catalog, encoder, settings)
    if cache and path.is_file():
        cached = _read(path, encoder)
        if cached is not None:
            return cached
    items = catalog.items
    ids = items["id"].to_numpy(dtype=np.int64)
    try:
        image = encoder.encode_images(items["image"].tolist(), progress=progress)
    except ImageRejected as err:
        # ingest validated every picture; one failing now was changed or removed since.
        raise ModelMissing(
            f"A catalog picture could not be read ({err}). Re-run `stylist ingest` so the catalog "
            "matches the pictures on disk."
        ) from None
    text = encoder.encode_texts(items["productDisplayName"].fillna("").tolist(), progress=progress)
    result = CatalogEmbeddings(ids, image, text, encoder.fuse(image, text), encoder.fingerprint)
    if cache:
        _write(path, result)
    return result


def store_catalog_embeddings(
    catalog: Catalog,
    encoder: Encoder,
    image: np.ndarray,
    text: np.ndarray,
    settings: StyleSettings | None = None,
) -> CatalogEmbeddings:
    """Keep embeddings a trainer already computed for every item (catalog order) as this
    encoder's cache, so heads, the index and evaluations do not encode the catalog again.

    The packaged encoder's trainer does this: its frozen towers ran over the catalog once, and
    the trained projections of those features are exactly what `embed_catalog` would compute."""
    ids = catalog.items["id"].to_numpy(dtype=np.int64)
    image, text = np.asarray(image, np.float32), np.asarray(text, np.float32)
    if image.shape != (len(ids), encoder.dim) or text.shape != image.shape:
        raise ValueError("Catalog embeddings need one row per item and the encoder's width.")
    result = CatalogEmbeddings(ids, image, text, encoder.fuse(image, text), encoder.fingerprint)
    _write(cache_path(catalog, encoder, settings), result)
    return result


def _write(path: Path, emb: CatalogEmbeddings) -> None:
    """Atomic: a concurrent reader sees the old file or the whole new one."""
    arrays = {
        "ids": emb.ids,
        "image": emb.image,
        "text": emb.text,
        "fused": emb.fused,
        "fingerprint": np.array(emb.fingerprint),
    }
    # np.savez appends ".npz" to a name that does not end with it.
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def _read(path: Path, encoder: Encoder) -> CatalogEmbeddings | None:
    """The cached arrays, or None when the file is damaged or from other weights (recompute)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            emb = CatalogEmbeddings(
                data["ids"].astype(np.int64),
                data["image"].astype(np.float32),
                data["text"].astype(np.float32),
                data["fused"].astype(np.float32),
                str(data["fingerprint"]),
            )
    except (OSError, ValueError, KeyError):
        return None
    if emb.fingerprint != encoder.fingerprint or emb.dim != encoder.dim:
        return None
    return emb
