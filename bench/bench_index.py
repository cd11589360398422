"""Index throughput: `build_index` items/s against bare `Encoder.encode_images` items/s on the
same pictures at the same batch size, measured in the same run (target: ratio >= 0.85), and
against encode_images + encode_texts (the fused document embedding needs both).

Two encoders by default, randomly initialised through open_clip's factory (the compute is the
same as trained weights): the demo encoder `stylist-demo` (0.7 M-parameter image tower, ~2.5 ms
per photo here) and `ViT-B-32`, the size of encoder a real installation runs (~250 ms per
photo on one core). The index's own work per item (the name's text embedding, metadata, two
Chroma upserts) is about the same for both, so it weighs very differently against them.

The catalog is the generated demo catalog. Prints one JSON object.

    python bench/bench_index.py                        # stylist-demo (600 items), ViT-B-32 (150)
    python bench/bench_index.py --model stylist-demo   # one encoder
    python bench/bench_index.py --quick                # 200 items, stylist-tiny
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

DEFAULT_MODELS = ("stylist-demo", "ViT-B-32")


def default_items(model: str) -> int:
    return 600 if model.startswith("stylist-") else 150  # a ViT-B-32 pass is ~100x slower


def measure(model: str, items: int, batch_size: int, catalog_root: Path, workdir: Path) -> dict:
    import pandas as pd

    from stylist.catalog.store import Catalog, ingest
    from stylist.models.encoder import build_encoder, save_encoder
    from stylist.settings import StyleSettings
    from stylist.vectorstore.index import build_index

    settings = StyleSettings(data_dir=workdir, batch_size=batch_size)
    workdir.mkdir(parents=True)
    styles = workdir / "styles.csv"  # the first `items` rows of the generated catalog
    pd.read_csv(catalog_root / "styles.csv", dtype=str, keep_default_na=False).head(items).to_csv(
        styles, index=False
    )
    ingest(styles, catalog_root / "images", settings, progress=False)
    catalog = Catalog.load(settings)
    encoder = build_encoder(model, seed=0, batch_size=batch_size)
    save_encoder(encoder, settings.models_dir / "encoder")
    paths = catalog.items["image"].tolist()
    names = catalog.items["productDisplayName"].fillna("").tolist()
    n = len(paths)

    encoder.encode_images(paths[:batch_size], batch_size=batch_size)  # warm-up
    encoder.encode_texts(names[:8])
    t0 = time.perf_counter()
    encoder.encode_images(paths, batch_size=batch_size)
    encode_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    encoder.encode_texts(names)
    text_s = time.perf_counter() - t0

    result = build_index(settings, progress=False, encoder=encoder, catalog=catalog)
    index_s = result["seconds"]
    encode_rate = n / encode_s
    # Steady state: without the one-off start-up (opening Chroma, loading the catalog), which
    # does not grow with the catalog. The total is printed too.
    index_rate = n / (index_s - result["open_seconds"])
    return {
        "model": model,
        "items": n,
        "dim": encoder.dim,
        "encode_images_items_per_s": round(encode_rate, 2),
        "encode_texts_items_per_s": round(n / text_s, 2),
        "build_index_items_per_s": round(index_rate, 2),
        "index_vs_encode_ratio": round(index_rate / encode_rate, 3),
        # The fused document needs the names' text embeddings too: the least work an index can do.
        "index_vs_encode_images_and_texts_ratio": round(
            index_rate * (1 / encode_rate + text_s / n), 3
        ),
        "build_index_items_per_s_with_startup": round(n / index_s, 2),
        "index_encode_s": result["encode_seconds"],
        "index_startup_s": result["open_seconds"],
        "index_total_s": index_s,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="open_clip architecture (repeatable)")
    parser.add_argument("--items", type=int, help="items per encoder (default: 600 / 150)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="200 items, stylist-tiny")
    args = parser.parse_args(argv)
    models = args.model or list(DEFAULT_MODELS)
    if args.quick:
        models, args.items = ["stylist-tiny"], 200

    import torch

    from stylist.catalog.demo import generate_demo_catalog

    torch.set_num_threads(args.threads)
    wanted = {m: args.items or default_items(m) for m in models}
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        root = Path(tmp) / "demo-catalog"
        print(f"… generating {max(wanted.values())} demo items", file=sys.stderr)
        generate_demo_catalog(root, n=max(wanted.values()), progress=False)
        for model, items in wanted.items():
            print(f"… {model}: {items} items", file=sys.stderr)
            runs.append(measure(model, items, args.batch_size, root, Path(tmp) / model))
    print(
        json.dumps(
            {
                "batch_size": args.batch_size,
                "threads": args.threads,
                "target_ratio": 0.85,
                "runs": runs,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
