"""The one ranking convention (1-based ranks; Recall@k = share with rank <= k; MRR = mean 1/rank)
that the encoder's held-out retrieval and `stylist eval search` both report."""

from __future__ import annotations

import numpy as np
import pytest

from stylist.models.contrastive import retrieval_metrics
from stylist.models.ranking import (
    first_relevant_ranks,
    mean_reciprocal_rank,
    recall_at,
    recall_metrics,
)
from stylist.vectorstore import evaluation


def test_ranks_are_one_based_and_count_only_rows_scored_higher():
    gallery = np.eye(4, dtype=np.float32)
    queries = np.array(
        [
            [1.0, 0.0, 0.0, 0.0],  # its relevant row 0 is the top result
            [0.9, 0.5, 0.1, 0.0],  # relevant row 2 is third
            [0.0, 0.7, 0.7, 0.0],  # relevant row 2 ties with row 1: the tie does not count
            [0.3, 0.2, 0.1, 0.4],  # relevant rows 1 and 2: the better one (row 1) is third
        ],
        dtype=np.float32,
    )
    relevant = [np.array([0]), np.array([2]), np.array([2]), np.array([1, 2])]
    ranks = first_relevant_ranks(queries, gallery, relevant)
    assert ranks.tolist() == [1, 3, 1, 3]
    assert recall_at(ranks, 1) == 0.5 and recall_at(ranks, 3) == 1.0
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 1 + 1 / 3) / 4)
    assert recall_metrics(ranks) == {
        "R@1": 0.5,
        "R@5": 1.0,
        "R@10": 1.0,
        "MRR": pytest.approx((1 + 1 / 3 + 1 + 1 / 3) / 4),
        "queries": 4,
    }
    assert recall_metrics(np.array([], dtype=np.int64)) == {"queries": 0}


def test_encoder_retrieval_and_search_evaluation_agree_on_the_same_ranking():
    rng = np.random.default_rng(3)
    images = rng.normal(size=(30, 8)).astype(np.float32)
    texts = images + rng.normal(scale=1.5, size=images.shape).astype(np.float32)
    names = [f"item {i // 2}" for i in range(30)]  # pairs of items share a name
    encoder_view = retrieval_metrics(texts, images, names)
    for rule, relevant in (
        ("exact", [np.array([i]) for i in range(30)]),
        ("same_name", [np.array([i - i % 2, i - i % 2 + 1]) for i in range(30)]),
    ):
        search_view = evaluation.recall_metrics(
            evaluation.first_relevant_ranks(texts, images, relevant)
        )
        assert encoder_view[rule]["recall@1"] == search_view["R@1"]
        assert encoder_view[rule]["recall@10"] == search_view["R@10"]
        assert encoder_view[rule]["mrr"] == pytest.approx(search_view["MRR"])
    assert 0 < encoder_view["exact"]["recall@1"] < encoder_view["exact"]["recall@10"] < 1
