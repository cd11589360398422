"""Label cleaning as the reference project did it: rare classes merge into "Other"."""

from __future__ import annotations

import pandas as pd

from stylist.catalog.schema import OTHER


def merge_rare_classes(labels: pd.Series, min_count: int) -> pd.Series:
    """Replace every class seen fewer than `min_count` times by "Other".

    Classifiers cannot learn a class from a handful of photos, and the weighted-F1 table the
    reference published was computed this way, so our figures stay comparable with it.
    """
    counts = labels.value_counts()
    rare = counts.index[counts < min_count]
    if len(rare) == 0:
        return labels.copy()
    return labels.where(~labels.isin(rare), OTHER)
