"""The real-photo tagger: ImageNet classes summed into catalog labels, in the catalog's words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw

from stylist.catalog.demo import load_vocab
from stylist.catalog.schema import ATTRIBUTES
from stylist.models.imagenet_tags import CatalogVocabulary, ImageNetTagger, load_mapping
from stylist.models.pretrained import NUM_CLASSES, imagenet_class_names

# The Kaggle Fashion Product Images master categories.
MASTER_CATEGORIES = {"Apparel", "Accessories", "Footwear", "Personal Care", "Sporting Goods"}


def test_every_mapped_class_is_a_real_imagenet_class_with_catalog_labels():
    names = imagenet_class_names()
    demo = load_vocab()
    mapping = load_mapping()
    assert len({m.index for m in mapping}) == len(mapping)
    for mapped in mapping:
        assert names[mapped.index] == mapped.imagenet
        assert mapped.labels["masterCategory"] in MASTER_CATEGORIES, mapped.imagenet
        assert mapped.labels.get("gender", "Men") in demo["genders"], mapped.imagenet
        demo_type = demo["types"].get(mapped.labels.get("articleType"))
        if demo_type is not None:  # the same article type sits at the same place in the tree
            assert mapped.labels["masterCategory"] == demo_type["masterCategory"], mapped.imagenet
            assert mapped.labels["subCategory"] == demo_type["subCategory"], mapped.imagenet


def test_every_demo_category_can_be_answered():
    mapping = load_mapping()
    demo = load_vocab()["types"].values()
    # ImageNet has no flip-flop class (its "sandal" photos include them, and map to Sandal).
    no_imagenet_class = {"Flip Flops"}
    for attribute in ("masterCategory", "subCategory"):
        reachable = {m.labels.get(attribute) for m in mapping}
        assert {t[attribute] for t in demo} - no_imagenet_class <= reachable, attribute


@pytest.fixture(scope="module")
def tagger():
    return ImageNetTagger(CatalogVocabulary.demo())


def one_hot(name: str) -> list[float]:
    probabilities = [0.0] * NUM_CLASSES
    probabilities[imagenet_class_names().index(name)] = 0.9
    return probabilities


def garment_on_white(rgb) -> Image.Image:
    image = Image.new("RGB", (60, 80), (255, 255, 255))
    ImageDraw.Draw(image).rectangle((12, 10, 48, 70), fill=rgb)
    return image


def test_a_jersey_is_a_tshirt_in_the_demo_vocabulary(tagger):
    tags = tagger.tag_probabilities(one_hot("jersey"), garment_on_white((200, 30, 40)))
    assert list(tags) == list(ATTRIBUTES)
    assert tags["masterCategory"][0][0] == "Apparel"
    assert tags["subCategory"][0][0] == "Topwear"
    assert tags["articleType"][0][0] == "Tshirts"
    assert tags["baseColour"][0][0] == "Red"


def test_a_class_that_implies_a_gender_sets_it(tagger):
    tags = tagger.tag_probabilities(one_hot("purse"), garment_on_white((30, 30, 30)))
    assert [tags[a][0][0] for a in ("masterCategory", "subCategory", "articleType", "gender")] == [
        "Accessories",
        "Bags",
        "Handbags",
        "Women",
    ]


def test_labels_outside_the_vocabulary_are_never_answered(tagger):
    # A wallet is Accessories, but the demo catalog has no Wallets: the type falls back to
    # what the catalog holds, the master category still follows the photo.
    tags = tagger.tag_probabilities(one_hot("wallet"), garment_on_white((110, 70, 42)), top_k=50)
    assert tags["masterCategory"][0][0] == "Accessories"
    demo = CatalogVocabulary.demo()
    for attribute, ranked in tags.items():
        assert {label for label, _ in ranked} <= set(demo.labels(attribute)), attribute
        probabilities = [p for _, p in ranked]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) == pytest.approx(1.0)


def test_no_garment_evidence_answers_the_catalogs_prior(tagger):
    nothing = [0.0] * NUM_CLASSES
    tags = tagger.tag_probabilities(nothing, garment_on_white((200, 30, 40)))
    assert tags["masterCategory"][0][0] == "Apparel"  # the demo catalog's largest


def test_predict_tags_photos_end_to_end(tagger):
    photos = [garment_on_white((200, 30, 40)), Image.fromarray(np.full((80, 60, 3), 30, np.uint8))]
    tagged = tagger.predict(photos, top_k=2)
    assert len(tagged) == 2
    for tags in tagged:
        assert list(tags) == list(ATTRIBUTES)
        assert all(1 <= len(ranked) <= 2 for ranked in tags.values())
    assert tagged[0]["baseColour"][0][0] == "Red"


def small_catalog() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "gender": ["Women", "Women", "Women", "Men"],
            "masterCategory": ["Apparel"] * 4,
            "subCategory": ["Dress", "Dress", "Topwear", "Topwear"],
            "articleType": ["Dresses", "Dresses", "Shirts", "Shirts"],
            "baseColour": ["Red", "Blue", "Red", "Red"],
            "season": ["Summer"] * 4,
            "usage": ["Casual"] * 4,
        }
    )


def test_vocabulary_from_items_reads_the_gender_mix_of_each_type():
    vocabulary = CatalogVocabulary.from_items(small_catalog())
    assert vocabulary.given_type["gender"]["Dresses"] == {"Women": 1.0}
    assert vocabulary.given_type["gender"]["Shirts"] == {"Women": 0.5, "Men": 0.5}
    assert vocabulary.prior["baseColour"] == {"Red": 0.75, "Blue": 0.25}


def test_gender_follows_the_catalogs_mix_unless_the_class_implies_one(tagger):
    vocabulary = CatalogVocabulary.from_items(small_catalog())
    on_catalog = ImageNetTagger(vocabulary, network=tagger.network)
    photo = garment_on_white((200, 30, 40))
    # "jersey" implies no gender and is no type this catalog has: the catalog's mix (3 to 1).
    jersey = on_catalog.tag_probabilities(one_hot("jersey"), photo, top_k=5)["gender"]
    assert dict(jersey)["Women"] == pytest.approx(3 * dict(jersey)["Men"])
    # "suit" implies Men, against the catalog's Women majority; "gown" is a Dresses, all Women.
    assert on_catalog.tag_probabilities(one_hot("gown"), photo)["gender"][0][0] == "Women"
    assert on_catalog.tag_probabilities(one_hot("suit"), photo)["gender"][0][0] == "Men"
    assert on_catalog.tag_probabilities(one_hot("gown"), photo)["articleType"][0][0] == "Dresses"
