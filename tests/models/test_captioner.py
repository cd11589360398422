"""Captions from tags (no LLM, no encoder needed) and zero-shot descriptors kept only when
they win clearly."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from stylist.models.captioner import (
    Captioner,
    Descriptor,
    caption_image,
    convincing,
    load_caption_vocab,
)
from stylist.models.encoder import build_encoder

SHIRT = {
    "gender": [("Men", 0.91), ("Unisex", 0.05)],
    "masterCategory": [("Apparel", 0.99)],
    "subCategory": [("Topwear", 0.95)],
    "articleType": [("Shirts", 0.82), ("Tshirts", 0.1)],
    "baseColour": [("Navy Blue", 0.74), ("Blue", 0.2)],
    "season": [("Summer", 0.6), ("Spring", 0.3)],
    "usage": [("Casual", 0.88)],
}


def _words(text: str) -> list[str]:
    return [w for w in text.replace("—", " ").split() if w.strip(",.")]


def test_caption_from_tags_alone(isolated_settings):
    # No demo encoder in this data dir: the caption comes from the tags alone.
    picture = Image.new("RGB", (120, 160), (20, 30, 90))
    caption = caption_image(picture, SHIRT)
    assert caption == "Navy blue men's casual shirt — for summer days."


def test_descriptors_join_the_sentence_and_the_budget_is_kept():
    captioner = Captioner(encoder=None)
    chosen = {
        g: Descriptor(g, label, 0.8, 0.5)
        for g, label in (("pattern", "striped"), ("fit", "slim fit"), ("material", "cotton"))
    }
    assert captioner.compose(SHIRT, chosen) == (
        "Navy blue men's casual shirt in a slim fit, striped cotton — for summer days."
    )
    # Over the word budget, the least important parts go first (style, then material, ...).
    tight = Captioner(encoder=None, vocab={**load_caption_vocab(), "max_words": 9})
    chosen["style"] = Descriptor("style", "classic", 0.8, 0.5)
    short = tight.compose(SHIRT, chosen)
    assert len(_words(short)) <= 9
    assert "classic" not in short and "cotton" not in short and "shirt" in short


def test_unsure_other_and_redundant_tags_are_left_out():
    captioner = Captioner(encoder=None)
    tags = {
        "gender": [{"label": "Women", "confidence": 0.2}],  # the UI artifact form, unsure
        "articleType": [{"label": "Sports Shoes", "confidence": 0.9}],
        "baseColour": [("Other", 0.9)],
        "usage": [("Sports", 0.95)],  # already in "sports shoes"
        "season": [("Winter", 0.8)],
    }
    assert captioner.compose(tags) == "Sports shoes — for cold winter days."
    assert captioner.compose({}) == "Piece."


def test_convincing_needs_both_probability_and_margin():
    labels = ["striped", "checked", "plain"]
    assert (
        convincing(labels, np.array([0.7, 0.2, 0.1]), min_probability=0.45, min_margin=0.2)[0]
        == "striped"
    )
    assert (
        convincing(labels, np.array([0.5, 0.4, 0.1]), min_probability=0.45, min_margin=0.2) is None
    )  # too close to the runner-up
    assert (
        convincing(labels, np.array([0.4, 0.1, 0.1]), min_probability=0.45, min_margin=0.2) is None
    )  # not probable enough


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_zero_shot_descriptors_respect_their_groups_and_thresholds(seed):
    encoder = build_encoder("stylist-tiny", seed=seed)
    captioner = Captioner(encoder)
    picture = Image.new("RGB", (120, 160), (200, 40, 40))
    vocab = load_caption_vocab()["groups"]
    for master in ("Apparel", "Footwear"):
        found = captioner.descriptors(picture, master)
        for group, descriptor in found.items():
            spec = vocab[group]
            assert master in spec["applies_to"]
            assert descriptor.label in spec["labels"]
            assert descriptor.probability >= spec["min_probability"]
            assert descriptor.margin >= spec["min_margin"]
        if master == "Footwear":
            assert "fit" not in found  # fit is a garment's property
    caption = captioner.caption(picture, SHIRT)
    assert caption.startswith("Navy blue men's casual shirt") and len(_words(caption)) <= 20
    # An image embedding can stand in for the picture (the chat already has it).
    embedding = encoder.encode_images([picture])[0]
    assert captioner.descriptors(embedding, "Apparel") == captioner.descriptors(picture, "Apparel")
