"""Search latency: p50 / p95 of text, photo and filtered queries through `CatalogIndex`, against
numpy brute force and Chroma's own metadata filter measured in the same run.

Catalogs are synthetic: random unit embeddings at the encoder's dimension (default 512, as
ViT-B-32) with metadata drawn from Kaggle-like class shares (type, gender, colour, season,
usage, simulated price). Query embedding time is not included (it is the encoder's cost, the same
for every search backend). Prints one JSON object.

    python bench/bench_search.py                 # 5,000 and 44,000 items
    python bench/bench_search.py --sizes 200000  # the large catalog (several minutes to build)
    python bench/bench_search.py --sizes 200000 --workdir /tmp/b --build-only  # build, keep
    python bench/bench_search.py --quick         # 5,000 items, few queries
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stylist.catalog.prices import simulated_price  # noqa: E402
from stylist.catalog.store import Catalog  # noqa: E402
from stylist.latency import latency_summary  # noqa: E402
from stylist.settings import StyleSettings  # noqa: E402
from stylist.vectorstore.filters import SearchFilters  # noqa: E402
from stylist.vectorstore.search import CatalogIndex  # noqa: E402

# Approximate Kaggle shares for the demo vocabulary's article types and colours.
TYPE_SHARES = {
    "Tshirts": 18,
    "Shirts": 8,
    "Casual Shoes": 7,
    "Watches": 6,
    "Sports Shoes": 5,
    "Kurtas": 4.5,
    "Handbags": 4,
    "Tops": 4,
    "Heels": 3,
    "Sunglasses": 2.5,
    "Sandals": 2,
    "Flip Flops": 2,
    "Belts": 1.8,
    "Backpacks": 1.7,
    "Formal Shoes": 1.6,
    "Jeans": 1.5,
    "Shorts": 1.2,
    "Trousers": 1.2,
    "Dresses": 1.1,
    "Sweaters": 0.7,
    "Caps": 0.7,
    "Jackets": 0.6,
    "Skirts": 0.3,
}
COLOUR_SHARES = {
    "Black": 23,
    "White": 12,
    "Blue": 11,
    "Brown": 8,
    "Grey": 6,
    "Red": 5,
    "Green": 5,
    "Navy Blue": 4,
    "Purple": 3.5,
    "Pink": 3.5,
    "Yellow": 2,
    "Beige": 2,
    "Orange": 1.2,
    "Maroon": 1.2,
}
SEASON_SHARES = {"Summer": 50, "Fall": 29, "Winter": 20, "Spring": 1.5}


class _BenchEncoder:
    """Stands in for the encoder: the query vectors are given, only the identity matters."""

    def __init__(self, dim: int):
        self.dim = dim
        self.spec = f"bench-random-{dim}"
        self.fingerprint = f"bench-random-{dim}"


def _pick(rng, shares: dict, n: int) -> np.ndarray:
    names = list(shares)
    p = np.array([shares[k] for k in names], float)
    return np.array(names)[rng.choice(len(names), size=n, p=p / p.sum())]


def synthetic_catalog(n: int, seed: int = 0) -> pd.DataFrame:
    vocab = json.loads((Path(__file__).parents[1] / "stylist/catalog/demo_vocab.json").read_text())
    rng = np.random.default_rng(seed)
    types = _pick(rng, TYPE_SHARES, n)
    rows = []
    for i, t in enumerate(types.tolist()):
        spec = vocab["types"][t]
        rows.append(
            {
                "id": i + 1,
                "gender": _pick(rng, spec["gender"], 1)[0],
                "masterCategory": spec["masterCategory"],
                "subCategory": spec["subCategory"],
                "articleType": t,
                "usage": _pick(rng, spec["usage"], 1)[0],
                "price": simulated_price(t, i + 1),
            }
        )
    items = pd.DataFrame(rows)
    items["baseColour"] = _pick(rng, COLOUR_SHARES, n)
    items["season"] = _pick(rng, SEASON_SHARES, n)
    items["year"] = 2015
    items["productDisplayName"] = (
        items["gender"] + " " + items["baseColour"] + " " + items["articleType"]
    )
    items["image"] = ""
    items["split"] = "train"
    return items


def unit_rows(rng, n: int, dim: int) -> np.ndarray:
    m = rng.standard_normal((n, dim), dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def build(settings: StyleSettings, items: pd.DataFrame, dim: int, rng) -> dict:
    from stylist.vectorstore.index import MAX_UPSERT, item_metadata, open_collections

    main, images = open_collections(settings, _BenchEncoder(dim), create=True)
    if main.count() == images.count() == len(items):  # kept from an earlier run (--workdir)
        return {"build_s": None, "store_reused": True}
    started = time.perf_counter()
    for start in range(0, len(items), MAX_UPSERT):
        part = items.iloc[start : start + MAX_UPSERT]
        ids = [str(i) for i in part["id"]]
        images.upsert(ids=ids, embeddings=unit_rows(rng, len(part), dim))
        main.upsert(
            ids=ids,
            embeddings=unit_rows(rng, len(part), dim),
            metadatas=[item_metadata(r) for _, r in part.iterrows()],
        )
    return {"build_s": round(time.perf_counter() - started, 1)}


def timed(fn, queries) -> dict:
    fn(queries[0])  # warm-up (first-call allocations, lazy loads)
    seconds = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        seconds.append(time.perf_counter() - t0)
    return latency_summary(seconds)


def _settings(workdir: Path, n: int) -> StyleSettings:
    return StyleSettings(data_dir=workdir / f"n{n}", chroma_collection=f"bench-{n}")


def bench_size(n: int, dim: int, n_queries: int, workdir: Path, k: int = 10) -> dict:
    rng = np.random.default_rng(n)
    items = synthetic_catalog(n)
    settings = _settings(workdir, n)
    out: dict = {"items": n, "dim": dim, **build(settings, items, dim, rng)}
    catalog = Catalog(items)
    encoder = _BenchEncoder(dim)
    index = CatalogIndex(settings, encoder=encoder, catalog=catalog)  # what `search` uses
    hnsw = CatalogIndex(settings, encoder=encoder, catalog=catalog, unfiltered="hnsw")
    exact = CatalogIndex(settings, encoder=encoder, catalog=catalog, unfiltered="numpy")
    t0 = time.perf_counter()
    mirror = index.mirror()
    index._image_matrix(mirror)
    out["mirror_load_s"] = round(time.perf_counter() - t0, 2)
    for other in (hnsw, exact):
        other._mirror, other._mirror_count = mirror, index._mirror_count
    for each in (index, hnsw, exact):
        each._checked_at = 1e18  # measure queries, not the (2-second) freshness check

    queries = list(unit_rows(rng, n_queries, dim))
    gender_price = SearchFilters(gender="Men", min_price=20, max_price=60).validated(catalog)
    colour_type = SearchFilters(baseColour="Black", articleType="Casual Shoes").validated(catalog)
    out["unfiltered_path"] = "hnsw" if index._use_hnsw(n) else "numpy"
    out["text_unfiltered"] = timed(lambda q: index.rank(q, k=k), queries)
    out["photo_unfiltered"] = timed(lambda q: index.rank(q, target="image", k=k), queries)
    out["text_unfiltered_via_hnsw"] = timed(lambda q: hnsw.rank(q, k=k), queries)
    out["text_unfiltered_via_numpy_mirror"] = timed(lambda q: exact.rank(q, k=k), queries)
    out["filtered_gender_price"] = timed(
        lambda q: index.rank(q, filters=gender_price, k=k), queries
    )
    out["filtered_colour_type"] = timed(lambda q: index.rank(q, filters=colour_type, k=k), queries)
    out["photo_filtered_gender_price"] = timed(
        lambda q: index.rank(q, target="image", filters=gender_price, k=k), queries
    )
    out["diverse_unfiltered"] = timed(lambda q: index.rank(q, k=k, diverse=True), queries)

    # Baselines in the same run: bare numpy and Chroma's own `where` filter.
    matrix = mirror.fused

    def brute(q):
        scores = matrix @ q
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]

    out["baseline_numpy_brute_force"] = timed(brute, queries)
    main = index.collections()[0]
    where = {"$and": [{"gender": "Men"}, {"price": {"$gte": 20}}, {"price": {"$lte": 60}}]}
    out["baseline_chroma_where_gender_price"] = timed(
        lambda q: main.query(
            query_embeddings=[q], n_results=k, where=where, include=["distances", "metadatas"]
        ),
        queries,
    )
    share = float(gender_price.mask(mirror.columns, mirror.prices).mean())
    out["gender_price_filter_share"] = round(share, 3)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[5000, 44000]
    )
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="5,000 items, 30 queries")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / torch threads")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="Keep the built stores here and reuse them on the next run (the 200,000-item "
        "build takes minutes; it can run at low priority while queries are timed later)",
    )
    parser.add_argument("--build-only", action="store_true", help="build the stores, time nothing")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.queries = [5000], 30
    try:
        import threadpoolctl

        threadpoolctl.threadpool_limits(args.threads)
    except ImportError:
        pass
    results = {"threads": args.threads, "sizes": []}
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        workdir = args.workdir or Path(tmp)
        for n in args.sizes:
            print(f"… {n} items", file=sys.stderr)
            if args.build_only:
                settings = _settings(workdir, n)
                rng = np.random.default_rng(n)
                results["sizes"].append(
                    {"items": n, **build(settings, synthetic_catalog(n), args.dim, rng)}
                )
                continue
            results["sizes"].append(bench_size(n, args.dim, args.queries, workdir))
    results["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
