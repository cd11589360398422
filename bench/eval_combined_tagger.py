"""Top-1 accuracy on real photos of the tagger the product uses when the real-photo tagger is on
(settings.real_photo_tagger): the install's trained tagger and the ImageNet tagger mixed by
confidence (stylist/models/combined_tagger.py). Prints one JSON object.

    python bench/eval_combined_tagger.py --data-dir .stylist --catalog /path/to/fashion-real --n 1000
    python bench/eval_combined_tagger.py --data-dir .stylist --catalog DIR --calibrate 1000

--data-dir is a built install (the demo: `stylist demo --build-only`); its trained tagger, the
ImageNet tagger alone and the mix are scored on the same photos (the evaluation sample of
real_photo_sample.py), in the install's own vocabulary, each attribute on the photos whose true
label that vocabulary has. The install's own test photos (for the demo: drawings) are scored
too (--own N), so a mix that helps real photos but spoils the catalog's own is seen.
--calibrate N fits the real-photo tagger's weight per attribute on N photos outside the
evaluation sample and prints it (the figures for taggers.PHOTO_RELIABILITY).
Without --catalog (`make bench`) a small generated catalog stands in for the real photos, and
without --data-dir a quick demo install is built in a temporary folder: the path is checked, the
figures mean nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from real_photo_sample import (  # noqa: E402
    calibration_sample,
    evaluation_sample,
    generated_catalog,
    read_catalog,
)

BATCH = 32
SCORED = ("masterCategory", "subCategory", "articleType", "baseColour", "gender")
REPORTED_WEIGHTS = (0.5, 1.0, 2.0, 5.0)
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)


def both_answers(tagger, paths):
    from PIL import Image

    trained, photo = [], []
    for start in range(0, len(paths), BATCH):
        images = [Image.open(p).convert("RGB") for p in paths[start : start + BATCH]]
        t, p = tagger.predict_both(images)
        trained += t
        photo += p
    return trained, photo


def top1(answers, truth, known):
    pairs = [(t, a[0][0]) for t, a in zip(truth, answers, strict=True) if t in known and a]
    return round(sum(t == p for t, p in pairs) / max(len(pairs), 1), 4), len(pairs)


def scores(tagger, trained, photo, sample, vocabulary, reliability=None):
    from stylist.models.combined_tagger import mix

    reliability = tagger.reliability if reliability is None else reliability
    out = {"trained": {}, "photo": {}, "combined": {}, "scored": {}}
    for attribute in SCORED:
        truth = sample[attribute].astype(str).tolist()
        known = vocabulary[attribute]
        combined = [
            mix(t.get(attribute, []), p.get(attribute, []), 1.0, reliability.get(attribute, 1.0))
            for t, p in zip(trained, photo, strict=True)
        ]
        for name, answers in (
            ("trained", [t.get(attribute, []) for t in trained]),
            ("photo", [p.get(attribute, []) for p in photo]),
            ("combined", combined),
        ):
            out[name][attribute], out["scored"][attribute] = top1(answers, truth, known)
    return out


def mixed_by_weight(trained, photo, sample, vocabulary):
    """The mix scored with one weight for the real-photo tagger on every attribute."""

    class Uniform:
        reliability: dict = {}

    return {
        str(w): scores(Uniform, trained, photo, sample, vocabulary, dict.fromkeys(SCORED, w))[
            "combined"
        ]
        for w in REPORTED_WEIGHTS
    }


def main(argv: list[str] | None = None) -> int:
    import torch

    from stylist.catalog.store import Catalog
    from stylist.models.taggers import load_tagger
    from stylist.settings import StyleSettings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a built install (default: a quick demo)")
    parser.add_argument("--catalog", type=Path, help="real photos: styles.csv + images/")
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--own", type=int, default=300, help="the install's own test photos")
    parser.add_argument("--calibrate", type=int, default=0, metavar="N")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    if args.data_dir is None:  # `make bench`: a quick demo install checks the path
        from stylist.pipeline import build_demo

        install = tempfile.TemporaryDirectory(prefix="stylist-combined-install-")
        args.data_dir = Path(install.name)
        build_demo(
            StyleSettings(data_dir=args.data_dir, min_class_count=5),
            n=240,
            quick=True,
            progress=False,
            log=lambda _msg: None,
        )
        settings = StyleSettings(data_dir=args.data_dir, min_class_count=5, real_photo_tagger="on")
    else:
        settings = StyleSettings(data_dir=args.data_dir, real_photo_tagger="on")
    tagger = load_tagger(settings)
    own = Catalog.load(settings)
    vocabulary = {a: set(own.labels(a).astype(str)) for a in SCORED}
    if args.catalog is None:
        scratch = tempfile.TemporaryDirectory(prefix="stylist-combined-bench-")
        args.catalog = generated_catalog(Path(scratch.name))
    items = read_catalog(args.catalog)
    result: dict[str, object] = {"data_dir": str(args.data_dir), "catalog": str(args.catalog)}

    if args.calibrate:
        sample = calibration_sample(items, args.calibrate)
        trained, photo = both_answers(tagger, sample["image"].tolist())
        best = {}
        for attribute in SCORED:
            by_weight = {
                w: scores(tagger, trained, photo, sample, vocabulary, {attribute: w})["combined"][
                    attribute
                ]
                for w in WEIGHTS
            }
            best[attribute] = max(by_weight, key=lambda w: (by_weight[w], -abs(w - 1.0)))
        result["calibration_n"] = len(sample)
        result["reliability"] = best
        tagger.reliability = best

    sample = evaluation_sample(items, args.n)
    trained, photo = both_answers(tagger, sample["image"].tolist())
    result["n"] = len(sample)
    result["reliability_used"] = tagger.reliability
    result["real_photos"] = scores(tagger, trained, photo, sample, vocabulary)
    result["real_photos_combined_by_weight"] = mixed_by_weight(trained, photo, sample, vocabulary)
    own_test = own.test.head(args.own)
    trained, photo = both_answers(tagger, own_test["image"].tolist())
    result["own_test_photos"] = {
        "n": len(own_test),
        **scores(tagger, trained, photo, own_test, vocabulary),
    }
    result["own_test_photos_combined_by_weight"] = mixed_by_weight(
        trained, photo, own_test, vocabulary
    )
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
