"""Search evaluation (own protocol + Marqo ground-truth files) and the CLI commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from stylist.cli import app
from stylist.vectorstore.evaluation import evaluate_search, first_relevant_ranks, recall_metrics
from stylist.vectorstore.mmr import mmr_select


def test_rank_and_recall_arithmetic():
    gallery = np.eye(4, dtype=np.float32)
    queries = np.array([[1, 0.5, 0, 0], [0, 0.2, 0.9, 0]], dtype=np.float32)
    ranks = first_relevant_ranks(queries, gallery, [np.array([1]), np.array([2, 3])])
    assert ranks.tolist() == [2, 1]
    m = recall_metrics(ranks)
    assert m["R@1"] == 0.5 and m["R@5"] == 1.0 and m["MRR"] == pytest.approx(0.75)


def test_mmr_skips_near_duplicates():
    a = np.array([1.0, 0.0])
    near = np.array([0.999, 0.045])
    other = np.array([0.6, 0.8])
    emb = np.stack([a, near / np.linalg.norm(near), other]).astype(np.float32)
    relevance = np.array([0.9, 0.89, 0.6])
    assert mmr_select(relevance, emb, 2, 0.5) == [0, 2]
    assert mmr_select(relevance, emb, 2, 1.0) == [0, 1]  # λ=1 is plain ranking


def test_evaluate_search_with_ground_truth_files(world, tmp_path):
    from stylist.catalog.store import get_catalog

    catalog = get_catalog(world)
    test_item = catalog.test.iloc[0]
    train_item = catalog.train.iloc[0]
    gt = tmp_path / "gt"
    gt.mkdir()
    (gt / "ground_truth_text-image.json").write_text(
        json.dumps(
            {
                test_item["productDisplayName"]: {str(test_item["id"]): 1, "999999999": 1},
                train_item["productDisplayName"]: {str(train_item["id"]): 1},  # training: dropped
                "a product not in this catalog": {"999999998": 1},  # dropped
            }
        )
    )
    colour = test_item["baseColour"]
    only_test = catalog.test[catalog.test["baseColour"] == colour]["id"]
    (gt / "ground_truth_baseColour-image+text.json").write_text(
        json.dumps({colour: {str(i): 1 for i in only_test}})
    )

    out = evaluate_search(world, kagl_gt=gt, max_queries=40, progress=False)
    results = out["results"]
    names = results["names"]["image"]
    assert names["exact"]["queries"] == 40
    assert 0 <= names["exact"]["R@1"] <= names["exact"]["R@10"] <= 1
    assert names["same_name"]["R@10"] >= names["exact"]["R@10"]
    for task in ("category3", "baseColour", "season", "usage"):
        metrics = results["attributes"][task]
        assert 0 <= metrics["P@1"] <= 1 and 0 < metrics["MRR"] <= 1 and metrics["queries"] > 0
    text_image = results["kagl_gt"]["text-image"]
    assert text_image["queries_in_file"] == 3 and text_image["queries_kept"] == 1
    assert text_image["dropped_no_item_in_catalog"] == 1
    assert text_image["dropped_relevant_in_training_split"] == 1
    assert text_image["gallery"] == "image" and "R@10" in text_image
    assert results["kagl_gt"]["baseColour-image+text"]["gallery"] == "fused"
    assert (world.reports_dir / "search" / "search-eval.json").is_file()
    assert (world.reports_dir / "search" / "search-recall.png").is_file()


runner = CliRunner()


def test_cli_search_outfit_index_and_errors(world):
    result = runner.invoke(app, ["search", "red dress", "--k", "3", "--json"])
    assert result.exit_code == 0, result.output
    products = json.loads(result.output)
    assert products and all(
        p["attributes"]["baseColour"] == "Red" and p["attributes"]["articleType"] == "Dresses"
        for p in products
    )

    result = runner.invoke(app, ["search", "shirts", "--gender", "men", "--max-price", "40"])
    assert result.exit_code == 0 and "Filters: Men · Shirts · under $40" in result.output

    result = runner.invoke(app, ["search", "dress", "--colour", "Ruby"])
    assert result.exit_code == 2
    assert "I don't know the colour 'Ruby'; the closest I have are Red, Maroon." in (result.output)

    item = str(int(json.loads(runner.invoke(app, ["search", "shirt", "--json"]).output)[0]["id"]))
    result = runner.invoke(app, ["outfit", "--item", item])
    assert result.exit_code == 0 and "Outfit around" in result.output

    result = runner.invoke(app, ["index"])
    assert result.exit_code == 0 and '"added": 0' in result.output

    result = runner.invoke(app, ["search", "x", "--k", "51"])
    assert result.exit_code != 0  # typer's own range check


def test_cli_without_an_index_says_how_to_build_it(tmp_path, monkeypatch):
    from stylist.settings import get_settings

    result = runner.invoke(app, ["search", "red dress"])
    assert result.exit_code == 2
    assert "No catalog has been ingested" in result.output
    assert "Traceback" not in result.output
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("spec", "trained"),
    [("demo", True), ("packaged:lite0-minilm", True), ("hf-hub:someone/some-clip", False)],
)
def test_kagl_training_items_are_dropped_for_every_encoder_trained_here(world, spec, trained):
    # A packaged encoder's projections are trained on this catalog's training split: its KAGL
    # figure must not count queries whose items it learned (it read 0.84 instead of the
    # held-out figure when they were kept).
    from stylist.vectorstore.evaluation import _trained_here

    assert _trained_here(world.model_copy(update={"encoder": spec}), None) is trained
