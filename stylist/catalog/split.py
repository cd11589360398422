"""The one train/test split every trainer and evaluator reuses."""

from __future__ import annotations

import pandas as pd
from sklearn.model_selection import train_test_split

from stylist.catalog.cleaning import merge_rare_classes

# Stratify on the finest attribute, so that every article type is represented in both halves.
STRATIFY_ON = "articleType"


def assign_split(
    items: pd.DataFrame, seed: int, test_fraction: float, min_count: int = 50
) -> pd.Series:
    """Return "train"/"test" per row: stratified by cleaned articleType, deterministic in `seed`.

    Rows are ordered by id first, so the split does not depend on the order of styles.csv.
    """
    if len(items) < 2:
        return pd.Series("train", index=items.index, name="split")
    ordered = items.sort_values("id")
    strata = merge_rare_classes(ordered[STRATIFY_ON].astype(str), min_count)
    # train_test_split needs two members per stratum: pool the lonely ones together.
    counts = strata.value_counts()
    strata = strata.where(~strata.isin(counts.index[counts < 2]), "__pooled__")
    if (strata == "__pooled__").sum() == 1 or strata.nunique() > len(ordered) * test_fraction:
        stratify = None
    else:
        stratify = strata
    train_idx, test_idx = train_test_split(
        ordered.index, test_size=test_fraction, random_state=seed, stratify=stratify
    )
    split = pd.Series("train", index=items.index, name="split")
    split.loc[test_idx] = "test"
    return split
