"""Ranking where the right answer is known: Chroma collections whose vectors the test writes.

The tiny random encoder cannot show relevance (its embeddings mean nothing), so these indexes
hold vectors built by hand: each item is the sum of a colour axis and an article-type axis, and a
query is the sum of the axes its words name. Everything below the vectors — the Chroma store, the
in-memory mirror, numpy and HNSW ranking, MMR — is the real query path.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from stylist.catalog.schema import ITEM_COLUMNS
from stylist.catalog.store import Catalog
from stylist.settings import StyleSettings
from stylist.vectorstore.index import item_metadata, open_collections
from stylist.vectorstore.search import CatalogIndex

COLOURS = ["Red", "Blue", "Green", "Black", "White"]
TYPES = ["Dresses", "Shirts", "Jeans", "Sandals"]
PER_PAIR = 3  # items of each (colour, type): a few equally right answers per query
DIM = 32


class ConceptEncoder:
    """Text → the unit sum of the colour and type axes its words name (what a query means)."""

    spec = "concept-axes"
    fingerprint = "concept-axes-v1"
    dim = DIM

    def axis(self, word: str) -> np.ndarray:
        vector = np.zeros(DIM, np.float32)
        vector[(COLOURS + TYPES).index(word)] = 1.0
        return vector

    def meaning(self, words: list[str]) -> np.ndarray:
        vector = sum((self.axis(w) for w in words), np.zeros(DIM, np.float32))
        return vector / np.linalg.norm(vector)

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return np.stack(
            [
                self.meaning([w for w in COLOURS + TYPES if w.lower() in text.lower().split()])
                for text in texts
            ]
        )


def controlled_catalog() -> Catalog:
    rows = []
    for n, (colour, kind, _) in enumerate(itertools.product(COLOURS, TYPES, range(PER_PAIR))):
        rows.append(
            {
                "id": n + 1,
                "gender": "Women",
                "masterCategory": "Apparel",
                "subCategory": "Topwear",
                "articleType": kind,
                "baseColour": colour,
                "season": "Summer",
                "year": 2020,
                "usage": "Casual",
                "productDisplayName": f"{colour} {kind} {n + 1}",
                "price": 10.0 + n,
                "image": f"/nowhere/{n + 1}.jpg",
                "split": "train",
            }
        )
    return Catalog(pd.DataFrame(rows, columns=list(ITEM_COLUMNS)), min_class_count=1)


def write_index(settings: StyleSettings, catalog: Catalog, vectors: np.ndarray) -> None:
    main, images = open_collections(settings, ConceptEncoder(), create=True)
    ids = [str(i) for i in catalog.items["id"]]
    metadatas = [item_metadata(row) for row in catalog.items.to_dict("records")]
    main.upsert(ids=ids, embeddings=vectors, metadatas=metadatas)
    images.upsert(ids=ids, embeddings=vectors)


@pytest.fixture(scope="module")
def concept_world(tmp_path_factory):
    """Items at their colour + type meaning, with a little noise (no two items tie)."""
    settings = StyleSettings(data_dir=tmp_path_factory.mktemp("concepts"))
    catalog = controlled_catalog()
    encoder = ConceptEncoder()
    rng = np.random.default_rng(0)
    vectors = np.stack(
        [
            encoder.meaning([row["baseColour"], row["articleType"]])
            + rng.normal(0, 0.01, DIM).astype(np.float32)
            for row in catalog.items.to_dict("records")
        ]
    )
    write_index(settings, catalog, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    return settings, catalog


@pytest.mark.parametrize("unfiltered", ["numpy", "hnsw"])
def test_words_alone_rank_the_matching_items_first(concept_world, unfiltered):
    settings, catalog = concept_world
    index = CatalogIndex(settings, encoder=ConceptEncoder(), catalog=catalog, unfiltered=unfiltered)
    for colour, kind in [("Red", "Dresses"), ("Black", "Sandals"), ("Green", "Shirts")]:
        results = index.search(f"{colour.lower()} {kind.lower()}", k=PER_PAIR + 4)
        both = [(p.attributes["baseColour"], p.attributes["articleType"]) for p in results]
        # No filter: the exact matches come first, then items that share one of the two words.
        assert both[:PER_PAIR] == [(colour, kind)] * PER_PAIR, (colour, kind, both)
        assert all((c == colour) != (t == kind) for c, t in both[PER_PAIR:]), both
        scores = [p.score for p in results]
        assert scores == sorted(scores, reverse=True)
        assert scores[PER_PAIR - 1] > scores[PER_PAIR] + 0.2  # right answers clearly ahead


@pytest.fixture(scope="module")
def near_duplicates(tmp_path_factory):
    """A query, five near-copies of one look just above it, five distinct looks just below.

    q = axis 0. Copies: 0.9·q + 0.44·axis 1 (+ tiny noise), relevance 0.9 and alike to each
    other (≈1.0). Distinct looks: 0.85·q + 0.53·own axis, relevance 0.85 and alike to a copy
    (0.77) and to each other (0.72). Everything else points away from q.
    """
    settings = StyleSettings(data_dir=tmp_path_factory.mktemp("duplicates"))
    catalog = controlled_catalog()
    rng = np.random.default_rng(1)
    n = len(catalog)
    axes = np.eye(DIM, dtype=np.float32)
    vectors = np.empty((n, DIM), np.float32)
    for i in range(n):
        if i < 5:
            v = 0.9 * axes[0] + 0.436 * axes[1] + rng.normal(0, 0.005, DIM)
        elif i < 10:
            v = 0.85 * axes[0] + 0.527 * axes[2 + i - 5]
        else:
            v = axes[10 + i % (DIM - 10)] + rng.normal(0, 0.05, DIM)
            v[0] = -abs(v[0])
        vectors[i] = v / np.linalg.norm(v)
    write_index(settings, catalog, vectors)
    index = CatalogIndex(settings, encoder=ConceptEncoder(), catalog=catalog, unfiltered="numpy")
    copies = {int(i) for i in catalog.items["id"].iloc[:5]}
    return index, axes[0], copies


def mean_pairwise_similarity(index, products) -> float:
    m = np.stack([index.embedding_of(p.id) for p in products])
    sims = m @ m.T
    return float((sims.sum() - len(m)) / (len(m) * (len(m) - 1)))


def test_diverse_results_skip_near_duplicates(near_duplicates):
    index, query, copies = near_duplicates
    plain = index.rank(query, k=5)
    diverse = index.rank(query, k=5, diverse=True)
    assert {p.id for p in plain} == copies  # by relevance alone the page is five copies
    assert len(diverse) == 5 and len({p.id for p in diverse} & copies) == 1
    assert diverse[0].id == plain[0].id  # the best item still leads
    assert mean_pairwise_similarity(index, diverse) < mean_pairwise_similarity(index, plain) - 0.15
