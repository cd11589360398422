"""Top-1 accuracy of the ImageNet real-photo tagger on real catalog photos. Prints one JSON object.

    python bench/eval_real_photo_tagger.py --catalog /path/to/fashion-real --n 1000
    python bench/eval_real_photo_tagger.py --catalog DIR --n 2000 --colour-only

--catalog is a Kaggle-layout folder (styles.csv + images/<id>.jpg); without it (`make bench`) a
small generated demo catalog of drawings is scored, which checks the path, not the figures. The sample is the first n of
a seed-0 permutation (real_photo_sample.py; colour calibration never draws from it). The tagger
answers in the demo catalog's vocabulary (--vocabulary demo, what the demo install uses) or in the
folder's own (--vocabulary catalog). Each attribute is scored on the photos whose true label is in
that vocabulary (`scored` says how many); baseColour also gets the weighted F1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from real_photo_sample import evaluation_sample, generated_catalog, read_catalog  # noqa: E402

BATCH = 32


def main(argv: list[str] | None = None) -> int:
    import torch
    from PIL import Image
    from sklearn.metrics import f1_score

    from stylist.catalog.schema import ATTRIBUTES
    from stylist.models.garment_colour import ColourPalette, colour_shares
    from stylist.models.imagenet_tags import CatalogVocabulary, ImageNetTagger

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, help="styles.csv + images/ folder")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--vocabulary", choices=("demo", "catalog"), default="demo")
    parser.add_argument("--colour-only", action="store_true", help="score garment_colour alone")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    if args.catalog is None:
        scratch = tempfile.TemporaryDirectory(prefix="stylist-tagger-bench-")
        args.catalog = generated_catalog(Path(scratch.name))
    items = read_catalog(args.catalog)
    sample = evaluation_sample(items, args.n)
    vocabulary = (
        CatalogVocabulary.demo()
        if args.vocabulary == "demo"
        else CatalogVocabulary.from_items(items)
    )

    predicted: dict[str, list[str]] = {a: [] for a in ATTRIBUTES}
    paths = sample["image"].tolist()
    if args.colour_only:
        palette = ColourPalette.for_names(vocabulary.labels("baseColour"))
        predicted["baseColour"] = [colour_shares(Image.open(p), palette)[0][0] for p in paths]
        attributes = ("baseColour",)
    else:
        tagger = ImageNetTagger(vocabulary)
        for start in range(0, len(paths), BATCH):
            images = [Image.open(p).convert("RGB") for p in paths[start : start + BATCH]]
            for tags in tagger.predict(images, top_k=1):
                for attribute in ATTRIBUTES:
                    predicted[attribute].append(tags[attribute][0][0])
        attributes = ("masterCategory", "subCategory", "articleType", "baseColour", "gender")

    result: dict[str, object] = {
        "catalog": str(args.catalog),
        "n": len(sample),
        "vocabulary": args.vocabulary,
        "top1": {},
        "scored": {},
    }
    for attribute in attributes:
        truth = sample[attribute].astype(str).tolist()
        known = set(vocabulary.labels(attribute))
        pairs = [(t, p) for t, p in zip(truth, predicted[attribute], strict=True) if t in known]
        result["top1"][attribute] = round(sum(t == p for t, p in pairs) / max(len(pairs), 1), 4)
        result["scored"][attribute] = len(pairs)
        if attribute == "baseColour" and pairs:
            y_true, y_pred = zip(*pairs, strict=True)
            result["baseColour_weighted_f1"] = round(
                float(f1_score(y_true, y_pred, average="weighted", zero_division=0)), 4
            )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
