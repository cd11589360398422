"""Language for the offline stylist: the sentence encoder, intents and catalog words by meaning,
and the constraint language ("not black", "under 60", "less formal", "the second one").

Layer: beside models and vectorstore; imports only settings, catalog, process_cache, wording.
"""

from stylist.language.result import (
    Comparative,
    IntentScore,
    ItemRef,
    PhotoRef,
    PriceConstraint,
    ResultRef,
    Understanding,
)
from stylist.language.sentence_encoder import (
    SentenceEncoder,
    SentenceEncoderUnavailable,
    get_sentence_encoder,
    load_sentence_encoder,
)
from stylist.language.understanding import Understander, understand

__all__ = [
    "Comparative",
    "IntentScore",
    "ItemRef",
    "PhotoRef",
    "PriceConstraint",
    "ResultRef",
    "SentenceEncoder",
    "SentenceEncoderUnavailable",
    "Understander",
    "Understanding",
    "get_sentence_encoder",
    "load_sentence_encoder",
    "understand",
]
