"""What `stylist demo --catalog DIR` costs: the one-command build of a Kaggle-layout folder, per
stage, in wall seconds and in CPU seconds. Prints one JSON object.

    python bench/bench_catalog_build.py --catalog /path/to/fashion-real --limit 6000 --data-dir /tmp/b

CPU seconds are what the figures in pipeline.SECONDS_PER_1000_ITEMS come from on a shared
machine: a stage that keeps both cores busy takes about CPU / 2 wall seconds on 2 idle cores.
--limit builds a slice (the first N rows of a seed-0 shuffle of styles.csv, photos linked, not
copied). Without --catalog (`make bench`) a small generated catalog is built in quick mode.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def slice_catalog(catalog: Path, limit: int, out: Path) -> Path:
    import pandas as pd

    styles = pd.read_csv(catalog / "styles.csv", on_bad_lines="skip")
    out.mkdir(parents=True, exist_ok=True)
    styles.sample(n=min(limit, len(styles)), random_state=0).to_csv(out / "styles.csv", index=False)
    if not (out / "images").exists():
        (out / "images").symlink_to((catalog / "images").resolve())
    return out


def main(argv: list[str] | None = None) -> int:
    from stylist.pipeline import build_from_catalog, count_items
    from stylist.settings import StyleSettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path)
    parser.add_argument("--limit", type=int, default=0, help="build a slice of N items")
    parser.add_argument("--data-dir", type=Path, help="where to build (default: a temp dir)")
    parser.add_argument("--attribute-model", choices=("heads", "cnn"), default="heads")
    args = parser.parse_args(argv)
    scratch = tempfile.TemporaryDirectory(prefix="stylist-catalog-build-")
    quick = args.catalog is None
    if quick:
        from stylist.catalog.demo import generate_demo_catalog

        args.catalog = Path(scratch.name) / "catalog"
        generate_demo_catalog(args.catalog, n=160, progress=False)
    elif args.limit:
        args.catalog = slice_catalog(args.catalog, args.limit, Path(scratch.name) / "slice")
    data_dir = args.data_dir or Path(scratch.name) / "data"
    settings = StyleSettings(
        data_dir=data_dir,
        attribute_model=args.attribute_model,
        **({"min_class_count": 5} if quick else {}),
    )

    stages: dict[str, dict[str, float]] = {}
    started: dict[str, tuple[float, float]] = {}

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)
        if message.startswith("… "):
            started[message[2:]] = (time.perf_counter(), time.process_time())
        elif message.startswith("✓ ") and not message.endswith("(already built)"):
            name = message[2:].rsplit(" (", 1)[0]
            wall, cpu = started.pop(name)
            stages[name] = {
                "wall_s": round(time.perf_counter() - wall, 1),
                "cpu_s": round(time.process_time() - cpu, 1),
            }

    items = count_items(args.catalog / "styles.csv")
    build_from_catalog(args.catalog, settings, quick=quick, progress=False, log=log)
    per_1000 = {name: round(s["cpu_s"] / 2 / items * 1000, 2) for name, s in stages.items()}
    print(
        json.dumps(
            {
                "items": items,
                "attribute_model": args.attribute_model,
                "stages": stages,
                "idle_2core_seconds_per_1000_items": per_1000,
                "total_cpu_s": round(sum(s["cpu_s"] for s in stages.values()), 1),
            },
            indent=1,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
