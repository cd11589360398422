"""A photo tagged by the real-photo tagger costs one decode and, with a packaged encoder whose
image tower is the ImageNet network at its own input size, one backbone pass: the embedding and
the ImageNet answer come from the same pass, and the tagger reads the pixels decoded on upload."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from stylist.catalog.schema import ATTRIBUTES

SIZE = 224  # the ImageNet network's own input: sharing changes nothing in its answer


@pytest.fixture(scope="module")
def packaged():
    from stylist.models.encoder.packaged import build_packaged_encoder

    torch.set_num_threads(1)  # CI machines are small and shared
    return build_packaged_encoder(image_size=SIZE, seed=0)


@pytest.fixture(scope="module")
def network():
    from stylist.models.pretrained import get_imagenet_lite0

    return get_imagenet_lite0()


def garment(rgb=(30, 60, 160), size=(600, 800)) -> Image.Image:
    image = Image.new("RGB", size, (255, 255, 255))
    w, h = size
    ImageDraw.Draw(image).rectangle((w // 5, h // 8, 4 * w // 5, 7 * h // 8), fill=rgb)
    return image


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_the_packaged_encoders_pass_gives_its_embedding_and_the_imagenet_answer(packaged, network):
    from stylist.models.pretrained import ImageNetLite0, Lite0Preprocess
    from stylist.models.shared_backbone import find_shared_backbone

    shared = find_shared_backbone(packaged, network)
    assert shared is not None  # the frozen trunk is the ImageNet network's own
    image = garment()
    embeddings, probabilities = shared.encode([image])
    assert np.allclose(embeddings, packaged.encode_images([image]), atol=1e-5)
    # The ImageNet network itself on the same photo: the same answer.
    alone = ImageNetLite0(network.network, Lite0Preprocess(SIZE)).probabilities([image]).numpy()
    assert probabilities.shape == (1, 1000)
    assert int(probabilities.argmax()) == int(alone.argmax())
    assert np.abs(probabilities - alone).max() < 0.05  # resampling differs a little


def test_a_fine_tuned_trunk_or_a_smaller_input_is_not_shared(packaged, network):
    import copy

    from stylist.models.encoder.packaged import build_packaged_encoder
    from stylist.models.shared_backbone import find_shared_backbone

    tuned = copy.deepcopy(packaged)
    tuned.fingerprint = "tuned-" + packaged.fingerprint
    with torch.no_grad():
        tuned.model.visual.trunk.conv_head.weight.add_(0.01)
    assert find_shared_backbone(tuned, network) is None
    # The default 128 px: the network's answer would be worse than at its own 224 px.
    assert find_shared_backbone(build_packaged_encoder(image_size=128), network) is None


class EmbeddingTagger:
    """A trained tagger on embeddings (like the attribute heads), answering the same always."""

    def __init__(self, encoder):
        self.encoder = encoder
        self.rows = 0

    def predict_embeddings(self, embeddings, top_k=3):
        self.rows += len(embeddings)
        return [{a: [("A", 0.6), ("B", 0.4)][:top_k] for a in ATTRIBUTES} for _ in embeddings]

    def predict(self, images, top_k=3):  # pragma: no cover - the tools never call it here
        raise AssertionError("the photo's embedding should be used")


def test_a_photo_is_decoded_once_and_run_through_one_backbone(
    packaged, network, isolated_settings, monkeypatch
):
    import stylist.images
    from stylist.models.combined_tagger import CombinedTagger
    from stylist.models.imagenet_tags import CatalogVocabulary, ImageNetTagger
    from stylist.tools import photo_tools, services
    from stylist.tools.photos import accept_photo

    tagger = CombinedTagger(
        EmbeddingTagger(packaged), ImageNetTagger(CatalogVocabulary.demo(), network=network)
    )
    monkeypatch.setattr(services, "encoder", lambda: packaged)
    monkeypatch.setattr(services, "tagger", lambda: tagger)
    decodes, imagenet_passes = [], []
    load_image = stylist.images.load_image

    def counted_load(source, **kwargs):
        decodes.append(kwargs.get("draft"))
        return load_image(source, **kwargs)

    monkeypatch.setattr(stylist.images, "load_image", counted_load)
    hook = network.network.register_forward_hook(lambda *_: imagenet_passes.append(1))
    try:
        photo_id = accept_photo(jpeg(garment(size=(1600, 2000))))
        tags = photo_tools.predict_tags(photo_id)
        again = photo_tools.predict_tags(photo_id)  # a later tool of the turn
    finally:
        hook.remove()
    assert decodes == [(224, 224)]  # one decode, covering the encoder's and the tagger's input
    assert imagenet_passes == []  # the ImageNet answer came from the encoder's pass
    assert list(tags) == list(ATTRIBUTES) and tags == again
    assert tags["baseColour"][0][0] == "Blue"  # the colour, read from the kept pixels
