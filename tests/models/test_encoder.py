"""The encoder: spec parsing, loading every local form through open_clip's factory, clear
failures, normalised embeddings, fingerprints and the process-wide cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylist.layout import ENCODER_CONFIG_FILE as CONFIG_NAME
from stylist.layout import ENCODER_WEIGHTS_FILE as CHECKPOINT_NAME
from stylist.layout import InstallLayout
from stylist.models.encoder import (
    MODEL_CONFIGS_DIR,
    Encoder,
    build_encoder,
    get_encoder,
    load_encoder,
    parse_spec,
    save_encoder,
)
from stylist.models.errors import EncoderUnavailable

TEXTS = ["Roadster Men Navy Blue Casual Shirt", "Nike Women Red Sports Shoes", ""]


def _pictures() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (160, 120, 3), dtype=np.uint8)) for _ in range(5)]


@pytest.fixture
def tiny() -> Encoder:
    return build_encoder("stylist-tiny", seed=1)


@pytest.fixture
def saved_demo(tiny, isolated_settings) -> Path:
    return save_encoder(tiny, InstallLayout.of(isolated_settings).encoder_dir)


# --- spec parsing --------------------------------------------------------------------------


def test_parse_every_spec_form(isolated_settings, tmp_path):
    demo = parse_spec("demo", isolated_settings)
    assert demo.kind == "directory" and demo.path == isolated_settings.models_dir / "encoder"
    assert demo.weights_file == demo.path / CHECKPOINT_NAME

    tag = parse_spec("ViT-B-32:laion2b_s34b_b79k")
    assert (tag.kind, tag.arch, tag.tag, tag.weights_file) == (
        "pretrained",
        "ViT-B-32",
        "laion2b_s34b_b79k",
        None,
    )

    hub = parse_spec("hf-hub:Marqo/marqo-fashionSigLIP")
    assert (hub.kind, hub.hub_id) == ("hf-hub", "Marqo/marqo-fashionSigLIP")

    ckpt = parse_spec(str(tmp_path / "enc.pt"))
    assert (ckpt.kind, ckpt.path) == ("checkpoint", tmp_path / "enc.pt")

    pair = parse_spec(f"{tmp_path}/cfg.json:{tmp_path}/w.pth")
    assert (pair.kind, pair.config_path, pair.path) == (
        "config+checkpoint",
        tmp_path / "cfg.json",
        tmp_path / "w.pth",
    )

    assert parse_spec(str(tmp_path)).kind == "directory"
    local = parse_spec(f"local-dir:{tmp_path}")
    assert (local.kind, local.path) == ("directory", tmp_path)

    arch_file = parse_spec(f"ViT-B-32:{tmp_path}/weights.bin")
    assert (arch_file.kind, arch_file.arch) == ("pretrained", "ViT-B-32")
    assert arch_file.weights_file == tmp_path / "weights.bin"


@pytest.mark.parametrize(
    "spec, words",
    [
        ("", "No encoder is configured"),
        ("ViT-B-32", "names no weights"),
        ("hf-hub:just-a-name", "hf-hub:org/name"),
    ],
)
def test_malformed_specs_get_a_sentence(spec, words):
    with pytest.raises(EncoderUnavailable, match=words):
        parse_spec(spec)


# --- loading -------------------------------------------------------------------------------


def test_save_then_load_every_local_form_gives_identical_embeddings(tiny, saved_demo):
    pictures = _pictures()
    expected_images, expected_texts = tiny.encode_images(pictures), tiny.encode_texts(TEXTS)
    specs = [
        "demo",
        str(saved_demo),
        f"local-dir:{saved_demo}",
        str(saved_demo / CHECKPOINT_NAME),
        f"{saved_demo / CONFIG_NAME}:{saved_demo / CHECKPOINT_NAME}",
    ]
    hashes = set()
    for spec in specs:
        loaded = load_encoder(spec)
        assert loaded.spec == spec and loaded.dim == tiny.dim
        np.testing.assert_allclose(loaded.encode_images(pictures), expected_images, atol=1e-6)
        np.testing.assert_allclose(loaded.encode_texts(TEXTS), expected_texts, atol=1e-6)
        hashes.add(loaded.fingerprint.split("@sha256:")[1])
    assert len(hashes) == 1  # the same weights, the same hash, whatever the spec's form


def test_the_demo_architecture_builds_through_the_factory_and_round_trips(isolated_settings):
    # stylist-demo's image tower is a timm model that Stylist registers (towers.py); a saved
    # demo encoder must load in a fresh process's way (config from the file) and agree.
    demo = build_encoder("stylist-demo", seed=0)
    assert demo.dim == 512 and demo.image_size == (80, 64)
    assert type(demo.model.visual.trunk).__name__ == "ResNet"
    saved = save_encoder(demo, InstallLayout.of(isolated_settings).encoder_dir)
    loaded = load_encoder(str(saved))
    pictures = _pictures()
    np.testing.assert_allclose(
        loaded.encode_images(pictures), demo.encode_images(pictures), atol=1e-6
    )
    np.testing.assert_allclose(loaded.encode_texts(TEXTS), demo.encode_texts(TEXTS), atol=1e-6)


def test_plain_open_clip_config_plus_checkpoint_loads_through_the_factory(tiny, saved_demo):
    # A plain open_clip config (no preprocess section), as open_clip ships its own.
    spec = f"{MODEL_CONFIGS_DIR / 'stylist-tiny.json'}:{saved_demo / CHECKPOINT_NAME}"
    loaded = load_encoder(spec)
    for name, value in tiny.model.state_dict().items():
        assert torch.equal(loaded.model.state_dict()[name], value), name
    # Registered architecture + weights file, open_clip's own ARCH:FILE form.
    by_arch = load_encoder(f"stylist-tiny:{saved_demo / CHECKPOINT_NAME}")
    np.testing.assert_allclose(by_arch.encode_texts(TEXTS), tiny.encode_texts(TEXTS), atol=1e-6)


def test_encodings_are_normalised_float32_of_the_right_shape(tiny, tmp_path):
    pictures = _pictures()
    paths = []
    for i, picture in enumerate(pictures[:2]):
        paths.append(tmp_path / f"{i}.jpg")
        picture.save(paths[-1])
    images = tiny.encode_images([*pictures, *paths], batch_size=2)
    texts = tiny.encode_texts(TEXTS)
    assert images.shape == (7, tiny.dim) and texts.shape == (3, tiny.dim)
    assert images.dtype == np.float32 and texts.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(images, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
    assert tiny.encode_texts("one query").shape == (1, tiny.dim)
    # Batching does not change results; a path is the same picture as its PIL image (JPEG aside).
    np.testing.assert_allclose(images[:5], tiny.encode_images(pictures, batch_size=5), atol=1e-5)
    fused = tiny.fuse(images[:3], texts)
    np.testing.assert_allclose(np.linalg.norm(fused, axis=1), 1.0, atol=1e-5)
    manual = 0.9 * images[0] + 0.1 * texts[0]
    np.testing.assert_allclose(fused[0], manual / np.linalg.norm(manual), atol=1e-6)


def test_streamed_batches_match_encode_images_and_surface_a_bad_picture(tiny, tmp_path):
    from stylist.images import ImageRejected

    pictures = _pictures()
    batches = list(tiny.iter_image_batches(pictures, batch_size=2))
    assert [(rows.start, rows.stop) for rows, _ in batches] == [(0, 2), (2, 4), (4, 5)]
    streamed = np.concatenate([embeddings for _, embeddings in batches])
    np.testing.assert_allclose(streamed, tiny.encode_images(pictures, batch_size=5), atol=1e-5)
    assert list(tiny.iter_image_batches([], batch_size=2)) == []
    # A picture that fails to decode (in the read-ahead thread) is raised at its own batch.
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    stream = tiny.iter_image_batches([*pictures[:2], broken], batch_size=2)
    assert next(stream)[0] == slice(0, 2)
    with pytest.raises(ImageRejected):
        next(stream)


def test_preprocessing_keeps_the_whole_portrait(tiny):
    # A tall picture whose bottom rows are red (shoes, hems). Squashing keeps them; open_clip's
    # default centre crop would cut them off.
    assert tiny.preprocess_cfg["resize_mode"] == "squash"
    picture = np.zeros((320, 120, 3), dtype=np.uint8)
    picture[-20:] = (255, 0, 0)
    pixels = tiny.to_pixels(Image.fromarray(picture))
    assert pixels.shape == (3, *tiny.image_size)
    assert pixels[0, -1].mean() > 200 and pixels[0, 0].mean() < 10


@pytest.mark.timeout(60)
@pytest.mark.parametrize("spec", ["ViT-B-32:laion2b_s34b_b79k", "hf-hub:Marqo/marqo-fashionSigLIP"])
def test_weights_that_cannot_be_downloaded_offline_get_a_sentence(spec, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderUnavailable) as err:
        load_encoder(spec)
    message = str(err.value)
    assert spec in message and "Hugging Face cache" in message and "Traceback" not in message


def test_unknown_architecture_and_tag_are_named():
    with pytest.raises(EncoderUnavailable, match="unknown open_clip architecture 'NoSuchNet'"):
        load_encoder("NoSuchNet:laion")
    with pytest.raises(EncoderUnavailable, match="unknown pretrained tag 'nope'.*openai"):
        load_encoder("ViT-B-32:nope")


def test_missing_demo_encoder_says_how_to_train_it(isolated_settings):
    with pytest.raises(EncoderUnavailable, match="stylist train encoder"):
        load_encoder("demo")
    with pytest.raises(EncoderUnavailable, match="stylist train encoder"):
        get_encoder()


def test_missing_damaged_and_foreign_checkpoints_get_sentences(tmp_path, tiny, saved_demo):
    with pytest.raises(EncoderUnavailable, match="does not exist"):
        load_encoder(str(tmp_path / "missing.pt"))

    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(b"this is not a checkpoint" * 10)
    with pytest.raises(EncoderUnavailable, match="damaged"):
        load_encoder(str(damaged))

    truncated = saved_demo / CHECKPOINT_NAME
    truncated.write_bytes(truncated.read_bytes()[:2000])
    with pytest.raises(EncoderUnavailable, match="damaged"):
        load_encoder("demo")

    bare = tmp_path / "bare.pt"
    torch.save(tiny.model.state_dict(), bare)  # weights without a config
    with pytest.raises(EncoderUnavailable, match="no model config"):
        load_encoder(str(bare))
    # ... which work once the architecture is named
    np.testing.assert_allclose(
        load_encoder(f"stylist-tiny:{bare}").encode_texts(TEXTS),
        tiny.encode_texts(TEXTS),
        atol=1e-6,
    )


def test_weights_of_another_architecture_are_refused(tmp_path, tiny):
    weights = tmp_path / "tiny.pt"
    torch.save(tiny.model.state_dict(), weights)
    config = MODEL_CONFIGS_DIR / "stylist-demo.json"
    with pytest.raises(EncoderUnavailable, match="do not fit"):
        load_encoder(f"{config}:{weights}")


def test_registering_a_config_leaves_no_file_behind_and_survives_rescans(tmp_path):
    import tempfile

    import open_clip

    from stylist.models.encoder.registry import register_config, register_model_configs

    register_model_configs()

    def leftovers() -> list[str]:
        return [p.name for p in Path(tempfile.gettempdir()).glob("stylist-open-clip-config-*")]

    before = leftovers()
    model_cfg = {**open_clip.get_model_config("stylist-tiny"), "embed_dim": 24}
    name = register_config(model_cfg)
    assert leftovers() == before
    assert open_clip.get_model_config(name) == model_cfg
    assert register_config(dict(model_cfg)) == name  # same content, same name, once
    # open_clip rescans every registered path when another config is added: still known.
    register_config({**model_cfg, "embed_dim": 40})
    assert open_clip.get_model_config(name) == model_cfg


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_a_device_this_machine_lacks_is_a_sentence(saved_demo, isolated_settings):
    from stylist.models.devices import select_device
    from stylist.models.errors import DeviceUnavailable

    assert select_device("cpu") == torch.device("cpu")
    with pytest.raises(DeviceUnavailable, match="no CUDA GPU"):
        select_device("cuda")
    settings = isolated_settings.model_copy(update={"device": "cuda"})
    with pytest.raises(EncoderUnavailable, match="STYLIST_DEVICE is cuda"):
        load_encoder("demo", settings)


def test_bad_config_json_gets_a_sentence(tmp_path, saved_demo):
    config = tmp_path / "broken.json"
    config.write_text("{not json")
    with pytest.raises(EncoderUnavailable, match="not readable JSON"):
        load_encoder(f"{config}:{saved_demo / CHECKPOINT_NAME}")
    config.write_text(json.dumps({"embed_dim": 8}))
    with pytest.raises(EncoderUnavailable, match="not an open_clip model config"):
        load_encoder(f"{config}:{saved_demo / CHECKPOINT_NAME}")


# --- fingerprints and the process-wide encoder ---------------------------------------------


def test_fingerprint_follows_the_weights_and_get_encoder_reloads_retrained_ones(
    isolated_settings, saved_demo
):
    first = get_encoder()
    assert get_encoder() is first  # loaded once per process
    assert first.fingerprint.startswith("demo@sha256:")
    assert load_encoder("demo").fingerprint == first.fingerprint  # stable

    save_encoder(build_encoder("stylist-tiny", seed=2), saved_demo)  # "retrain"
    second = get_encoder()
    assert second is not first and second.fingerprint != first.fingerprint
    assert not np.allclose(second.encode_texts(TEXTS), first.encode_texts(TEXTS))


def test_pretrained_tags_are_their_own_fingerprint():
    from stylist.models.encoder.fingerprint import fingerprint

    assert fingerprint(parse_spec("ViT-B-32:laion2b_s34b_b79k")) == "ViT-B-32:laion2b_s34b_b79k"
    assert fingerprint(parse_spec("hf-hub:Marqo/marqo-fashionSigLIP")) == (
        "hf-hub:Marqo/marqo-fashionSigLIP"
    )


def test_save_replaces_an_existing_encoder_atomically(tiny, saved_demo):
    save_encoder(build_encoder("stylist-tiny", seed=3), saved_demo)
    leftovers = [p.name for p in saved_demo.parent.iterdir() if p.name != saved_demo.name]
    assert leftovers == []  # no staging or old directories left behind
    assert sorted(p.name for p in saved_demo.iterdir()) == sorted([CONFIG_NAME, CHECKPOINT_NAME])


# --- text embeddings on the used prefix ----------------------------------------------------


def test_text_embeddings_skip_the_padding_and_equal_the_full_context(tiny):
    from stylist.models.text_prefix import supports_prefix

    assert supports_prefix(tiny.model)
    texts = ["Nike Men Black Sports Shoes", "Red dress", ""]
    tokens = tiny.tokenize(texts)
    with torch.inference_mode():
        full = torch.nn.functional.normalize(tiny.model.encode_text(tokens), dim=-1).numpy()
    widths: list[int] = []
    hook = tiny.model.transformer.register_forward_hook(
        lambda _module, args, _out: widths.append(args[0].shape[1])
    )
    try:
        tiny.encode_texts(texts)  # the first batch is checked against the full rows
        got = tiny.encode_texts(texts)
    finally:
        hook.remove()
    np.testing.assert_allclose(got, full, atol=1e-5)
    context = tokens.shape[1]
    assert widths[-1] < context  # the second call ran on the prefix only
    assert widths[-1] == int(tokens.argmax(dim=-1).max()) + 1


def test_towers_that_see_the_whole_row_keep_the_full_context(tiny):
    from stylist.models.text_prefix import supports_prefix

    tiny.model.text_pool_type = "last"  # SigLIP-style pooling: padding matters
    assert not supports_prefix(tiny.model)
    texts = ["Nike Men Black Sports Shoes", "Red dress"]
    with torch.inference_mode():
        full = torch.nn.functional.normalize(
            tiny.model.encode_text(tiny.tokenize(texts)), dim=-1
        ).numpy()
    np.testing.assert_allclose(tiny.encode_texts(texts), full, atol=1e-6)
