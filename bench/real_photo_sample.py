"""The real-photo samples the bench scripts share: one rule, so evaluation and calibration
never draw the same photos.

The evaluation sample of n photos is `items.sample(n, random_state=0)`, a prefix of the same
permutation for every n; calibration draws only from photos outside the first
`EVALUATION_RESERVE` of that permutation.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

EVALUATION_SEED = 0
EVALUATION_RESERVE = 5000


def generated_catalog(root: Path, n: int = 240) -> Path:
    """A small synthetic demo catalog (Kaggle layout) for a run without --catalog (`make bench`):
    the scripts then exercise their whole path in seconds; the figures describe drawings."""
    from stylist.catalog.demo import generate_demo_catalog

    generate_demo_catalog(root, n=n, seed=0, progress=False)
    return root


def read_catalog(catalog_dir: Path) -> pd.DataFrame:
    """styles.csv + images/<id>.jpg of a Kaggle-layout folder: the rows that have a photo."""
    from stylist.catalog.loader import read_styles

    report = read_styles(
        catalog_dir / "styles.csv", catalog_dir / "images", progress=False, check_images=False
    )
    return report.items.reset_index(drop=True)


def evaluation_sample(items: pd.DataFrame, n: int) -> pd.DataFrame:
    if n > EVALUATION_RESERVE:
        raise SystemExit(
            f"--n is at most {EVALUATION_RESERVE} (the photos calibration never uses)."
        )
    return items.sample(n=min(n, len(items)), random_state=EVALUATION_SEED)


def calibration_sample(items: pd.DataFrame, n: int, seed: int = 1) -> pd.DataFrame:
    reserved = items.sample(n=min(EVALUATION_RESERVE, len(items)), random_state=EVALUATION_SEED)
    rest = items.drop(reserved.index)
    return rest.sample(n=min(n, len(rest)), random_state=seed)
