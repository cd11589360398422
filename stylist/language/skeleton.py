"""A message's skeleton: what it asks, with the things it names replaced by stand-ins.

Intents are about the ask, not the item: "a handbag for a party" and "beige trousers for
work" are the same ask, and so are "describe photo 2" and "describe the second one". The intent
matcher compares skeletons of messages with skeletons of its examples, so neither the catalog's
words (nor a catalog's own vocabulary) nor the way a referent is named pull a message towards
the example that happens to share them.
"""

from __future__ import annotations

import re

from stylist.language.references import ReferenceReader
from stylist.language.vocabulary import KIND_ATTRIBUTES, Values, Vocabulary

# One ordinary word per kind of catalog phrase; references become "it".
STAND_INS = {"kind": "clothes", "baseColour": "red", "usage": "party", "season": "summer",
             "gender": "men", "reference": "it"}  # fmt: skip


class SkeletonWriter:
    def __init__(self, vocabulary: Vocabulary, references: ReferenceReader) -> None:
        self.vocabulary = vocabulary
        self.references = references

    def __call__(self, norm: str) -> str:
        _refs, blanked = self.references.read(norm)
        text = _replace_blanked(norm, blanked, STAND_INS["reference"])
        mentions, _ = self.vocabulary.find(text)
        for mention in sorted(mentions, key=lambda m: -m.start):
            text = text[: mention.start] + _stand_in(mention.values) + text[mention.end :]
        return " ".join(text.split()) or norm


def _replace_blanked(original: str, blanked: str, word: str) -> str:
    """`original` with each run of words a reader blanked replaced by `word`."""
    marked = "".join(
        "\0" if b == " " and o != " " else o for o, b in zip(original, blanked, strict=True)
    )
    return re.sub(r"\0+(?:\s+\0+)*", f" {word} ", marked)


def _stand_in(values: Values) -> str:
    if any(a in KIND_ATTRIBUTES for a in values):
        return STAND_INS["kind"]
    return next((STAND_INS[a] for a in STAND_INS if a in values), STAND_INS["kind"])
