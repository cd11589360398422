"""The trainers' configurations: what a checkpoint stores, reading it back, and bad options
as one sentence."""

from __future__ import annotations

import pytest

from stylist.models.checkpoints import read_config
from stylist.models.cnn import DEFAULT_ROUTING, CNNConfig
from stylist.models.encoder_training import EncoderTrainOptions
from stylist.models.errors import ModelMissing
from stylist.models.fewshot import FewShotConfig
from stylist.models.heads import HeadsConfig

# What the checkpoints written before the configs became pydantic models hold ("config"):
# these dicts must keep loading, and a new checkpoint must hold the same dict.
STORED_HEADS = {
    "hidden": 256,
    "dropout": 0.2,
    "epochs": 60,
    "batch_size": 256,
    "lr": 2e-3,
    "weight_decay": 0.01,
    "label_smoothing": 0.15,
    "validation_fraction": 0.1,
    "seed": 0,
}
STORED_FEWSHOT = {
    "logit_scale": 30.0,
    "text_weight": 1.5,
    "epochs": 200,
    "lr": 5e-3,
    "anchor": 1.0,
    "teach_steps": 60,
    "holdout_types": 5,
    "shots": [1, 5, 10],
    "draws": 5,
    "seed": 0,
}


def test_a_checkpoint_stores_the_same_config_dict_as_before():
    assert HeadsConfig().model_dump() == STORED_HEADS
    assert FewShotConfig().model_dump() == STORED_FEWSHOT
    cnn = CNNConfig().model_dump()
    assert cnn["routing"] == DEFAULT_ROUTING and cnn["loss"] == "ce"
    assert set(cnn) == {
        "routing", "height", "width", "epochs", "batch_size", "lr", "weight_decay", "loss",
        "focal_gamma", "class_weighted", "label_smoothing", "augment", "pretrained",
        "validation_fraction", "seed",
        # added with the pretrained Lite0 backbone; older checkpoints read back with defaults
        "fit", "affine", "head_lr", "bn_momentum", "bn_freeze_steps", "colour_features",
    }  # fmt: skip
    assert EncoderTrainOptions.quick().model_dump()["model_name"] == "stylist-tiny"


@pytest.mark.parametrize(
    ("config_class", "stored"),
    [(HeadsConfig, {**STORED_HEADS, "hidden": 0}), (FewShotConfig, {**STORED_FEWSHOT, "draws": 2})],
)
def test_stored_configs_read_back(tmp_path, config_class, stored):
    config = read_config({"config": stored}, config_class, "thing", tmp_path / "x.pt", "`make`")
    assert config.model_dump() == stored


def test_a_stored_config_that_does_not_validate_is_model_missing(tmp_path):
    with pytest.raises(ModelMissing, match="does not match its own configuration"):
        read_config({"config": {"hidden": "wide"}}, HeadsConfig, "heads", tmp_path, "`make`")
    with pytest.raises(ModelMissing, match="does not match its own configuration"):
        read_config({}, HeadsConfig, "heads", tmp_path, "`make`")


def test_bad_options_are_one_sentence():
    with pytest.raises(ValueError) as err:
        CNNConfig.from_options(loss="hinge")
    assert str(err.value) == 'The loss must be "ce" or "focal", not "hinge".'
    with pytest.raises(ValueError) as err:
        CNNConfig.from_options(routing={"vgg": ["gender"]})
    assert str(err.value).startswith('"vgg" is not a backbone I know')
    with pytest.raises(ValueError) as err:
        HeadsConfig.from_options(epochz=3)
    assert str(err.value) == '"epochz" is not an option of HeadsConfig.'
    with pytest.raises(ValueError) as err:
        FewShotConfig.from_options(draws="many")
    assert str(err.value).startswith("The option draws is not valid")


def test_updated_validates_the_changes():
    options = EncoderTrainOptions.quick().updated(epochs=7)
    assert options.epochs == 7 and options.model_name == "stylist-tiny"
    with pytest.raises(ValueError, match="epochs"):
        options.updated(epochs="seven")
