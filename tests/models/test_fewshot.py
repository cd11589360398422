"""The few-shot head: prototype-initialised cosine classifier, teach(), save/load, the k-shot
evaluation and its report, and nearest-class-mean beside it."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from classifier_world import build_world
from PIL import Image, ImageDraw

from stylist.catalog.store import Catalog
from stylist.models.errors import ModelMissing
from stylist.models.fewshot import FewShotConfig, FewShotHead, NearestClassMean


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "classifier-world")


def clusters(n_classes: int, per_class: int, dim: int = 32, spread: float = 0.35, seed: int = 0):
    """Features of well separated classes on the unit sphere, as a trained encoder gives."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, dim))
    x = np.repeat(centres, per_class, axis=0) + spread * rng.normal(
        size=(n_classes * per_class, dim)
    )
    labels = np.repeat([f"class-{i}" for i in range(n_classes)], per_class)
    return x / np.linalg.norm(x, axis=1, keepdims=True), labels


def test_head_learns_separable_classes_and_new_ones_from_five_examples():
    x, labels = clusters(10, 40)
    base = ~np.isin(labels, ["class-8", "class-9"])
    head = FewShotHead(config=FewShotConfig(epochs=100))
    losses = head.fit(x[base], labels[base])
    assert losses[-1] < losses[0]
    for new in ("class-8", "class-9"):
        head.teach(new, x[labels == new][:5])  # 5 shots
    query = np.isin(labels, ["class-8", "class-9"])
    rest = [p[0][0] for p in head.predict(x[query][:, :], top_k=1)]
    accuracy = np.mean(np.array(rest)[5:] == labels[query][5:])
    assert accuracy > 0.9
    ncm = NearestClassMean().fit(x[base], labels[base])
    ncm.add("class-8", x[labels == "class-8"][:5])
    assert np.mean(np.array(ncm.predict(x[labels == "class-8"])) == "class-8") > 0.9


def test_teach_adds_a_class_that_wins_on_its_own_examples_and_leaves_others(world, tmp_path):
    from stylist.models.embeddings import embed_catalog
    from stylist.models.encoder import load_encoder

    settings = world.settings(tmp_path)
    catalog = Catalog.load(settings)
    encoder = load_encoder(settings=settings)
    emb = embed_catalog(catalog, encoder, progress=False, settings=settings)
    types = catalog.labels("articleType").astype(str).to_numpy()
    head = FewShotHead(encoder, FewShotConfig(epochs=60))
    head.fit(emb.fused, types)
    before = head.weight.clone()

    # A style no catalog item looks like: a diagonal two-colour split.
    examples = []
    for shade in (0, 40, 80):
        image = Image.new("RGB", (120, 160), (250, 250 - shade, 20))
        ImageDraw.Draw(image).polygon([(0, 0), (120, 0), (0, 160)], fill=(20, 20 + shade, 240))
        examples.append(image)
    head.teach("harlequin", examples)
    assert head.classes[-1] == "harlequin" and head.taught == ["harlequin"]
    assert torch.equal(head.weight[:-1], before)  # other classes' rows untouched
    for ranked in head.predict_images(examples, top_k=3):
        assert ranked[0][0] == "harlequin"
    # Teaching the same style again adds examples instead of a second class.
    head.teach("harlequin", examples[:1])
    assert head.classes.count("harlequin") == 1 and int(head.counts[-1]) == 4

    # A chat teaches a private copy: the encoder is shared, the tensors are not.
    clone = copy.deepcopy(head)
    assert clone.encoder is head.encoder
    clone.teach("another", examples[:2])
    assert "another" not in head.classes

    # save -> load -> identical predictions, taught class included.
    path = head.save(tmp_path / "fewshot.pt")
    loaded = FewShotHead.load(path, encoder=encoder)
    queries = np.concatenate([emb.image[:5], encoder.encode_images(examples)])
    assert loaded.predict(queries, top_k=5) == head.predict(queries, top_k=5)
    assert loaded.taught == ["harlequin"]

    other = load_encoder(str(world.other_encoder), settings)
    with pytest.raises(ModelMissing, match="another encoder"):
        FewShotHead.load(path, encoder=other)


def test_k_shot_evaluation_measures_how_well_new_classes_are_learnt():
    """On features where every class is a tight cluster, teaching the held-out classes from 5
    examples must recognise their other members; from 1 example it is harder, never easier."""
    from stylist.models.fewshot import evaluate_kshot

    x, labels = clusters(8, 30, spread=0.3, seed=1)
    new = ["class-6", "class-7"]
    is_new = np.isin(labels, new)
    pool = np.flatnonzero(is_new & (np.arange(len(labels)) % 30 < 10))  # 10 per new class
    query = np.flatnonzero(is_new & (np.arange(len(labels)) % 30 >= 10))
    config = FewShotConfig(epochs=60, shots=[1, 5], draws=3, text_weight=0.0)
    summary, _ = evaluate_kshot(
        x[~is_new],
        labels[~is_new],
        x[pool],
        labels[pool],
        {"fused": x[query]},
        labels[query],
        new,
        None,
        config,
        progress=False,
    )
    for method in ("head/fused", "ncm/fused"):
        assert summary[method][5]["mean"] > 0.9  # among all 8 classes (chance: 1/8)
        assert summary[f"{method}/among-new"][5]["mean"] > 0.9
        assert summary[method][5]["draws"] == 3
        assert summary[method][1]["mean"] <= summary[method][5]["mean"] + 1e-9


def test_teach_needs_examples_and_a_name():
    x, labels = clusters(3, 10)
    head = FewShotHead()
    head.fit(x, labels)
    with pytest.raises(ValueError, match="at least one example"):
        head.teach("boho", [])
    with pytest.raises(ValueError, match="needs a name"):
        head.teach("  ", x[:2])
    with pytest.raises(ValueError, match="no encoder"):
        head.teach("boho", [Image.new("RGB", (8, 8))])


def test_missing_or_corrupt_fewshot_checkpoint_is_a_sentence(world, tmp_path):
    from stylist.models.fewshot import load_fewshot_head

    settings = world.settings(tmp_path)
    with pytest.raises(ModelMissing, match="stylist train fewshot"):
        load_fewshot_head(settings)
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / "fewshot.pt").write_bytes(b"garbage")
    with pytest.raises(ModelMissing, match="damaged"):
        load_fewshot_head(settings)


def test_train_fewshot_evaluates_k_shot_and_saves_the_head_on_all_types(world, tmp_path):
    from stylist.models.fewshot import load_fewshot_head, train_fewshot

    settings = world.settings(tmp_path)
    catalog = Catalog.load(settings)
    # ~9 training items per type in this small catalog: k up to 5.
    report = train_fewshot(
        catalog, settings, quick=True, progress=False, holdout_types=3, shots=[1, 3, 5]
    )
    held_out = report["held_out_types"]
    # Held out: 3 distinct real types with enough training items for the largest k (5) and at
    # least one test item to be asked about.
    train_counts = catalog.labels("articleType", "train").astype(str).value_counts()
    test_types = set(catalog.labels("articleType", "test").astype(str))
    assert len(set(held_out)) == 3 and "Other" not in held_out
    for kind in held_out:
        assert train_counts[kind] >= 5 and kind in test_types
    accuracy = report["k_shot_accuracy"]
    for method in ("head/fused", "ncm/fused", "head/image", "ncm/image"):
        assert set(accuracy[method]) == {1, 3, 5}
        for k in (1, 3, 5):
            assert 0.0 <= accuracy[method][k]["mean"] <= 1.0
            assert accuracy[method][k]["draws"] == 2

    data = json.loads((settings.reports_dir / "fewshot.json").read_text())
    assert data["held_out_types"] == held_out
    assert (settings.reports_dir / "fewshot-kshot.png").is_file()
    assert (settings.reports_dir / "fewshot-loss.png").is_file()

    head = load_fewshot_head(settings)
    assert set(held_out) <= set(head.classes)
    assert set(head.classes) == set(catalog.labels("articleType", "train").astype(str))
