"""Catalog queries: by text, by photo, by photo + modifier, by item; filters; diversity.

Chroma is the store of record. Unfiltered queries on large catalogs go to Chroma's HNSW index;
small catalogs are scanned with numpy, which is faster there (see bench/bench_search.py). Filtered queries — where Chroma's
metadata `where` costs ~40 ms at 44k items — run on an in-memory mirror of the collection: ids,
the float32 embedding matrix and the metadata columns as categoricals, loaded once with
`include=["embeddings", "metadatas"]` and reloaded when the collection's count changes. There a
filter is a numpy mask and ranking is one matrix-vector product over the rows that pass.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from PIL import Image

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import get_catalog
from stylist.images import ImageStore
from stylist.models.encoder import get_encoder
from stylist.process_cache import ReloadingCache
from stylist.settings import StyleSettings, get_settings
from stylist.vectorstore.errors import IndexMissing, SearchError, UnknownItem
from stylist.vectorstore.filters import SearchFilters
from stylist.vectorstore.index import build_index, open_collections
from stylist.vectorstore.mmr import mmr_select
from stylist.vectorstore.products import Product

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog
    from stylist.models.encoder import Encoder

MAX_K = 50
# How much a text modifier moves a photo query ("like this but more formal"): enough to re-rank
# among similar items, not enough to forget the photo.
MODIFIER_WEIGHT = 0.3
MMR_LAMBDA = 0.7
# Above this share of rows passing a filter, scoring every row and masking is cheaper than
# gathering the passing rows into a new matrix.
GATHER_BELOW = 0.3
# Unfiltered queries use Chroma's HNSW index from this many items on; below it a numpy scan of
# the mirror is faster (bench/bench_search.py: ~1 ms at 5,000 items vs ~3-8 ms through Chroma).
HNSW_FROM_ITEMS = 20_000
# How often (seconds) the query path asks Chroma whether the collection changed.
REFRESH_EVERY_S = 2.0

Target = Literal["fused", "image"]


@dataclass(eq=False)  # compared and hashed by identity: per-mirror caches key on it
class _Mirror:
    ids: np.ndarray  # int64 (n,)
    row_of: dict[int, int]
    fused: np.ndarray  # float32 (n, dim)
    metadatas: list[Mapping[str, object]]
    columns: dict[str, pd.Categorical]
    prices: np.ndarray  # float64 (n,)
    names: np.ndarray | None = None  # lower-case product names, for exclude_terms
    image: np.ndarray | None = None  # loaded on first filtered photo query


class CatalogIndex:
    """Queries over the catalog index for one settings object (see `get_index`)."""

    def __init__(
        self,
        settings: StyleSettings | None = None,
        *,
        encoder: Encoder | None = None,
        catalog: Catalog | None = None,
        unfiltered: Literal["auto", "hnsw", "numpy"] = "auto",
    ):
        self.settings = settings or get_settings()
        self._encoder = encoder
        self._catalog = catalog
        self.unfiltered = unfiltered
        self._lock = threading.RLock()
        self._collections = None
        self._mirror: _Mirror | None = None
        self._mirror_count = -1
        self._checked_at = 0.0

    # -- parts loaded on first use ----------------------------------------------------------

    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            self._encoder = get_encoder(self.settings)
        return self._encoder

    @property
    def catalog(self) -> Catalog:
        if self._catalog is not None:
            return self._catalog
        return get_catalog(self.settings)

    def collections(self):
        if self._collections is None:
            self._collections = open_collections(self.settings, self.encoder, create=False)
        return self._collections

    def build(self, rebuild: bool = False, progress: bool = True) -> dict:
        result = build_index(
            self.settings,
            rebuild=rebuild,
            progress=progress,
            encoder=self.encoder,
            catalog=self._catalog,
        )
        with self._lock:
            self._collections = None
            self._mirror = None
        return result

    def count(self) -> int:
        return self.collections()[0].count()

    def mirror(self) -> _Mirror:
        """The in-memory copy of the main collection, reloaded if the collection changed."""
        with self._lock:
            now = time.monotonic()
            if self._mirror is not None and now - self._checked_at < REFRESH_EVERY_S:
                return self._mirror
            self._checked_at = now
            count = self.count()
            if count == 0:
                raise IndexMissing("The catalog index is empty; run `stylist index` to build it.")
            if self._mirror is None or count != self._mirror_count:
                self._mirror = _load_mirror(self.collections()[0])
                self._mirror_count = count
            return self._mirror

    def _image_matrix(self, mirror: _Mirror) -> np.ndarray:
        with self._lock:
            if mirror.image is None:
                mirror.image = _load_matrix(self.collections()[1], mirror.ids)
            return mirror.image

    # -- single items ------------------------------------------------------------------------

    def product(self, item_id: int, score: float = 0.0) -> Product:
        mirror = self.mirror()
        row = mirror.row_of.get(int(item_id))
        if row is None:
            raise UnknownItem(f"There is no item {item_id} in the catalog index.")
        return Product.from_metadata(item_id, mirror.metadatas[row], score)

    def embedding_of(self, item_id: int, target: Target = "fused") -> np.ndarray:
        mirror = self.mirror()
        row = mirror.row_of.get(int(item_id))
        if row is None:
            raise UnknownItem(f"There is no item {item_id} in the catalog index.")
        matrix = mirror.fused if target == "fused" else self._image_matrix(mirror)
        return matrix[row]

    # -- queries -----------------------------------------------------------------------------

    def search(
        self,
        text: str | None = None,
        image: str | Image.Image | np.ndarray | None = None,
        item_id: int | None = None,
        filters: SearchFilters | Mapping[str, object] | None = None,
        k: int = 10,
        diverse: bool = False,
    ) -> list[Product]:
        """Up to k products, best first. See docs/architecture.md (Search) for the query forms.

        `image` is an upload id, a picture, or that picture's image embedding (a caller that has
        encoded the photo already). `text` is only embedded, never read for filter words: the
        caller that has a sentence parses it once (`parse_query`) and passes its filters here.
        """
        try:
            return self._search(text, image, item_id, filters, k, diverse)
        except SearchError:
            raise
        except Exception as err:
            if not _is_store_failure(err):
                raise
            # The store went away mid-session (server stopped, disk gone): say so, don't crash.
            with self._lock:
                self._collections = None
            where = self.settings.chroma_url or self.settings.chroma_path
            raise SearchError(
                f"The catalog index at {where} could not be read ({type(err).__name__}); check "
                "that the Chroma store is running, or rebuild it with `stylist index`."
            ) from None

    def _search(self, text, image, item_id, filters, k, diverse) -> list[Product]:
        if not isinstance(k, int) or not 1 <= k <= MAX_K:
            raise SearchError(f"I can show between 1 and {MAX_K} results at a time, not {k}.")
        text = (text or "").strip() or None
        filters = SearchFilters.coerce(filters).validated(self.catalog)
        query, target = self._query_vector(text, image, item_id)
        exclude = {int(item_id)} if item_id is not None else set()
        if query is None:
            if filters.is_empty():
                raise SearchError(
                    "Tell me what to look for: some words, a photo, or a catalog item."
                )
            return self._browse(filters, k)
        return self.rank(
            query, target=target, filters=filters, k=k, diverse=diverse, exclude=exclude
        )

    def text_vector(self, text: str) -> np.ndarray:
        """The query text's embedding, kept per (text, encoder): people and programs repeat
        queries ("black jeans"), and the text tower is most of a text search's time."""
        encoder = self.encoder

        def encode() -> np.ndarray:
            vector = encoder.encode_texts([text])[0]
            vector.flags.writeable = False  # shared by every later query with these words
            return vector

        return _TEXT_VECTORS.get((text, encoder.fingerprint), encode)

    def _query_vector(self, text, image, item_id) -> tuple[np.ndarray | None, Target]:
        if isinstance(image, np.ndarray):
            vector = np.asarray(image, dtype=np.float32).reshape(-1)
            target: Target = "image"
        elif image is not None:
            vector = self.encoder.encode_images([_open_photo(image, self.settings)])[0]
            target = "image"
        elif item_id is not None:
            vector = self.embedding_of(item_id, "fused").copy()
            target = "fused"
        else:
            if text is None:
                return None, "fused"
            return self.text_vector(text), "fused"
        if text is not None:
            vector = _unit(vector + MODIFIER_WEIGHT * self.text_vector(text))
        return vector, target

    def rank(
        self,
        query: np.ndarray,
        *,
        target: Target = "fused",
        filters: SearchFilters | None = None,
        k: int = 10,
        diverse: bool = False,
        exclude: set[int] | frozenset[int] = frozenset(),
    ) -> list[Product]:
        """Rank by cosine similarity to an embedding (filters must already be validated)."""
        filters = filters or SearchFilters()
        query = np.asarray(query, dtype=np.float32)
        mirror = self.mirror()
        if filters.is_empty() and not diverse and self._use_hnsw(len(mirror.ids)):
            return self._rank_hnsw(query, target, k, exclude)
        matrix = mirror.fused if target == "fused" else self._image_matrix(mirror)
        mask = filters.mask(mirror.columns, mirror.prices, mirror.names)
        if exclude:
            mask = np.ones(len(mirror.ids), bool) if mask is None else mask.copy()
            for item in exclude:
                row = mirror.row_of.get(item)
                if row is not None:
                    mask[row] = False
        want = max(4 * k, 40) if diverse else k
        rows, scores = _top_rows(matrix, query, mask, want)
        if diverse and len(rows) > k:
            picked = mmr_select(scores, matrix[rows], k, MMR_LAMBDA)
            rows, scores = rows[picked], scores[picked]
        return [
            Product.from_metadata(mirror.ids[r], mirror.metadatas[r], s)
            for r, s in zip(rows.tolist(), scores.tolist(), strict=True)
        ]

    def _use_hnsw(self, n_items: int) -> bool:
        if self.unfiltered == "auto":
            return n_items >= HNSW_FROM_ITEMS
        return self.unfiltered == "hnsw"

    def _rank_hnsw(self, query, target: Target, k: int, exclude) -> list[Product]:
        # Only ids and distances come from Chroma: fetching metadata there costs more than the
        # HNSW search itself (measured), and the mirror holds it in memory anyway.
        mirror = self.mirror()
        main, images = self.collections()
        collection = main if target == "fused" else images
        result = collection.query(
            query_embeddings=[query], n_results=k + len(exclude), include=["distances"]
        )
        out = []
        for raw_id, distance in zip(result["ids"][0], result["distances"][0], strict=True):
            item = int(raw_id)
            row = mirror.row_of.get(item)
            if item in exclude or row is None:
                continue
            # cosine space: distance = 1 - cosine similarity
            out.append(Product.from_metadata(item, mirror.metadatas[row], 1.0 - float(distance)))
        return out[:k]

    def _browse(self, filters: SearchFilters, k: int) -> list[Product]:
        """Filters and no query: the cheapest matching items first."""
        mirror = self.mirror()
        mask = filters.mask(mirror.columns, mirror.prices, mirror.names)
        rows = np.flatnonzero(mask) if mask is not None else np.arange(len(mirror.ids))
        rows = rows[np.argsort(mirror.prices[rows], kind="stable")[:k]]
        return [Product.from_metadata(mirror.ids[r], mirror.metadatas[r]) for r in rows.tolist()]


def _is_store_failure(err: Exception) -> bool:
    """Errors of Chroma itself or of the connection to its server."""
    import httpx
    from chromadb.errors import ChromaError

    return isinstance(err, ChromaError | httpx.TransportError | ConnectionError)


def _top_rows(
    matrix: np.ndarray, query: np.ndarray, mask: np.ndarray | None, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, scores) of the k best rows that pass `mask`, best first."""
    if mask is None:
        rows = None
        scores = matrix @ query
    else:
        passing = np.flatnonzero(mask)
        if len(passing) == 0:
            return passing, np.empty(0, np.float32)
        if len(passing) < GATHER_BELOW * len(mask):
            rows = passing
            scores = matrix[passing] @ query
        else:
            rows = None
            scores = matrix @ query
            scores[~mask] = -np.inf
    n_valid = len(scores) if mask is None or rows is not None else int(mask.sum())
    k = min(k, n_valid)
    if k <= 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    chosen = rows[top] if rows is not None else top
    return chosen, scores[top]


# ~2 KB per query at 512 dimensions.
QUERY_TEXTS_KEPT = 2048
_TEXT_VECTORS: ReloadingCache[np.ndarray] = ReloadingCache(maxsize=QUERY_TEXTS_KEPT)


def clear_text_cache() -> None:
    """Forget every query-text embedding (benchmarks measure a cold query this way)."""
    _TEXT_VECTORS.clear()


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def _open_photo(image, settings: StyleSettings):
    """A PIL image as is; a str is an id in the upload store (the one image loader opens it)."""
    if isinstance(image, Image.Image):
        return image
    return ImageStore(settings.uploads_dir).open(str(image))


PAGE = 5000


def _load_mirror(collection) -> _Mirror:
    ids: list[int] = []
    vectors: list[np.ndarray] = []
    metadatas: list[Mapping[str, object]] = []
    offset = 0
    while True:
        got = collection.get(include=["embeddings", "metadatas"], limit=PAGE, offset=offset)
        if not got["ids"]:
            break
        ids.extend(int(i) for i in got["ids"])
        vectors.append(np.asarray(got["embeddings"], dtype=np.float32))
        metadatas.extend(got["metadatas"])
        if len(got["ids"]) < PAGE:
            break
        offset += PAGE
    if not ids:
        raise IndexMissing("The catalog index is empty; run `stylist index` to build it.")
    return item_pool(ids, np.concatenate(vectors), metadatas)


def item_pool(ids: list[int], fused: np.ndarray, metadatas: list[Mapping[str, object]]) -> _Mirror:
    """Items as the query and outfit code scan them (ids, fused embeddings, metadata columns):
    the catalog's mirror, or another set of items in the same shape (a person's wardrobe)."""
    columns = {a: pd.Categorical([str(m.get(a, "")) for m in metadatas]) for a in ATTRIBUTES}
    prices = np.array([float(m.get("price") or 0.0) for m in metadatas])
    names = np.array([str(m.get("name") or "").lower() for m in metadatas])
    id_array = np.array(ids, dtype=np.int64)
    dim = fused.shape[1] if fused.ndim == 2 else 0
    return _Mirror(
        id_array,
        {int(i): r for r, i in enumerate(ids)},
        np.asarray(fused, np.float32).reshape(len(ids), dim),
        list(metadatas),
        columns,
        prices,
        names,
    )


def _load_matrix(collection, ids: np.ndarray) -> np.ndarray:
    """The embeddings of `ids`, in that order, from a collection (paged)."""
    position = {int(i): r for r, i in enumerate(ids)}
    matrix = None
    offset = 0
    while True:
        got = collection.get(include=["embeddings"], limit=PAGE, offset=offset)
        if not got["ids"]:
            break
        block = np.asarray(got["embeddings"], dtype=np.float32)
        if matrix is None:
            matrix = np.zeros((len(ids), block.shape[1]), np.float32)
        for i, vector in zip(got["ids"], block, strict=True):
            row = position.get(int(i))
            if row is not None:
                matrix[row] = vector
        if len(got["ids"]) < PAGE:
            break
        offset += PAGE
    if matrix is None:
        raise IndexMissing("The catalog index is empty; run `stylist index` to build it.")
    return matrix


# --- the process-wide index ----------------------------------------------------------------

# A few at once: tests (and a server) may query an embedded store and a Chroma server side by side.
_INDEXES: ReloadingCache[CatalogIndex] = ReloadingCache(maxsize=4)


def get_index(settings: StyleSettings | None = None) -> CatalogIndex:
    """One CatalogIndex per (store, collection, encoder spec) per process."""
    settings = settings or get_settings()
    key = (
        settings.chroma_url or str(settings.chroma_path.resolve()),
        settings.chroma_collection,
        settings.encoder,
    )
    return _INDEXES.get(key, lambda: CatalogIndex(settings))


def search(
    text: str | None = None,
    image: str | Image.Image | np.ndarray | None = None,
    item_id: int | None = None,
    filters: SearchFilters | Mapping[str, object] | None = None,
    k: int = 10,
    diverse: bool = False,
    settings: StyleSettings | None = None,
) -> list[Product]:
    """`get_index(settings).search(...)`: the one-call form the tools and the CLI use."""
    return get_index(settings).search(
        text=text, image=image, item_id=item_id, filters=filters, k=k, diverse=diverse
    )
