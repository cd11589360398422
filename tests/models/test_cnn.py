"""The multi-task CNN: routing as data, training with best-epoch keeping and resumable state,
the report, save -> load identity, and clear sentences for bad options and bad checkpoints."""

from __future__ import annotations

import json
from urllib.error import URLError

import numpy as np
import pytest
import torch
from classifier_world import build_world
from PIL import Image

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog
from stylist.layout import CNN_RESUME_FILE
from stylist.models.errors import ModelMissing

# Two backbones, as the reference project split them: coarse attributes on the small one.
ROUTING = {
    "mobilenet_v2": ["gender", "masterCategory", "subCategory", "season", "usage"],
    "resnet18": ["articleType", "baseColour"],
}


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "classifier-world")


@pytest.fixture(scope="module")
def trained(world, tmp_path_factory):
    """A quick CNN run, interrupted after its first epoch and then resumed to the end."""
    from stylist.models.cnn import train_cnn

    settings = world.settings(tmp_path_factory.mktemp("cnn"))
    catalog = Catalog.load(settings)
    options = {"routing": ROUTING, "epochs": 2, "height": 32, "width": 24}

    def interrupt_after_first_epoch(message: str) -> None:
        if message.startswith("epoch 1:"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_cnn(
            catalog,
            settings,
            quick=True,
            progress=False,
            log_fn=interrupt_after_first_epoch,
            **options,
        )
    assert (settings.models_dir / CNN_RESUME_FILE).is_file()
    assert not (settings.models_dir / "attribute-cnn.pt").exists()
    messages: list[str] = []
    report = train_cnn(
        catalog, settings, quick=True, progress=False, log_fn=messages.append, **options
    )
    return settings, catalog, report, messages


def test_interrupted_training_resumes_from_its_last_epoch(trained):

    settings, _, report, messages = trained
    assert any("Resuming the CNN training after epoch 1 of 2" in m for m in messages)
    assert [m for m in messages if m.startswith("epoch ")] == [
        m for m in messages if m.startswith("epoch 2:")
    ]
    assert len(report["history"]["total"]) == 2  # epoch 1 from the first run, 2 from this one
    assert len(report["validation_average_f1_per_epoch"]) == 2
    assert not (settings.models_dir / CNN_RESUME_FILE).exists()


def test_report_has_per_task_losses_f1_table_and_plots(trained):
    settings, _, report, _ = trained
    data = json.loads((settings.reports_dir / "attributes-cnn.json").read_text())
    assert data["model_kind"] == "cnn"
    assert set(data["weighted_f1"]) == {*ATTRIBUTES, "average"}
    assert set(data["history"]) == {"total", *ATTRIBUTES}
    assert data["config"]["routing"] == ROUTING
    assert data["best_validation_f1"] == max(data["validation_average_f1_per_epoch"])
    for name in [
        "attributes-cnn-f1.png",
        "attributes-cnn-loss.png",
        *[f"attributes-cnn-confusion-{a}.png" for a in ATTRIBUTES],
    ]:
        assert (settings.reports_dir / name).is_file(), name


def test_cnn_tagger_predicts_and_loads_identically(trained):
    from stylist.models.cnn import load_cnn_tagger
    from stylist.models.taggers import evaluate_attributes, load_tagger

    settings, catalog, report, _ = trained
    cnn_settings = settings.model_copy(update={"attribute_model": "cnn"})
    tagger = load_tagger(cnn_settings)
    path = catalog.test["image"].iloc[0]
    prediction = tagger.predict([Image.open(path)], top_k=3)[0]
    assert list(prediction) == list(ATTRIBUTES)
    for attribute, ranked in prediction.items():
        assert len(ranked) == min(3, len(tagger.label_maps[attribute]))
        assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
        assert all(label in tagger.label_maps[attribute] for label, _ in ranked)
    again = load_cnn_tagger(settings=settings).predict([path], top_k=3)[0]
    assert again == prediction
    # The checkpoint on disk scores exactly what the trained model scored.
    assert (
        evaluate_attributes(catalog, settings, model="cnn", progress=False)["weighted_f1"]
        == report["weighted_f1"]
    )


@pytest.mark.parametrize(
    "routing, message",
    [
        ({"vgg16": list(ATTRIBUTES)}, "not a backbone I know"),
        ({"resnet18": ["gender", "colour"]}, "not an attribute"),
        ({"resnet18": ["gender"]}, "no backbone serves"),
        ({"resnet18": list(ATTRIBUTES), "mobilenet_v2": ["gender"]}, "more than one backbone"),
        ("{not json", "must be JSON"),
    ],
)
def test_bad_routing_is_a_sentence(routing, message):
    from stylist.models.cnn import validate_routing

    with pytest.raises(ValueError, match=message):
        validate_routing(routing)


def test_routing_json_text_is_accepted():
    from stylist.models.cnn import validate_routing

    assert validate_routing(json.dumps(ROUTING)) == ROUTING


def test_pretrained_weights_offline_is_a_sentence(monkeypatch):
    from torchvision.models._api import WeightsEnum

    from stylist.models.cnn import build_backbone

    def offline(self, *args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(WeightsEnum, "get_state_dict", offline)
    with pytest.raises(ModelMissing, match="could not be downloaded.*without --pretrained"):
        build_backbone("resnet18", pretrained=True)


def test_multitask_cnn_routes_attributes_to_their_backbone():
    from stylist.models.cnn import MultiTaskCNN

    model = MultiTaskCNN(ROUTING, {a: i + 2 for i, a in enumerate(ATTRIBUTES)})
    logits = model(torch.zeros(2, 3, 32, 24))
    assert {a: tuple(v.shape) for a, v in logits.items()} == {
        a: (2, i + 2) for i, a in enumerate(ATTRIBUTES)
    }
    assert set(model.backbones) == set(ROUTING)


@pytest.mark.parametrize("backbone", ["mobilenet_v3_small", "mobilenet_v3_large"])
def test_mobilenet_v3_backbones_serve_every_attribute_with_current_batchnorm(backbone):
    from stylist.models.cnn import MultiTaskCNN

    model = MultiTaskCNN({backbone: list(ATTRIBUTES)}, {a: 3 for a in ATTRIBUTES})
    assert all(tuple(v.shape) == (2, 3) for v in model(torch.zeros(2, 3, 40, 32)).values())
    # torchvision's 0.01 lets the running statistics lag a short training run so far that
    # evaluation collapses to one class; every BatchNorm must follow the weights at 0.1.
    momenta = {m.momentum for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)}
    assert momenta == {0.1}


def test_label_smoothing_never_pulls_examples_towards_a_heavily_weighted_class():
    from stylist.models.cnn import smoothed_cross_entropy

    logits = torch.tensor([[2.0, 0.5, 0.0], [0.3, 1.5, 0.0]], requires_grad=True)
    target = torch.tensor([0, 1])
    # No weights: exactly PyTorch's own label smoothing.
    expected = torch.nn.functional.cross_entropy(logits, target, label_smoothing=0.1)
    assert torch.allclose(smoothed_cross_entropy(logits, target, None, 0.1), expected)
    # Class 2 is rare and heavily weighted, but neither example is of class 2: the loss must
    # push its logit down for both (PyTorch's weighted smoothing pushes it up).
    weight = torch.tensor([1.0, 1.0, 100.0])
    smoothed_cross_entropy(logits, target, weight, 0.1).backward()
    assert (logits.grad[:, 2] > 0).all()
    # Weights scale examples: the heavier example dominates the average.
    heavy_first = smoothed_cross_entropy(logits.detach(), target, torch.tensor([9.0, 1.0, 1.0]), 0)
    per_example = torch.nn.functional.cross_entropy(logits.detach(), target, reduction="none")
    assert torch.allclose(heavy_first, (9 * per_example[0] + per_example[1]) / 10)


def test_augmentation_keeps_shape_and_colours():
    from stylist.models.cnn import augment

    red = torch.zeros(4, 3, 32, 24)
    red[:, 0] = 0.8
    out = augment(red, torch.Generator().manual_seed(0))
    assert out.shape == red.shape
    # Flips and small affine moves never change a plain colour: colour is a label.
    assert np.allclose(out[:, 0].numpy(), 0.8, atol=1e-5)
    assert np.allclose(out[:, 1:].numpy(), 0.0, atol=1e-5)


def test_corrupt_or_missing_cnn_checkpoint_is_a_sentence(world, tmp_path):
    from stylist.models.cnn import load_cnn_tagger

    settings = world.settings(tmp_path)
    with pytest.raises(ModelMissing, match="stylist train cnn"):
        load_cnn_tagger(settings=settings)
    settings.models_dir.mkdir(parents=True)
    (settings.models_dir / "attribute-cnn.pt").write_bytes(b"\x00" * 64)
    with pytest.raises(ModelMissing, match="damaged"):
        load_cnn_tagger(settings=settings)
