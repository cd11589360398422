"""Catalog embeddings (cached per encoder and catalog), encoder training and its reports,
retrieval metrics, and the `stylist train encoder` / `stylist eval encoder` commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stylist.catalog.store import Catalog
from stylist.layout import InstallLayout
from stylist.models.contrastive import field_caption, retrieval_metrics
from stylist.models.embeddings import cache_path, embed_catalog
from stylist.models.encoder import build_encoder, load_encoder
from stylist.models.encoder_training import EncoderTrainOptions, train_encoder
from stylist.settings import StyleSettings

N_ITEMS = 160


@pytest.fixture(scope="session")
def small_catalog_csv(tmp_path_factory) -> Path:
    """A generated demo catalog of a few hundred items, ingested once per session."""
    import torch

    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import ingest

    torch.set_num_threads(1)  # CI machines are small and shared
    settings = StyleSettings(data_dir=tmp_path_factory.mktemp("encoder-catalog"))
    styles = generate_demo_catalog(settings.demo_catalog_dir, n=N_ITEMS, seed=3, progress=False)
    ingest(styles, settings.demo_catalog_dir / "images", settings, progress=False)
    return settings.items_path


@pytest.fixture
def installation(small_catalog_csv, isolated_settings) -> StyleSettings:
    """This test's data dir (from the autouse fixture) with the small catalog ingested."""
    isolated_settings.items_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(small_catalog_csv, isolated_settings.items_path)
    return isolated_settings


# --- embeddings ----------------------------------------------------------------------------


def test_embed_catalog_computes_aligned_arrays_and_then_reads_the_cache(installation):
    catalog = Catalog.load(installation)
    encoder = build_encoder("stylist-tiny", seed=0)
    first = embed_catalog(catalog, encoder, progress=False)
    assert first.ids.dtype == np.int64 and list(first.ids) == catalog.items["id"].tolist()
    for array in (first.image, first.text, first.fused):
        assert array.shape == (N_ITEMS, encoder.dim) and array.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(array, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(first.fused, encoder.fuse(first.image, first.text), atol=1e-6)
    path = cache_path(catalog, encoder)
    assert path.is_file() and path.parent == installation.models_dir / "embeddings"

    # A cache hit: no picture is encoded again.
    def refuse(*_args, **_kwargs):
        raise AssertionError("embed_catalog re-encoded the catalog instead of using its cache")

    encoder.encode_images = refuse
    again = embed_catalog(catalog, encoder, progress=False)
    np.testing.assert_array_equal(again.image, first.image)
    np.testing.assert_array_equal(again.fused, first.fused)

    rows = first.rows(first.ids[[5, 2]])
    assert list(rows) == [5, 2]
    np.testing.assert_array_equal(first.subset(first.ids[[5, 2]]).image, first.image[[5, 2]])
    with pytest.raises(KeyError, match="no embedding"):
        first.rows([-1])


def test_other_weights_or_another_catalog_use_another_cache_file(installation):
    catalog = Catalog.load(installation)
    encoder = build_encoder("stylist-tiny", seed=0)
    other = build_encoder("stylist-tiny", seed=1)
    assert cache_path(catalog, encoder) != cache_path(catalog, other)
    smaller = Catalog(catalog.items.iloc[:50].copy())
    assert cache_path(catalog, encoder) != cache_path(smaller, encoder)
    assert len(embed_catalog(smaller, encoder, progress=False)) == 50


def test_a_damaged_cache_file_is_recomputed(installation):
    catalog = Catalog(Catalog.load(installation).items.iloc[:20].copy())
    encoder = build_encoder("stylist-tiny", seed=0)
    path = cache_path(catalog, encoder)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not an npz file")
    emb = embed_catalog(catalog, encoder, progress=False)
    assert emb.image.shape == (20, encoder.dim)
    assert np.load(path)["image"].shape == (20, encoder.dim)  # rewritten


# --- retrieval metrics ---------------------------------------------------------------------


def test_retrieval_metrics_count_exact_items_and_same_names():
    # Three items; items 0 and 1 share a name. Texts point at the pictures of: 1, 1, 2.
    images = np.eye(3, dtype=np.float32)
    texts = np.array([[0.1, 1, 0], [0, 1, 0.1], [0, 0.2, 1]], dtype=np.float32)
    names = ["Nike Men Black Shoes", "Nike Men Black Shoes", "Puma Women Red Top"]
    metrics = retrieval_metrics(texts, images, names)
    # exact: query 0 finds its own item second; 1 and 2 first.
    assert metrics["exact"]["recall@1"] == pytest.approx(2 / 3)
    assert metrics["exact"]["mrr"] == pytest.approx((0.5 + 1 + 1) / 3)
    # same name: query 0's first hit (item 1) has its name.
    assert metrics["same_name"]["recall@1"] == 1.0 and metrics["same_name"]["mrr"] == 1.0
    assert metrics["queries"] == {"n": 3, "distinct_names": 2}


def test_field_captions_add_what_names_never_say():
    assert field_caption("Nike Men Black Jacket", "Winter", "Sports") == (
        "Nike Men Black Jacket for winter, sports wear"
    )
    assert field_caption("Nike Men Black Jacket", None, "") == "Nike Men Black Jacket"


# --- training ------------------------------------------------------------------------------


def test_quick_training_lowers_the_loss_saves_the_demo_encoder_and_writes_reports(installation):
    catalog = Catalog.load(installation)
    # 40 short epochs (~10 s): fewer leave the tiny encoder at chance on held-out retrieval.
    options = EncoderTrainOptions(
        model_name="stylist-tiny", epochs=40, batch_size=32, lr=3e-3, probe=True
    )
    results = train_encoder(catalog, installation, progress=False, options=options)

    assert results["train_loss_after"] < results["train_loss_before"] - 1.0
    history = results["history"]["train contrastive"]
    assert len(history) == 40 and history[-1] < history[0]
    for when in ("before", "after"):
        for rule in ("same_name", "exact"):
            metrics = results[when][rule]
            assert set(metrics) == {"recall@1", "recall@5", "recall@10", "mrr"}
            assert 0.0 <= metrics["recall@1"] <= metrics["recall@5"] <= metrics["recall@10"] <= 1
    # Training is for retrieval: held-out names find their pictures far better than before
    # (measured: recall@10 0.22 -> 0.66, MRR 0.09 -> 0.31 on the 32 held-out items).
    before, after = results["before"]["same_name"], results["after"]["same_name"]
    assert after["recall@10"] >= before["recall@10"] + 0.25
    assert after["mrr"] >= 2 * before["mrr"]
    assert set(results["attribute_probe_weighted_f1"]) >= {"gender", "season", "average"}

    encoder = load_encoder("demo", installation)
    assert encoder.fingerprint == results["fingerprint"]
    assert results["params"] == encoder.n_params
    assert (InstallLayout.of(installation).encoder_dir / "open_clip_config.json").is_file()

    report = installation.reports_dir / "encoder"
    saved = json.loads((report / "training.json").read_text())
    assert saved["after"] == results["after"] and saved["fingerprint"] == results["fingerprint"]
    for png in ("loss.png", "recall.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_finetuning_a_given_encoder_trains_only_the_projections(installation, tmp_path):
    from stylist.models.encoder import save_encoder

    base = save_encoder(build_encoder("stylist-tiny", seed=4), tmp_path / "base")
    settings = StyleSettings(data_dir=installation.data_dir, encoder=str(base))
    catalog = Catalog(Catalog.load(settings).items.iloc[:80].copy())
    options = EncoderTrainOptions(model_name="stylist-tiny", epochs=1, batch_size=32, probe=False)
    results = train_encoder(catalog, settings, progress=False, options=options)
    assert results["mode"].startswith("fine-tuned from")
    assert 0 < results["trainable_params"] < results["params"] / 4
    tuned = load_encoder(str(settings.models_dir / "encoder-finetuned"), settings)
    original = load_encoder(str(base), settings)
    frozen = "token_embedding.weight"
    np.testing.assert_array_equal(
        tuned.model.state_dict()[frozen].numpy(), original.model.state_dict()[frozen].numpy()
    )
    assert not np.allclose(
        tuned.model.text_projection.detach().numpy(),
        original.model.text_projection.detach().numpy(),
    )


# --- commands ------------------------------------------------------------------------------


def test_train_and_eval_encoder_commands(installation):
    from stylist.cli import app

    runner = CliRunner()
    trained = runner.invoke(app, ["train", "encoder", "--quick", "--epochs", "1"])
    assert trained.exit_code == 0, trained.output
    assert "after" in trained.output and "R@10" in trained.output
    training = json.loads((installation.reports_dir / "encoder" / "training.json").read_text())
    assert training["model_name"] == "stylist-tiny" and training["options"]["epochs"] == 1

    evaluated = runner.invoke(app, ["eval", "encoder"])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads((installation.reports_dir / "encoder" / "eval.json").read_text())
    # `eval encoder` re-measures the saved encoder on the same held-out items as training did.
    assert report["spec"] == "demo"
    for rule in ("same_name", "exact"):
        assert report[rule] == pytest.approx(training["after"][rule])


def test_commands_explain_a_missing_catalog_or_encoder(isolated_settings):
    from stylist.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["train", "encoder", "--quick"])
    assert result.exit_code == 1 and "No catalog has been ingested" in result.output
    result = runner.invoke(app, ["eval", "encoder"])
    assert result.exit_code == 1 and "stylist demo-data" in result.output
