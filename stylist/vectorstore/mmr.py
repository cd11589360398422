"""Maximal marginal relevance: pick results that are relevant but not near-copies of each other,
so ten almost identical shirts don't fill a page."""

from __future__ import annotations

import numpy as np


def mmr_select(
    relevance: np.ndarray, embeddings: np.ndarray, k: int, lambda_: float = 0.7
) -> list[int]:
    """Indices (into `relevance`/`embeddings`) of k items chosen greedily by
    λ·relevance − (1−λ)·max similarity to what is already chosen.

    `embeddings` are L2-normalised rows (so a dot product is the cosine similarity);
    λ=1 is plain ranking by relevance.
    """
    n = len(relevance)
    k = min(k, n)
    if k <= 0:
        return []
    chosen = [int(np.argmax(relevance))]
    # Running maximum similarity of every candidate to the chosen set: one mat-vec per pick.
    max_sim = embeddings @ embeddings[chosen[0]]
    available = np.ones(n, dtype=bool)
    available[chosen[0]] = False
    while len(chosen) < k:
        scores = lambda_ * relevance - (1.0 - lambda_) * max_sim
        scores = np.where(available, scores, -np.inf)
        pick = int(np.argmax(scores))
        chosen.append(pick)
        available[pick] = False
        np.maximum(max_sim, embeddings @ embeddings[pick], out=max_sim)
    return chosen
