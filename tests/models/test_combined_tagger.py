"""The real-photo tagger in the product: the trained tagger and the ImageNet tagger mixed by
confidence, selected by STYLIST_REAL_PHOTO_TAGGER (auto = on for the demo install), in the
AttributeTagger format the tools take unchanged."""

from __future__ import annotations

import pytest
from PIL import Image

from stylist.catalog.schema import ATTRIBUTES


class FixedTagger:
    """A tagger that always answers the same (what a trained or ImageNet tagger would say)."""

    def __init__(self, answer):
        self.answer = answer
        self.seen = 0

    def predict(self, images, top_k=3):
        self.seen += len(images)
        return [{a: ranked[:top_k] for a, ranked in self.answer.items()} for _ in images]


def _answer(label_p):
    return {a: label_p for a in ATTRIBUTES}


def test_agreeing_taggers_stay_sure_and_a_disagreement_is_won_by_the_surer_but_marked_unsure():
    from stylist.models.combined_tagger import mix

    agree = mix([("Shirts", 0.9), ("Tshirts", 0.1)], [("Shirts", 0.7), ("Tops", 0.3)])
    assert agree[0][0] == "Shirts" and agree[0][1] > 0.8
    # The drawings-only tagger is sure of a wrong label; the photo tagger is surer of another.
    disagree = mix([("Dresses", 0.6), ("Tops", 0.4)], [("Shirts", 0.95), ("Tshirts", 0.05)])
    assert disagree[0][0] == "Shirts"
    assert disagree[0][1] < 0.7  # well below the 0.95 it claimed alone: the tags say "unsure"
    assert sum(p for _, p in disagree) == pytest.approx(1.0)
    # A reliability below 1 lets the trained tagger win the same disagreement.
    assert mix([("Dresses", 0.6)], [("Shirts", 0.95)], photo_reliability=0.3)[0][0] == "Dresses"


def test_combined_tagger_answers_in_the_attribute_tagger_format():
    from stylist.models.combined_tagger import CombinedTagger, disagreements

    trained = FixedTagger(_answer([("A", 0.8), ("B", 0.2)]))
    photo = FixedTagger(_answer([("B", 0.9), ("C", 0.1)]))
    tagger = CombinedTagger(trained, photo, reliability={"gender": 0.1})
    image = Image.new("RGB", (32, 32), "white")
    [prediction] = tagger.predict([image], top_k=2)
    assert list(prediction) == list(ATTRIBUTES)
    assert all(len(ranked) == 2 for ranked in prediction.values())
    assert prediction["articleType"][0][0] == "B"
    assert prediction["gender"][0][0] == "A"  # its reliability keeps the photo tagger quiet
    assert trained.seen == photo.seen == 1
    t, p = tagger.predict_both([image])
    assert disagreements(t[0], p[0]) == list(ATTRIBUTES)


@pytest.mark.slow
@pytest.mark.parametrize("setting, combined", [("auto", True), ("off", False), ("on", True)])
def test_the_demo_install_mixes_in_the_real_photo_tagger_by_default(
    use_demo_world, setting, combined
):
    from stylist.catalog.store import Catalog
    from stylist.models.combined_tagger import CombinedTagger
    from stylist.models.taggers import load_tagger

    settings = use_demo_world.model_copy(update={"real_photo_tagger": setting})
    tagger = load_tagger(settings)
    assert isinstance(tagger, CombinedTagger) is combined
    catalog = Catalog.load(settings)
    row = catalog.test.iloc[0]
    [prediction] = tagger.predict([Image.open(row["image"])], top_k=3)
    assert list(prediction) == list(ATTRIBUTES)
    for ranked in prediction.values():
        assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
        assert all(0.0 <= p <= 1.0 for _, p in ranked)


def test_auto_is_off_for_an_install_of_another_catalog(tmp_path):
    import json

    from stylist.models.taggers import real_photo_tagger_on
    from stylist.settings import StyleSettings

    settings = StyleSettings(data_dir=tmp_path)
    assert not real_photo_tagger_on(settings)  # nothing ingested yet
    summary = settings.items_path.parent / "ingest-summary.json"
    summary.parent.mkdir(parents=True)
    summary.write_text(json.dumps({"styles_csv": str(tmp_path / "shop" / "styles.csv")}))
    assert not real_photo_tagger_on(settings)
    summary.write_text(json.dumps({"styles_csv": str(settings.demo_catalog_dir / "styles.csv")}))
    assert real_photo_tagger_on(settings)
    assert real_photo_tagger_on(settings.model_copy(update={"real_photo_tagger": "on"}))
    assert not real_photo_tagger_on(settings.model_copy(update={"real_photo_tagger": "off"}))
