"""Read a catalog in the Kaggle layout (styles.csv + images/<id>.jpg) into a validated table.

The real styles.csv is not clean CSV: some productDisplayName values contain commas that are
not quoted. The name is the last column, so a row with too many fields is repaired by joining
the surplus back into the name; any other damage skips the row, counted by reason.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from stylist.catalog.prices import simulated_price
from stylist.catalog.schema import ATTRIBUTES, STYLES_COLUMNS
from stylist.images import ImageRejected, load_image

NAME_INDEX = STYLES_COLUMNS.index("productDisplayName")


class CatalogError(ValueError):
    """A catalog that cannot be read at all; the message is a sentence for the operator."""


@dataclass
class IngestReport:
    items: pd.DataFrame
    rows_read: int = 0
    names_rejoined: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> rows

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def class_counts(self) -> dict[str, dict[str, int]]:
        return {a: self.items[a].value_counts().to_dict() for a in ATTRIBUTES}


def _parse_row(fields: list[str]) -> tuple[dict[str, object] | None, str | None, bool]:
    """One styles.csv row -> (record, skip reason, name was rejoined)."""
    rejoined = False
    if len(fields) > len(STYLES_COLUMNS):
        fields = [*fields[:NAME_INDEX], ",".join(fields[NAME_INDEX:])]
        rejoined = True
    if len(fields) < len(STYLES_COLUMNS):
        return None, "too few fields", False
    record: dict[str, object] = {c: v.strip() for c, v in zip(STYLES_COLUMNS, fields, strict=True)}
    try:
        record["id"] = int(str(record["id"]))
    except ValueError:
        return None, "id is not a number", False
    if int(record["id"]) <= 0:
        return None, "id is not a number", False
    for attribute in ATTRIBUTES:
        if not record[attribute]:
            return None, f"missing {attribute}", False
    year = str(record["year"])
    try:
        record["year"] = int(float(year)) if year else pd.NA
    except ValueError:
        return None, "year is not a number", False
    return record, None, rejoined


def read_styles(
    styles_csv: Path, images_dir: Path, *, progress: bool = True, check_images: bool = True
) -> IngestReport:
    """Parse styles.csv, keep the rows that are sound and have a readable image."""
    styles_csv, images_dir = Path(styles_csv), Path(images_dir)
    if not styles_csv.is_file():
        raise CatalogError(f"There is no styles file at {styles_csv}.")
    if not images_dir.is_dir():
        raise CatalogError(f"There is no images folder at {images_dir}.")

    report = IngestReport(items=pd.DataFrame())
    records: list[dict[str, object]] = []
    seen: set[int] = set()
    with styles_csv.open(newline="", encoding="utf-8", errors="replace") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        if header[: len(STYLES_COLUMNS)] != list(STYLES_COLUMNS):
            raise CatalogError(
                f"{styles_csv} does not have the Kaggle columns "
                f"({', '.join(STYLES_COLUMNS)}); it starts with {', '.join(header[:4]) or 'nothing'}."
            )
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            report.rows_read += 1
            record, reason, rejoined = _parse_row(fields)
            if record is None:
                report.skipped[reason] += 1
                continue
            if record["id"] in seen:
                report.skipped["duplicate id"] += 1
                continue
            seen.add(int(record["id"]))
            report.names_rejoined += rejoined
            records.append(record)

    kept: list[dict[str, object]] = []
    for record in tqdm(records, desc="checking images", unit="img", disable=not progress):
        image = images_dir / f"{record['id']}.jpg"
        if not image.is_file():
            report.skipped["image missing"] += 1
            continue
        if check_images:
            try:
                load_image(image)
            except ImageRejected:
                report.skipped["image unreadable"] += 1
                continue
        record["image"] = str(image.resolve())
        record["price"] = simulated_price(str(record["articleType"]), int(record["id"]))
        kept.append(record)

    columns = [*STYLES_COLUMNS, "price", "image"]
    items = pd.DataFrame(kept, columns=columns)
    items["id"] = items["id"].astype("int64")
    items["year"] = items["year"].astype("Int64")
    items["price"] = items["price"].astype(float)
    report.items = items.reset_index(drop=True)
    return report
