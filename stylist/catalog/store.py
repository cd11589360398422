"""The ingested catalog: one validated item table in the data dir, loaded once per process."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import pandas as pd

from stylist.atomic import atomic_write, atomic_write_text
from stylist.catalog.cleaning import merge_rare_classes
from stylist.catalog.loader import IngestReport, read_styles
from stylist.catalog.schema import ATTRIBUTES, ITEM_COLUMNS
from stylist.catalog.split import assign_split
from stylist.process_cache import ReloadingCache, file_stamp
from stylist.settings import StyleSettings, get_settings


class CatalogMissing(RuntimeError):
    """No catalog has been ingested yet; the message says how to make one."""


def ingest(
    styles_csv: Path, images_dir: Path, settings: StyleSettings | None = None, progress: bool = True
) -> IngestReport:
    """Read a Kaggle-layout catalog, split it, and write the item table + a summary JSON."""
    settings = settings or get_settings()
    report = read_styles(styles_csv, images_dir, progress=progress)
    items = report.items
    items["split"] = assign_split(
        items, settings.split_seed, settings.test_fraction, settings.min_class_count
    )
    # Atomic: the chat or a trainer reading the table never sees half of it.
    atomic_write(
        settings.items_path, lambda tmp: items[list(ITEM_COLUMNS)].to_csv(tmp, index=False)
    )
    summary = {
        "styles_csv": str(Path(styles_csv).resolve()),
        "images_dir": str(Path(images_dir).resolve()),
        "rows_read": report.rows_read,
        "items_kept": len(items),
        "names_rejoined": report.names_rejoined,
        "rows_skipped": dict(report.skipped),
        "split": items["split"].value_counts().to_dict(),
        "class_counts": report.class_counts(),
    }
    atomic_write_text(
        settings.items_path.parent / "ingest-summary.json", json.dumps(summary, indent=2)
    )
    return report


def ingested_from(settings: StyleSettings | None = None) -> Path | None:
    """The styles.csv the current catalog was ingested from (resolved); None before an ingest
    or when the summary is unreadable."""
    settings = settings or get_settings()
    summary = settings.items_path.parent / "ingest-summary.json"
    try:
        return Path(json.loads(summary.read_text(encoding="utf-8"))["styles_csv"]).resolve()
    except (OSError, ValueError, KeyError, TypeError):
        return None


class Catalog:
    """The item table with its split and the cleaned training labels."""

    def __init__(self, items: pd.DataFrame, min_class_count: int = 50):
        self.items = items.set_index("id", drop=False)
        self.items.index.name = None
        self.min_class_count = min_class_count

    @classmethod
    def load(cls, settings: StyleSettings | None = None) -> Catalog:
        settings = settings or get_settings()
        path = settings.items_path
        if not path.is_file():
            raise CatalogMissing(
                f"No catalog has been ingested in {settings.data_dir}. Run `stylist demo-data` "
                "for the demo catalog, or `stylist ingest --styles styles.csv --images images/`."
            )
        items = pd.read_csv(path, dtype={a: str for a in ATTRIBUTES} | {"productDisplayName": str})
        items["productDisplayName"] = items["productDisplayName"].fillna("")
        items["year"] = items["year"].astype("Int64")
        return cls(items, settings.min_class_count)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def train(self) -> pd.DataFrame:
        return self.items[self.items["split"] == "train"]

    @property
    def test(self) -> pd.DataFrame:
        return self.items[self.items["split"] == "test"]

    @cached_property
    def _clean_labels(self) -> pd.DataFrame:
        return pd.DataFrame(
            {a: merge_rare_classes(self.items[a], self.min_class_count) for a in ATTRIBUTES}
        )

    def labels(self, attribute: str, split: str | None = None) -> pd.Series:
        """Training labels for one attribute, rare classes merged into "Other"."""
        labels = self._clean_labels[attribute]
        return labels if split is None else labels[self.items["split"] == split]

    def known_values(self, attribute: str) -> list[str]:
        """The raw values present in the catalog, most frequent first (for filters)."""
        return self.items[attribute].value_counts().index.tolist()

    def item(self, item_id: int) -> dict[str, object]:
        try:
            row = self.items.loc[int(item_id)]
        except KeyError:
            raise KeyError(f"There is no item {item_id} in the catalog.") from None
        return row.to_dict()

    def image_path(self, item_id: int) -> Path:
        return Path(str(self.item(item_id)["image"]))


_CATALOGS: ReloadingCache[Catalog] = ReloadingCache()


def get_catalog(settings: StyleSettings | None = None) -> Catalog:
    """The process-wide catalog; reloaded when items.csv changes (e.g. after a new ingest)."""
    settings = settings or get_settings()
    # min_class_count shapes the cleaned labels, so it is part of what the catalog was built from.
    key = (file_stamp(settings.items_path), settings.min_class_count)
    return _CATALOGS.get(key, lambda: Catalog.load(settings))
