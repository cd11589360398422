"""Ranking metrics of a retrieval (Recall@k, MRR): the one implementation every evaluator uses
(the encoder's held-out retrieval, `stylist eval search`, the real-catalog run).

Rank convention: ranks are 1-based. A query's rank is 1 + the number of gallery rows that
score strictly higher than its best-scoring relevant row, so rank 1 means a relevant item is
the top result, Recall@k is the share of queries with rank <= k, and MRR is the mean of 1/rank.
A non-relevant row that ties with the best relevant one does not push it down.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

RECALL_AT = (1, 5, 10)
QUERY_BATCH = 256


def first_relevant_ranks(
    queries: np.ndarray,
    gallery: np.ndarray,
    relevant: Sequence[np.ndarray],
    progress: bool = False,
    desc: str = "rank",
) -> np.ndarray:
    """The 1-based rank of the best-ranked relevant gallery row for each query (dot products).

    `relevant[i]` holds the gallery rows relevant to query i (non-empty)."""
    ranks = np.empty(len(queries), dtype=np.int64)
    for start in tqdm(range(0, len(queries), QUERY_BATCH), desc=desc, disable=not progress):
        scores = queries[start : start + QUERY_BATCH] @ gallery.T
        for j, row_scores in enumerate(scores):
            best = row_scores[relevant[start + j]].max()
            ranks[start + j] = int((row_scores > best).sum()) + 1
    return ranks


def recall_at(ranks: np.ndarray, k: int) -> float:
    return float(np.mean(np.asarray(ranks) <= k))


def mean_reciprocal_rank(ranks: np.ndarray) -> float:
    return float(np.mean(1.0 / np.asarray(ranks, dtype=np.float64)))


def recall_metrics(ranks: np.ndarray, ks: Sequence[int] = RECALL_AT) -> dict[str, float]:
    """{"R@k": ..., "MRR": ..., "queries": n} of 1-based ranks ({"queries": 0} when none)."""
    if len(ranks) == 0:
        return {"queries": 0}
    out: dict[str, float] = {f"R@{k}": recall_at(ranks, k) for k in ks}
    out["MRR"] = mean_reciprocal_rank(ranks)
    out["queries"] = int(len(ranks))
    return out
