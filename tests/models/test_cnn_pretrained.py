"""The pretrained multi-task CNN: EfficientNet-Lite0 with the packaged ImageNet weights, its own
preprocessing (white padding, 0.498/0.502), fine-tuning groups (backbone vs heads learning
rates, no decay on norms and biases), BatchNorm frozen for the first steps, the garment-colour
branch, and a tiny run that saves and reloads to the same predictions."""

from __future__ import annotations

import pytest
import torch
from classifier_world import build_world
from PIL import Image

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog

LITE0_ROUTING = {"efficientnet_lite0": list(ATTRIBUTES)}


@pytest.fixture(scope="session")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.getbasetemp() / "classifier-world")


def test_pretrained_lite0_backbone_takes_every_packaged_weight():
    from stylist.models.cnn import MultiTaskCNN
    from stylist.models.pretrained import lite0_timm_state_dict

    model = MultiTaskCNN(LITE0_ROUTING, {a: 3 for a in ATTRIBUTES}, pretrained=True)
    backbone = model.backbones["efficientnet_lite0"].state_dict()
    packaged = lite0_timm_state_dict(classifier=False)
    assert set(backbone) == set(packaged)
    assert all(torch.equal(backbone[k], packaged[k]) for k in packaged)


def test_each_backbone_normalises_pixels_as_its_weights_were_trained():
    from stylist.models.cnn import MultiTaskCNN

    model = MultiTaskCNN(
        {"efficientnet_lite0": ["gender"], "resnet18": [a for a in ATTRIBUTES if a != "gender"]},
        {a: 2 for a in ATTRIBUTES},
    )
    grey = torch.full((1, 3, 8, 8), 0.498)
    assert torch.allclose(model.normalise["efficientnet_lite0"](grey), torch.zeros(1), atol=1e-6)
    white = torch.ones(1, 3, 8, 8)
    assert torch.allclose(
        model.normalise["efficientnet_lite0"](white), torch.tensor(1.0), atol=1e-2
    )
    assert model.normalise["resnet18"](white)[0, 0, 0, 0] == pytest.approx((1 - 0.485) / 0.229)
    # Normalisation constants are not weights: checkpoints hold the same keys as before.
    assert not any(k.startswith("normalise") for k in model.state_dict())


def test_pad_fit_keeps_the_whole_garment_on_white():
    from stylist.models.cnn import image_to_tensor

    tall_red = Image.new("RGB", (30, 60), (200, 0, 0))
    padded = image_to_tensor(tall_red, 64, 64, fit="pad")
    assert padded.shape == (3, 64, 64)
    assert padded[:, :, :10].min() == 255  # left border: white, not stretched garment
    assert padded[0, 32, 32] == 200 and padded[1, 32, 32] == 0  # the garment, undistorted
    stretched = image_to_tensor(tall_red, 64, 64)
    assert stretched[0].min() == 200


def test_backbone_and_heads_learn_at_their_own_rates_without_decay_on_norms():
    from stylist.models.cnn import CNNConfig, MultiTaskCNN, parameter_groups

    model = MultiTaskCNN(LITE0_ROUTING, {a: 3 for a in ATTRIBUTES}, colour_dim=12)
    config = CNNConfig(routing=LITE0_ROUTING, lr=1e-3, head_lr=3e-3, weight_decay=0.05)
    groups = {g["name"]: g for g in parameter_groups(model, config)}
    assert {n: (g["lr"], g["weight_decay"]) for n, g in groups.items()} == {
        "backbone": (1e-3, 0.05),
        "backbone (no decay)": (1e-3, 0.0),
        "heads": (3e-3, 0.05),
        "heads (no decay)": (3e-3, 0.0),
    }
    ids = [id(p) for g in groups.values() for p in g["params"]]
    assert sorted(ids) == sorted(id(p) for p in model.parameters())  # each exactly once
    backbone_ids = {id(p) for p in model.backbones.parameters()}
    assert {id(p) for p in groups["backbone"]["params"]} <= backbone_ids
    assert all(p.ndim == 1 for p in groups["backbone (no decay)"]["params"])  # BN and biases
    colour_branch = {id(p) for p in model.colour_branch.parameters()}
    assert colour_branch <= {
        id(p) for p in groups["heads"]["params"] + groups["heads (no decay)"]["params"]
    }


def test_frozen_batchnorm_keeps_its_imagenet_statistics_while_the_rest_trains():
    from stylist.models.cnn import MultiTaskCNN, batchnorm_layers, set_batchnorm_frozen

    model = MultiTaskCNN(LITE0_ROUTING, {a: 3 for a in ATTRIBUTES}, pretrained=True).train()
    first = batchnorm_layers(model)[0]
    before = first.running_mean.clone()
    set_batchnorm_frozen(model, True)
    model(torch.rand(2, 3, 32, 32))
    assert torch.equal(first.running_mean, before)
    assert model.heads["gender"].training  # dropout still trains
    set_batchnorm_frozen(model, False)
    model(torch.rand(2, 3, 32, 32))
    assert not torch.equal(first.running_mean, before)


def test_a_pretrained_lite0_gets_the_measured_recipe_and_explicit_options_win():
    from stylist.models.cnn import PRETRAINED_LITE0_RECIPE, with_recipe

    options = with_recipe({"routing": LITE0_ROUTING, "pretrained": True, "epochs": 1})
    assert options["epochs"] == 1
    assert options["fit"] == "pad" and options["head_lr"] == PRETRAINED_LITE0_RECIPE["head_lr"]
    assert "fit" not in with_recipe({"routing": LITE0_ROUTING, "pretrained": False})
    assert "fit" not in with_recipe({"routing": {"resnet18": list(ATTRIBUTES)}, "pretrained": True})


def test_colour_head_reads_the_garment_colour_branch():
    from stylist.models.cnn import MultiTaskCNN

    model = MultiTaskCNN(LITE0_ROUTING, {a: 3 for a in ATTRIBUTES}, colour_dim=12).eval()
    x = torch.rand(2, 3, 32, 32)
    with pytest.raises(ValueError, match="colour features"):
        model(x)
    a, b = model(x, torch.zeros(2, 12)), model(x, torch.ones(2, 12))
    assert not torch.allclose(a["baseColour"], b["baseColour"])
    assert torch.allclose(a["gender"], b["gender"])  # only the colour head sees it


def test_tiny_pretrained_run_trains_saves_and_reloads_to_the_same_predictions(world, tmp_path):
    from stylist.models.cnn import load_cnn_tagger, train_cnn
    from stylist.models.taggers import evaluate_attributes

    settings = world.settings(tmp_path / "data")
    catalog = Catalog.load(settings)
    messages: list[str] = []
    report = train_cnn(
        catalog,
        settings,
        quick=True,
        progress=False,
        log_fn=messages.append,
        routing=LITE0_ROUTING,
        pretrained=True,
        colour_features=True,
        bn_freeze_steps=2,
        epochs=1,
        height=32,
        width=32,
    )
    assert report["config"]["fit"] == "pad" and report["config"]["colour_features"]
    assert any(m.startswith("epoch 1:") for m in messages)
    tagger = load_cnn_tagger(settings=settings)
    assert (tagger.fit, tagger.colour_features, tagger.height) == ("pad", True, 32)
    photo = catalog.test["image"].iloc[0]
    assert tagger.predict([photo])[0] == load_cnn_tagger(settings=settings).predict([photo])[0]
    # The checkpoint on disk scores exactly what the trained model scored in memory.
    reloaded = evaluate_attributes(catalog, settings, model="cnn", progress=False)
    assert reloaded["weighted_f1"] == report["weighted_f1"]
