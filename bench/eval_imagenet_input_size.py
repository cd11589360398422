"""Top-1 of the real-photo (ImageNet) tagger on real photos at its own 224-px input against the
packaged encoder's default 128 px: whether the encoder's backbone pass could also give the
ImageNet answer without costing accuracy (stylist/models/shared_backbone.py). Prints one JSON
object.

    python bench/eval_imagenet_input_size.py --catalog /path/to/fashion-real --n 600
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

SCORED = ("masterCategory", "subCategory", "articleType", "gender", "baseColour")
BATCH = 32


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, required=True, help="a Kaggle-layout folder")
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 128])
    args = parser.parse_args()

    import pandas as pd
    from PIL import Image

    from stylist.models.imagenet_tags import CatalogVocabulary, ImageNetTagger
    from stylist.models.pretrained import ImageNetLite0, Lite0Preprocess, get_imagenet_lite0

    items = pd.read_csv(args.catalog / "styles.csv", on_bad_lines="skip")
    items = items.dropna(subset=["articleType"])
    sample = list(items.sample(n=min(args.n, len(items)), random_state=7).itertuples())
    vocabulary = CatalogVocabulary.from_items(items)
    network = get_imagenet_lite0()
    top1 = {}
    for size in args.sizes:
        tagger = ImageNetTagger(vocabulary, ImageNetLite0(network.network, Lite0Preprocess(size)))
        hits = dict.fromkeys(SCORED, 0)
        for start in range(0, len(sample), BATCH):
            rows = sample[start : start + BATCH]
            images = [
                Image.open(args.catalog / "images" / f"{row.id}.jpg").convert("RGB") for row in rows
            ]
            for row, answer in zip(rows, tagger.predict(images, top_k=1), strict=True):
                for attribute in SCORED:
                    hits[attribute] += answer[attribute][0][0] == str(getattr(row, attribute))
        top1[str(size)] = {a: round(h / len(sample), 3) for a, h in hits.items()}
    print(json.dumps({"photos": len(sample), "top1_by_input_px": top1}, indent=2))


if __name__ == "__main__":
    main()
