"""Build and keep the Chroma index of the catalog: resumable, keyed by item id, tied to one
encoder.

Two collections per catalog (see docs/architecture.md):
- `settings.chroma_collection`: the fused product embedding normalize(0.9·image + 0.1·text)
  (Marqo's document embedding) with every attribute, name, price, year and image path as
  metadata — the store of record for text → product search and filters;
- `<name>-images`: the image-only embedding of the same ids, for photo → photo search and
  Marqo's text → image protocol.
An item counts as indexed once it is in the main collection; the image collection is written
first, so a run killed between the two writes just redoes that chunk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from tqdm import tqdm

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import get_catalog
from stylist.models.embeddings import cache_path, embed_catalog
from stylist.models.encoder import get_encoder
from stylist.models.errors import EncoderUnavailable, ModelMissing
from stylist.settings import StyleSettings, get_settings
from stylist.vectorstore.client import get_chroma_client
from stylist.vectorstore.errors import EncoderMismatch, IndexMissing, SearchError

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog
    from stylist.models.encoder import Encoder

IMAGE_SUFFIX = "-images"
# Chroma keeps an upper bound per request; 5,000 is below it on every backend we met and big
# enough that per-request overhead does not matter.
MAX_UPSERT = 5000


def collection_names(settings: StyleSettings) -> tuple[str, str]:
    return settings.chroma_collection, settings.chroma_collection + IMAGE_SUFFIX


def encoder_metadata(encoder: Encoder) -> dict[str, object]:
    return {
        "encoder_spec": str(encoder.spec),
        "encoder_fingerprint": str(encoder.fingerprint),
        "dim": int(encoder.dim),
    }


def check_encoder(collection, encoder: Encoder) -> None:
    """Refuse to mix embeddings of two encoders in one index (their spaces are unrelated)."""
    meta = collection.metadata or {}
    built_with = meta.get("encoder_fingerprint")
    if built_with is not None and built_with != encoder.fingerprint:
        raise EncoderMismatch(
            f"The catalog index was built with the encoder '{meta.get('encoder_spec')}' "
            f"({str(built_with)[:60]}), but the configured encoder is '{encoder.spec}' "
            f"({encoder.fingerprint[:60]}). Run `stylist index --rebuild` to index the catalog "
            "again with the configured encoder."
        )


def open_collections(settings: StyleSettings, encoder: Encoder, *, create: bool):
    """(main, images) collections for this encoder; IndexMissing when absent and not creating."""
    client = get_chroma_client(settings)
    main_name, image_name = collection_names(settings)
    if create:
        meta = encoder_metadata(encoder)
        config = {"hnsw": {"space": "cosine"}}
        main = client.get_or_create_collection(
            main_name, metadata=meta, configuration=config, embedding_function=None
        )
        images = client.get_or_create_collection(
            image_name, metadata=meta, configuration=config, embedding_function=None
        )
    else:
        try:
            main = client.get_collection(main_name, embedding_function=None)
            images = client.get_collection(image_name, embedding_function=None)
        except Exception:  # chromadb raises NotFoundError / ValueError depending on backend
            raise IndexMissing(
                "The catalog index is empty; run `stylist index` to build it."
            ) from None
    check_encoder(main, encoder)
    check_encoder(images, encoder)
    return main, images


def drop_collections(settings: StyleSettings) -> None:
    client = get_chroma_client(settings)
    existing = {getattr(c, "name", c) for c in client.list_collections()}
    for name in collection_names(settings):
        if name in existing:
            client.delete_collection(name)


def stored_ids(collection, page: int = 20000) -> set[int]:
    """Every id in a collection (paged: one huge `get` is slow over HTTP)."""
    ids: set[int] = set()
    offset = 0
    while True:
        got = collection.get(include=[], limit=page, offset=offset)["ids"]
        ids.update(int(i) for i in got)
        if len(got) < page:
            return ids
        offset += page


def item_metadata(row) -> dict[str, object]:
    """Chroma metadata for one item (a row as a dict or Series): strings and numbers, no None
    (Chroma rejects None)."""
    meta: dict[str, object] = {a: str(row[a]) for a in ATTRIBUTES}
    name = row["productDisplayName"]
    meta["name"] = "" if pd.isna(name) else str(name)
    meta["price"] = float(row["price"])
    meta["image"] = str(row["image"])
    year = row.get("year")
    if year is not None and pd.notna(year):
        meta["year"] = int(year)
    return meta


def _chunks(frame: pd.DataFrame, size: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def build_index(
    settings: StyleSettings | None = None,
    *,
    rebuild: bool = False,
    progress: bool = True,
    encoder: Encoder | None = None,
    catalog: Catalog | None = None,
    chunk_size: int | None = None,
    on_chunk_written: Callable[[int], None] | None = None,
) -> dict:
    """Index every catalog item not indexed yet; returns counts and throughput.

    Idempotent and resumable: items are upserted by id, and a re-run (after a crash or a kill)
    embeds only what the collection does not hold yet. Items no longer in the catalog are
    deleted. `rebuild=True` drops the collections first (needed after changing encoder).
    `on_chunk_written(n_items)` is called (on the writer thread) after each chunk is stored.
    """
    settings = settings or get_settings()
    started = time.perf_counter()
    catalog = catalog if catalog is not None else get_catalog(settings)
    encoder = encoder or get_encoder(settings)
    if rebuild:
        drop_collections(settings)
    main, images = open_collections(settings, encoder, create=True)
    open_seconds = time.perf_counter() - started  # catalog, encoder and Chroma start-up

    have = stored_ids(main)
    catalog_ids = set(int(i) for i in catalog.items["id"])
    stale = sorted(have - catalog_ids)
    for start in range(0, len(stale), MAX_UPSERT):
        part = [str(i) for i in stale[start : start + MAX_UPSERT]]
        images.delete(ids=part)
        main.delete(ids=part)
    todo = catalog.items[~catalog.items["id"].isin(have)]

    cached = _cached_embeddings(catalog, encoder, settings) if len(todo) else None
    # Chunks are what a kill can lose; a few batches each keeps the encoder busy while the
    # previous chunk is written by the background thread.
    chunk = chunk_size or max(settings.batch_size * 4, 256)
    chunk = min(chunk, MAX_UPSERT)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chroma-upsert")
    pending: Future | None = None
    encode_seconds = 0.0
    bar = tqdm(total=len(todo), desc="index", unit="item", disable=not progress)
    try:
        t0 = time.perf_counter()
        for part, image_emb, fused_emb in _embedded_chunks(
            todo, encoder, cached, chunk, settings.batch_size
        ):
            encode_seconds += time.perf_counter() - t0
            if pending is not None:
                pending.result()  # at most one write in flight: bounded memory, errors surface
            pending = writer.submit(
                _write_chunk, main, images, encoder, part, image_emb, fused_emb, on_chunk_written
            )
            bar.update(len(part))
            t0 = time.perf_counter()
        if pending is not None:
            pending.result()
    finally:
        bar.close()
        writer.shutdown(wait=True)
    seconds = time.perf_counter() - started
    return {
        "collection": main.name,
        "encoder": encoder.spec,
        "total": main.count(),
        "catalog_items": len(catalog),
        "added": len(todo),
        "skipped": len(catalog) - len(todo),
        "removed": len(stale),
        "from_embedding_cache": cached is not None,
        "seconds": round(seconds, 2),
        "open_seconds": round(open_seconds, 2),
        "encode_seconds": round(encode_seconds, 2),  # image encoding, in the main thread
        "items_per_s": round(len(todo) / seconds, 1) if seconds > 0 and len(todo) else None,
    }


def _embedded_chunks(
    todo: pd.DataFrame, encoder: Encoder, cached, chunk: int, batch_size: int
) -> Iterator[tuple[pd.DataFrame, np.ndarray, np.ndarray | None]]:
    """(rows, image embeddings, fused embeddings or None) per chunk of `todo`. Without a cache
    the images stream through one `iter_image_batches` over all of `todo`, so decoding runs
    ahead across chunk boundaries too; the fused embedding is then left to the writer."""
    if cached is not None:
        for part in _chunks(todo, chunk):
            rows = cached.rows(part["id"].to_numpy())
            yield part, cached.image[rows], cached.fused[rows]
        return
    start, buffered = 0, []
    batch_size = min(batch_size, chunk)  # a chunk is never more than asked for
    for rows, embeddings in encoder.iter_image_batches(todo["image"].tolist(), batch_size):
        buffered.append(embeddings)
        if rows.stop - start >= chunk or rows.stop == len(todo):
            yield todo.iloc[start : rows.stop], np.concatenate(buffered), None
            start, buffered = rows.stop, []


def _write_chunk(
    main,
    images,
    encoder: Encoder,
    part: pd.DataFrame,
    image_emb: np.ndarray,
    fused_emb: np.ndarray | None,
    on_written: Callable[[int], None] | None = None,
) -> None:
    """Runs in the writer thread while the main thread encodes the next chunk's images: the
    names' text embeddings (cheap next to images, but ~20% of their time), the fused document
    embedding, the metadata, and the two upserts."""
    if fused_emb is None:
        text_emb = encoder.encode_texts(part["productDisplayName"].fillna("").tolist())
        fused_emb = encoder.fuse(image_emb, text_emb)
    ids = [str(int(i)) for i in part["id"]]
    metas = [item_metadata(row) for row in part.to_dict("records")]
    images.upsert(ids=ids, embeddings=image_emb)
    main.upsert(ids=ids, embeddings=fused_emb, metadatas=metas)
    if on_written is not None:
        on_written(len(ids))


def _cached_embeddings(catalog: Catalog, encoder: Encoder, settings: StyleSettings):
    """The embed_catalog arrays when another stage already computed them (no re-encoding)."""
    try:
        if not cache_path(catalog, encoder, settings).is_file():
            return None
        return embed_catalog(catalog, encoder, progress=False, settings=settings)
    except Exception:  # a damaged cache only costs the encoding below
        return None


def index_is_current(settings: StyleSettings | None = None) -> bool:
    """True when the index exists for the configured encoder and holds exactly the catalog."""
    settings = settings or get_settings()
    try:
        catalog = get_catalog(settings)
        encoder = get_encoder(settings)
        main, images = open_collections(settings, encoder, create=False)
        if main.count() != len(catalog) or images.count() < len(catalog):
            return False
        return stored_ids(main) == set(int(i) for i in catalog.items["id"])
    except (SearchError, EncoderUnavailable, ModelMissing, RuntimeError, OSError):
        return False
