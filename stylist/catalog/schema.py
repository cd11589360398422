"""The Kaggle Fashion Product Images schema: the columns of styles.csv and the 7 attributes."""

from __future__ import annotations

# The attributes every classifier predicts and every filter may use, in the catalog's order.
ATTRIBUTES: tuple[str, ...] = (
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "baseColour",
    "season",
    "usage",
)

# styles.csv columns, exactly as the Kaggle download names and orders them.
STYLES_COLUMNS: tuple[str, ...] = (
    "id",
    "gender",
    "masterCategory",
    "subCategory",
    "articleType",
    "baseColour",
    "season",
    "year",
    "usage",
    "productDisplayName",
)

# Columns of the validated item table that `stylist ingest` writes (items.csv).
ITEM_COLUMNS: tuple[str, ...] = (*STYLES_COLUMNS, "price", "image", "split")

OTHER = "Other"
