"""Tagging latency per photo and memory of the trained taggers (CNN, encoder + attribute heads),
against the bare backbone forward measured in the same run. Prints one JSON object.

    python bench/bench_tagging.py --data-dir .stylist-real     # the models of a real run
    python bench/bench_tagging.py                              # tiny models on a generated
                                                               # catalog (seconds; `make bench`)

Run in its own process on purpose: "RSS on load" means something only in a process that has not
just trained the models. The measuring code is stylist.realeval.bench (the eval-real bench stage
runs the same code).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


def build_tiny_world(root: Path) -> Path:
    """A generated catalog with quick-trained taggers: what the bench measures when no data dir
    with real models is given (the shapes are tiny, so only the overhead figures mean much)."""
    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.schema import ATTRIBUTES
    from stylist.catalog.store import Catalog, ingest
    from stylist.models.cnn import train_cnn
    from stylist.models.encoder_training import train_encoder
    from stylist.models.heads import train_attribute_heads
    from stylist.settings import StyleSettings

    settings = StyleSettings(data_dir=root, min_class_count=5, encoder="demo", device="cpu")
    styles = generate_demo_catalog(root / "catalog-src", n=160, seed=0, progress=False)
    ingest(styles, root / "catalog-src" / "images", settings, progress=False)
    catalog = Catalog.load(settings)
    train_cnn(
        catalog,
        settings,
        quick=True,
        progress=False,
        routing={"resnet18": list(ATTRIBUTES)},
    )
    train_encoder(catalog, settings, quick=True, progress=False)
    train_attribute_heads(catalog, settings, quick=True, progress=False)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="A data dir with trained models (default: build tiny ones).",
    )
    parser.add_argument("--photos", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--encoder", default="demo", help="The encoder spec the data dir's heads were trained on."
    )
    args = parser.parse_args()

    from stylist.realeval.bench import main as bench_main

    forwarded = ["--photos", str(args.photos), "--repeats", str(args.repeats)]
    forwarded += ["--encoder", args.encoder]
    if args.threads:
        forwarded += ["--threads", str(args.threads)]
    if args.data_dir is not None:
        if not args.data_dir.is_dir():
            sys.exit(f"There is no data dir at {args.data_dir}.")
        bench_main(["--data-dir", str(args.data_dir), *forwarded])
        return
    with tempfile.TemporaryDirectory(prefix="stylist-bench-tagging-") as tmp:
        build_tiny_world(Path(tmp))
        # Measure in a fresh process: this one has just trained the models (see the doc).
        command = [sys.executable, "-m", "stylist.realeval.bench", "--data-dir", tmp, *forwarded]
        sys.exit(subprocess.run(command).returncode)


if __name__ == "__main__":
    main()
