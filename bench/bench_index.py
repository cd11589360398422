"""Index throughput: `build_index` items/s against bare `Encoder.encode_images` items/s on the
same pictures at the same batch size, measured in the same run (target: ratio >= 0.85), and
against encode_images + encode_texts (the fused document embedding needs both).

The catalog is the generated demo catalog; the encoder a randomly initialised open_clip config
(`stylist-tiny` by default, `--model stylist-demo` for the demo size; the compute is the same as
trained weights). Prints one JSON object.

    python bench/bench_index.py             # 600 items, stylist-demo
    python bench/bench_index.py --quick     # 200 items, stylist-tiny
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--model", default="stylist-demo")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="200 items, stylist-tiny")
    args = parser.parse_args(argv)
    if args.quick:
        args.items, args.model = 200, "stylist-tiny"

    import torch

    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import Catalog, ingest
    from stylist.models.encoder import build_encoder, save_encoder
    from stylist.settings import StyleSettings
    from stylist.vectorstore.index import build_index

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        settings = StyleSettings(data_dir=Path(tmp), batch_size=args.batch_size)
        print(f"… generating {args.items} demo items", file=sys.stderr)
        styles = generate_demo_catalog(settings.demo_catalog_dir, n=args.items, progress=False)
        ingest(styles, settings.demo_catalog_dir / "images", settings, progress=False)
        catalog = Catalog.load(settings)
        encoder = build_encoder(args.model, seed=0, batch_size=args.batch_size)
        save_encoder(encoder, settings.models_dir / "encoder")
        paths = catalog.items["image"].tolist()

        encoder.encode_images(paths[: args.batch_size], batch_size=args.batch_size)  # warm-up
        t0 = time.perf_counter()
        encoder.encode_images(paths, batch_size=args.batch_size)
        encode_s = time.perf_counter() - t0

        text_s0 = time.perf_counter()
        encoder.encode_texts(catalog.items["productDisplayName"].tolist())
        text_s = time.perf_counter() - text_s0

        result = build_index(settings, progress=False, encoder=encoder, catalog=catalog)
        index_s = result["seconds"]
    encode_rate = args.items / encode_s
    # Steady state: without the one-off start-up (opening Chroma, loading the catalog), which
    # does not grow with the catalog. The total is printed too.
    index_rate = args.items / (index_s - result["open_seconds"])
    print(
        json.dumps(
            {
                "items": args.items,
                "model": args.model,
                "dim": encoder.dim,
                "batch_size": args.batch_size,
                "threads": args.threads,
                "encode_images_items_per_s": round(encode_rate, 1),
                "encode_texts_items_per_s": round(args.items / text_s, 1),
                "build_index_items_per_s": round(index_rate, 1),
                "index_vs_encode_ratio": round(index_rate / encode_rate, 3),
                # The fused document needs the names' text embeddings too: the least work an index can do.
                "index_vs_encode_images_and_texts_ratio": round(
                    index_rate * (1 / encode_rate + text_s / args.items), 3
                ),
                "build_index_items_per_s_with_startup": round(args.items / index_s, 1),
                "index_encode_s": result["encode_seconds"],
                "index_startup_s": result["open_seconds"],
                "index_total_s": index_s,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
