"""Measure how real catalog photos render each colour name and write it into the colour table.

    python bench/calibrate_garment_colours.py --catalog /path/to/fashion-real --n 3000 --write

For every baseColour name with at least --min-photos labelled photos in the calibration sample
(photos the evaluation sample never uses; see real_photo_sample.py), measures `photo_lab`, the
median over those photos of their garment pixels' median Lab, and prints one JSON object with the
measurements. Only --write puts them into stylist/models/colour_references.json. Without
--catalog (`make bench`) it measures a small generated demo catalog and never writes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image
from real_photo_sample import calibration_sample, generated_catalog, read_catalog


def main(argv: list[str] | None = None) -> int:
    from stylist.models.garment_colour import REFERENCES_PATH, garment_pixels

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, help="styles.csv + images/ folder")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--min-photos", type=int, default=8)
    parser.add_argument("--write", action="store_true", help="update colour_references.json")
    args = parser.parse_args(argv)

    if args.catalog is None:
        scratch = tempfile.TemporaryDirectory(prefix="stylist-colour-bench-")
        sample = read_catalog(generated_catalog(Path(scratch.name)))
        args.write = False
    else:
        sample = calibration_sample(read_catalog(args.catalog), args.n)
    medians: dict[str, list[np.ndarray]] = {}
    for path, colour in zip(sample["image"], sample["baseColour"], strict=True):
        pixels = garment_pixels(Image.open(path))
        medians.setdefault(str(colour), []).append(np.median(pixels, axis=0))

    document = json.loads(REFERENCES_PATH.read_text(encoding="utf-8"))
    measured = {}
    for name, entry in document["colours"].items():
        entry.pop("photo_lab", None)
        found = medians.get(name, [])
        if len(found) >= args.min_photos:
            entry["photo_lab"] = [round(float(v), 1) for v in np.median(found, axis=0)]
            measured[name] = {"photos": len(found), "photo_lab": entry["photo_lab"]}
    result = {"photos": len(sample), "written": args.write, "measured": measured}
    if not args.write:
        print(json.dumps(result, indent=1))
        return 0
    lines = ["{", f' "_comment": {json.dumps(document["_comment"])},', ' "colours": {']
    entries = list(document["colours"].items())
    lines += [
        f"  {json.dumps(name)}: {json.dumps(entry)}{',' if i < len(entries) - 1 else ''}"
        for i, (name, entry) in enumerate(entries)
    ]
    lines += [" }", "}"]
    REFERENCES_PATH.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
