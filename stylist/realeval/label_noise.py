"""Evidence of label noise in a catalog: items that are the same product by name, or by photo
(near-identical image embeddings), yet carry different labels.

When a tagger misses its target on an attribute such as season, these pairs show how often the
catalog itself gives two answers for one look, which caps what any tagger can score. Nothing
here is a model: it counts label disagreements among duplicates the catalog already holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _pair_count(n: np.ndarray | int) -> np.ndarray | int:
    return n * (n - 1) // 2


def same_name_disagreements(
    items: pd.DataFrame, attributes: Sequence[str], examples: int = 5
) -> dict[str, Any]:
    """Among items sharing a productDisplayName: pairs, pairs whose label differs per attribute,
    and a few such groups (ids and labels) as examples."""
    names = items["productDisplayName"].fillna("").astype(str).str.strip()
    named = items.assign(_name=names)[names != ""]
    sizes = named.groupby("_name").size()
    repeated = named[named["_name"].isin(sizes[sizes > 1].index)]
    pairs = int(_pair_count(sizes[sizes > 1]).sum())
    result: dict[str, Any] = {
        "groups": int((sizes > 1).sum()),
        "items": len(repeated),
        "pairs": pairs,
        "attributes": {},
    }
    for attribute in attributes:
        same = repeated.groupby(["_name", attribute]).size()
        agreeing = int(_pair_count(same).sum())
        disagreeing = pairs - agreeing
        shown = []
        for name, group in repeated.groupby("_name", sort=False):
            if len(shown) >= examples:
                break
            if group[attribute].nunique() > 1:
                shown.append(
                    {
                        "name": str(name),
                        "items": [
                            {"id": int(i), "label": str(v)}
                            for i, v in zip(group["id"][:4], group[attribute][:4], strict=True)
                        ],
                    }
                )
        result["attributes"][attribute] = {
            "disagreeing_pairs": disagreeing,
            "share": round(disagreeing / pairs, 3) if pairs else 0.0,
            "examples": shown,
        }
    return result


def nearest_neighbours(embeddings: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """Each row's most similar other row (cosine) and that similarity, in chunks so the full
    similarity matrix never sits in memory."""
    x = np.asarray(embeddings, dtype=np.float32)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    best = np.empty(len(x), dtype=np.int64)
    score = np.empty(len(x), dtype=np.float32)
    for start in range(0, len(x), chunk):
        sims = x[start : start + chunk] @ x.T
        rows = np.arange(sims.shape[0])
        sims[rows, start + rows] = -np.inf  # not itself
        best[start : start + chunk] = sims.argmax(1)
        score[start : start + chunk] = sims[rows, best[start : start + chunk]]
    return best, score


def near_duplicate_disagreements(
    items: pd.DataFrame,
    image_embeddings: np.ndarray,
    attributes: Sequence[str],
    *,
    min_cosine: float = 0.98,
    examples: int = 5,
) -> dict[str, Any]:
    """Pairs of items whose photos' embeddings are near-identical (each one's nearest
    neighbour at cosine >= min_cosine, counted once), and how many differ per attribute."""
    best, score = nearest_neighbours(image_embeddings)
    close = np.flatnonzero(score >= min_cosine)
    pairs = sorted({(min(i, int(best[i])), max(i, int(best[i]))) for i in close})
    ids = items["id"].to_numpy()
    result: dict[str, Any] = {"min_cosine": min_cosine, "pairs": len(pairs), "attributes": {}}
    for attribute in attributes:
        labels = items[attribute].astype(str).to_numpy()
        differing = [(a, b) for a, b in pairs if labels[a] != labels[b]]
        result["attributes"][attribute] = {
            "disagreeing_pairs": len(differing),
            "share": round(len(differing) / len(pairs), 3) if pairs else 0.0,
            "examples": [
                {
                    "ids": [int(ids[a]), int(ids[b])],
                    "labels": [str(labels[a]), str(labels[b])],
                    "cosine": round(float(max(score[a], score[b])), 4),
                }
                for a, b in differing[:examples]
            ],
        }
    return result
