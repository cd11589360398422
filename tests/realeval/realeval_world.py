"""Helpers of the real-evaluation tests: a generated catalog in the Kaggle layout stands in for
a real one (tests never read ../shared), with a small KAGL-style ground truth for it."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

N_ITEMS = 200
# ~9 items per article type in 200: keep them as classes instead of merging all into "Other".
MIN_CLASS_COUNT = 5


@dataclass
class RealRun:
    catalog_dir: Path
    kagl_gt: Path
    data_dir: Path
    docs_dir: Path
    log: list[str] = field(default_factory=list)

    def copy(self, dest: Path) -> RealRun:
        """Another installation with the same finished run, for tests that change it."""
        shutil.copytree(self.data_dir, dest / "data")
        return RealRun(self.catalog_dir, self.kagl_gt, dest / "data", dest / "docs")


def quick_settings():
    from stylist.settings import StyleSettings

    return StyleSettings(min_class_count=MIN_CLASS_COUNT, device="cpu")


def write_ground_truth(catalog_dir: Path, out: Path) -> Path:
    """Marqo's file shapes ({query: {item_id: 1}}) over this catalog: names of some items, one
    query whose item is not in the catalog, and article types."""
    import pandas as pd

    styles = pd.read_csv(catalog_dir / "styles.csv")
    out.mkdir(parents=True, exist_ok=True)
    text_image = {row.productDisplayName: {str(row.id): 1} for row in styles.head(80).itertuples()}
    text_image["an item this catalog does not have"] = {"99999999": 1}
    types = {t: {str(i): 1 for i in group["id"]} for t, group in styles.groupby("articleType")}
    (out / "ground_truth_text-image.json").write_text(json.dumps(text_image))
    (out / "ground_truth_category3-image+text.json").write_text(json.dumps(types))
    return out
