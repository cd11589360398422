"""The evaluation helpers: weighted F1, the report table, k-shot draws."""

from __future__ import annotations

import numpy as np
import pytest

from stylist.catalog.schema import ATTRIBUTES
from stylist.models.metrics import (
    REFERENCE_WEIGHTED_F1,
    draw_support,
    format_f1_table,
    majority_accuracy,
    summarise_draws,
    weighted_f1_table,
)


def test_weighted_f1_table_has_every_attribute_and_the_average():
    truth = {a: ["x", "y", "y", "z"] for a in ATTRIBUTES}
    predicted = {a: ["x", "y", "z", "z"] for a in ATTRIBUTES}
    table = weighted_f1_table(truth, predicted)
    assert list(table) == [*ATTRIBUTES, "average"]
    assert table["average"] == pytest.approx(table["gender"])
    assert 0 < table["gender"] < 1
    text = format_f1_table({"weighted_f1": table})
    assert "articleType" in text and f"{REFERENCE_WEIGHTED_F1['articleType']:.2f}" in text


def test_draw_support_takes_k_of_each_class_without_replacement():
    labels = np.array(["a"] * 10 + ["b"] * 3 + ["c"] * 6)
    rng = np.random.default_rng(0)
    chosen = draw_support(labels, ["a", "b"], 5, rng)
    assert len(chosen) == len(set(chosen.tolist())) == 5 + 3  # b has only 3
    assert set(labels[chosen]) == {"a", "b"}
    assert (labels[chosen] == "a").sum() == 5


def test_summaries_and_majority():
    summary = summarise_draws({"head": {5: [0.8, 1.0]}})
    assert summary["head"][5] == {"mean": pytest.approx(0.9), "std": pytest.approx(0.1), "draws": 2}
    assert majority_accuracy(["a", "a", "b", "a"]) == 0.75
