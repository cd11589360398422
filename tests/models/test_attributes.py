"""Attribute heads on frozen encoder embeddings: training, the tagger interface, checkpoints,
the configured tagger, and the `stylist train/eval attributes` / `stylist tag` commands."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from classifier_world import build_world
from PIL import Image
from typer.testing import CliRunner

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog
from stylist.models.errors import ModelMissing


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "classifier-world")


@pytest.fixture(scope="module")
def trained(world, tmp_path_factory):
    """Heads trained once (quick) for this module; tests only read this installation."""
    from stylist.models.heads import train_attribute_heads

    settings = world.settings(tmp_path_factory.mktemp("heads"))
    catalog = Catalog.load(settings)
    report = train_attribute_heads(catalog, settings, quick=True, progress=False)
    return settings, catalog, report


def _assert_prediction_format(prediction, label_maps, top_k):
    assert list(prediction) == list(ATTRIBUTES)
    for attribute, ranked in prediction.items():
        assert len(ranked) == min(top_k, len(label_maps[attribute]))
        probabilities = [p for _, p in ranked]
        assert all(0.0 <= p <= 1.0 for p in probabilities)
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) <= 1.0 + 1e-5
        assert all(label in label_maps[attribute] for label, _ in ranked)
        assert len({label for label, _ in ranked}) == len(ranked)


def test_heads_learn_above_the_majority_class(trained):
    _, catalog, report = trained
    accuracy, majority = report["train_accuracy"], report["train_majority_accuracy"]
    # Every attribute with a real choice to make is learnt beyond always answering the mode,
    # and the seven together clearly so (a random tiny encoder is all these heads have).
    gains = {a: accuracy[a] - majority[a] for a in ATTRIBUTES if majority[a] < 0.95}
    assert gains, "the test catalog should have attributes with several classes"
    assert all(gain > 0.0 for gain in gains.values()), gains
    assert np.mean(list(gains.values())) > 0.1, gains
    # 20+ article types: the mode is rare, and the heads must do several times better.
    assert accuracy["articleType"] > max(3 * majority["articleType"], majority["articleType"] + 0.1)


def test_training_writes_report_json_and_plots(trained):
    settings, _, report = trained
    reports = settings.reports_dir
    data = json.loads((reports / "attributes-heads.json").read_text())
    assert set(data["weighted_f1"]) == {*ATTRIBUTES, "average"}
    assert data["weighted_f1"]["average"] == pytest.approx(
        np.mean([data["weighted_f1"][a] for a in ATTRIBUTES])
    )
    assert data["reference_weighted_f1"]["articleType"] == 0.74
    assert data["reference_weighted_f1"]["average"] == 0.82
    assert len(data["history"]["total"]) == report["config"]["epochs"]
    for name in [
        "attributes-heads-f1.png",
        "attributes-heads-loss.png",
        *[f"attributes-heads-confusion-{a}.png" for a in ATTRIBUTES],
    ]:
        assert (reports / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert (settings.models_dir / "attribute-heads.pt").is_file()


def test_predict_returns_ranked_labels_for_all_attributes(trained):
    from stylist.models.taggers import load_tagger

    settings, catalog, _ = trained
    tagger = load_tagger(settings)
    path = catalog.test["image"].iloc[0]
    predictions = tagger.predict([Image.open(path), path], top_k=3)
    assert len(predictions) == 2
    for prediction in predictions:
        _assert_prediction_format(prediction, tagger.label_maps, 3)
    # A photo and its path are the same picture: the same answer. A path is decoded in JPEG
    # draft mode straight to the model's size, so probabilities agree up to resampling noise.
    for a in ATTRIBUTES:
        (label_a, prob_a), (label_b, prob_b) = predictions[0][a][0], predictions[1][a][0]
        assert label_a == label_b
        assert abs(prob_a - prob_b) < 0.03
    top1 = tagger.predict([path], top_k=1)[0]  # alone in its batch: equal up to float noise
    for a in ATTRIBUTES:
        assert top1[a][0][0] == predictions[1][a][0][0]
        assert top1[a][0][1] == pytest.approx(predictions[1][a][0][1], abs=1e-4)
    assert tagger.predict([]) == []


def test_save_load_gives_identical_outputs(trained):
    from stylist.models.heads import load_heads_tagger
    from stylist.models.taggers import evaluate_attributes

    settings, catalog, report = trained
    first, second = load_heads_tagger(settings), load_heads_tagger(settings)
    images = catalog.test["image"].iloc[:4].tolist()
    assert first.predict(images, top_k=5) == second.predict(images, top_k=5)
    # Loaded from disk, the heads score exactly what the in-memory heads scored after training.
    again = evaluate_attributes(catalog, settings, model="heads", progress=False)
    assert again["weighted_f1"] == report["weighted_f1"]


def test_load_tagger_is_cached_and_reloads_a_changed_checkpoint(trained, tmp_path):
    from stylist.models.checkpoints import read_checkpoint, save_checkpoint
    from stylist.models.taggers import load_tagger

    settings, _, _ = trained
    assert load_tagger(settings) is load_tagger(settings)
    # Same installation in another data dir; then a changed checkpoint file loads again.
    copy = settings.model_copy(update={"data_dir": tmp_path})
    copy.models_dir.mkdir(parents=True)
    source = settings.models_dir / "attribute-heads.pt"
    payload = read_checkpoint(source, "attribute heads", "-")
    payload.pop("format")
    save_checkpoint(payload, copy.models_dir / "attribute-heads.pt")
    before = load_tagger(copy)
    payload["state_dict"] = {
        k: v * 0 if k.endswith("bias") else v for k, v in payload["state_dict"].items()
    }
    payload["catalog_items"] = -1  # a different file size / mtime
    save_checkpoint(payload, copy.models_dir / "attribute-heads.pt")
    after = load_tagger(copy)
    assert after is not before


def test_missing_checkpoint_says_how_to_make_it(world, tmp_path):
    from stylist.models.taggers import load_tagger

    settings = world.settings(tmp_path)
    with pytest.raises(ModelMissing, match="stylist train attributes"):
        load_tagger(settings)


def test_checkpoint_of_another_encoder_is_refused(trained, world):
    from stylist.models.heads import load_heads_tagger

    settings, _, _ = trained
    other = settings.model_copy(update={"encoder": str(world.other_encoder)})
    with pytest.raises(ModelMissing, match="another encoder"):
        load_heads_tagger(other)


def test_checkpoint_of_another_catalog_is_refused(trained):
    from stylist.models.heads import load_heads_tagger

    settings, catalog, _ = trained
    other = Catalog(catalog.items.copy(), catalog.min_class_count)
    other.items["articleType"] = "Tshirts"
    with pytest.raises(ModelMissing, match="another catalog"):
        load_heads_tagger(settings, catalog=other)


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04broken"])
def test_corrupt_checkpoint_is_a_sentence(world, tmp_path, content):
    from stylist.models.heads import load_heads_tagger

    settings = world.settings(tmp_path)
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / "attribute-heads.pt").write_bytes(content)
    with pytest.raises(ModelMissing, match="damaged"):
        load_heads_tagger(settings)


class NotAllowedInCheckpoints:
    """An arbitrary object: weights_only loading must refuse to unpickle it."""


def test_checkpoint_with_arbitrary_objects_is_refused(world, tmp_path):
    from stylist.models.heads import load_heads_tagger

    settings = world.settings(tmp_path)
    settings.models_dir.mkdir(parents=True)
    torch.save(
        {"kind": "attribute heads", "format": 1, "payload": NotAllowedInCheckpoints()},
        settings.models_dir / "attribute-heads.pt",
    )
    with pytest.raises(ModelMissing, match="damaged or is not a Stylist checkpoint"):
        load_heads_tagger(settings)


def test_cli_tag_and_eval(trained, world, monkeypatch):
    from stylist.cli import app
    from stylist.settings import get_settings

    settings, catalog, report = trained
    for key, value in world.env(settings.data_dir).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    runner = CliRunner()
    photo = catalog.test["image"].iloc[0]
    result = runner.invoke(app, ["tag", photo, "--top-k", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert [line.split()[0] for line in lines] == list(ATTRIBUTES)

    as_json = runner.invoke(app, ["tag", photo, "--json"])
    data = json.loads(as_json.output)
    assert list(data) == list(ATTRIBUTES) and all(len(v) >= 1 for v in data.values())

    evaluated = runner.invoke(app, ["eval", "attributes"])
    assert evaluated.exit_code == 0, evaluated.output
    assert "average" in evaluated.output and "reference" in evaluated.output

    missing = runner.invoke(app, ["tag", str(settings.data_dir / "nope.jpg")])
    assert missing.exit_code == 2
    assert "Traceback" not in missing.output and missing.output.strip()
