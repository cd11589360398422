"""The language package's promises beyond single readings: JSON out, one summary sentence,
any catalog's values, data-driven intents, and per-process precomputation."""

from __future__ import annotations

from support.demo_vocab import demo_known_values

from stylist.language import Understanding, understand
from stylist.language.describe import describe
from stylist.language.intents import IntentMatcher
from stylist.language.understanding import Understander, intent_matcher, understander_for

# A few values of the real Kaggle catalog that the demo catalog does not have.
REAL_LIKE = {
    **demo_known_values(),
    "articleType": [*demo_known_values()["articleType"], "Flats", "Track Pants", "Sweatshirts"],
}


def test_an_understanding_is_json_and_back(understander):
    got = understander.understand("the second one but under $40 and not in black, for women")
    again = Understanding.model_validate_json(got.model_dump_json())
    assert again == got
    assert again.references[0].position == 2


def test_describe_says_briefly_what_was_understood(understander):
    got = understander.understand("summer party wear for women under $60, no black")
    assert got.summary_text == "Summer party wear for women under $60, no black"
    assert got.summary_text == describe(got)
    assert understander.understand("what goes with the second one?").summary_text == (
        "An outfit for result #2"
    )
    assert understander.understand("what is this and what goes with it?").summary_text == (
        "What it is, then an outfit"
    )


def test_synonyms_map_to_the_values_this_catalog_has(sentence_encoder):
    real = Understander(REAL_LIKE, encoder=sentence_encoder)
    demo = Understander(demo_known_values(), encoder=sentence_encoder)
    assert real.understand("joggers for the gym").include["articleType"] == [
        "Track Pants",
        "Trousers",
    ]
    assert demo.understand("joggers for the gym").include["articleType"] == ["Trousers"]
    assert real.understand("black flats").include["articleType"] == ["Flats"]
    assert "articleType" not in demo.understand("black flats").include


def test_a_word_no_table_lists_is_read_by_meaning(understander):
    # "frocks" is in no table (only "frock" is): its embedding is nearest the Dresses phrases.
    assert understander.understand("red frocks").include == {
        "articleType": ["Dresses"],
        "baseColour": ["Red"],
    }
    # A word with no close catalog phrase is kept for the text search, not forced into a filter.
    got = understander.understand("sweatshirts")
    assert got.include == {} and got.query_text == "sweatshirts"


def test_intents_come_from_example_phrases_as_data(sentence_encoder, understander):
    data = {
        "min_similarity": 0.5,
        "min_margin": 0.02,
        "top_k": 1,
        "intents": {
            "help": ["what can you do", "how does this work"],
            "small_talk": ["hello", "thanks a lot"],
        },
    }
    matcher = IntentMatcher.from_data(data, sentence_encoder)
    assert matcher.decide(sentence_encoder.vector("hello there")).intents == ["small_talk"]
    assert matcher.decide(sentence_encoder.vector("what are you able to do")).intents == ["help"]
    unrelated = matcher.decide(sentence_encoder.vector("quarterly tax report for 2019"))
    assert unrelated.intents == ["clarify"]


def test_confidence_is_calibrated_on_phrasings_the_matcher_has_not_seen(understander):
    # Leave-one-out over the examples: the mean confidence should match how often it is right.
    calibration = understander.matcher.calibration
    assert calibration.accuracy > 0.6
    assert abs(calibration.mean_confidence - calibration.accuracy) < 0.1


def test_example_embeddings_are_computed_once_per_process(sentence_encoder, understander):
    matcher = intent_matcher(sentence_encoder, understander.vocabulary)
    assert matcher is understander.matcher
    assert intent_matcher(sentence_encoder, understander.vocabulary) is matcher


def test_the_module_function_reuses_one_reader_per_catalog():
    known = demo_known_values()
    first = understand("black jeans under 40", known)
    assert first.include == {"articleType": ["Jeans"], "baseColour": ["Black"]}
    assert first.price.max == 40
    assert understander_for(known) is understander_for(dict(known))
    assert understander_for(REAL_LIKE) is not understander_for(known)
