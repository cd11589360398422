"""Catalog words in a message: exact values and synonyms first, then meaning for the leftovers.

The catalog's known values come in as an argument (attribute -> values, e.g. from
`Catalog.known_values`), so the same code reads the demo catalog and a real one. Values are
recognised in singular and plural; `synonyms.json` maps people's words ("sneakers", "sundress",
"beach wedding") to values, possibly several ("any of") and across attributes ("sundress" is a
dress and summer wear). Words that neither names are compared by sentence embedding with every
known phrase; a close enough, clear enough winner counts ("stilettos" -> Heels).

The same table and readers serve the plain-text search filters (`stylist.vectorstore.filters.
parse_query`: `stylist search`, the API, the tools' query words), so a word means one thing
everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

from stylist.catalog.schema import ATTRIBUTES
from stylist.language.text import blank, is_content_word, normalise, phrase_pattern, tokens

# When one phrase is the value of several attributes ("watches" is a sub-category and an
# article type), the most specific attribute wins.
SPECIFICITY = (
    "articleType",
    "subCategory",
    "masterCategory",
    "baseColour",
    "usage",
    "season",
    "gender",
)
# Attributes whose values name a kind of thing (a "that bag" reference names one of these).
KIND_ATTRIBUTES = ("articleType", "subCategory", "masterCategory")
# Plural-only garments whose singular is another word ("short dress" is not about shorts).
_NO_SINGULAR = {"shorts", "tights", "jeans", "pants", "leggings", "jeggings", "capris"}

# A leftover phrase takes the meaning of its nearest known phrase only when it is this close
# (cosine) and clearly closer than the nearest phrase naming something else.
MEANING_MIN_SIMILARITY = 0.62
MEANING_MIN_MARGIN = 0.04
MAX_MEANING_WORDS = 3

Values = dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Mention:
    """Catalog values named by the words at [start, end) of the normalised message."""

    start: int
    end: int
    phrase: str
    values: Values
    source: str  # "catalog" (a value or its plural), "synonym", "meaning"
    score: float = 1.0

    @property
    def attributes(self) -> tuple[str, ...]:
        return tuple(self.values)


@dataclass
class Vocabulary:
    """Phrase -> values for one catalog; build with `Vocabulary.build(known_values)`."""

    known: dict[str, tuple[str, ...]]
    phrases: dict[str, Values]
    sources: dict[str, str]
    fingerprint: str  # what the phrase table says, for caches keyed on it
    _ordered: list[str] = field(default_factory=list)
    _vectors: np.ndarray | None = None

    @classmethod
    def build(
        cls,
        known_values: Mapping[str, Sequence[str]],
        synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ) -> Vocabulary:
        known = {a: tuple(str(v) for v in known_values.get(a, ())) for a in ATTRIBUTES}
        synonyms = default_synonyms() if synonyms is None else synonyms
        phrases: dict[str, Values] = {}
        sources: dict[str, str] = {}
        for attribute in SPECIFICITY:
            for value in known[attribute]:
                for form in word_forms(value):
                    if form not in phrases:
                        phrases[form] = {attribute: (value,)}
                        sources[form] = "catalog"
        for phrase, mapping in synonyms.items():
            values = {
                attribute: tuple(v for v in wanted if v in known.get(attribute, ()))
                for attribute, wanted in mapping.items()
            }
            values = {a: vs for a, vs in values.items() if vs}
            if values:  # a synonym says more than the bare value ("bags" stays Bags)
                key = normalise(phrase)
                phrases[key] = values
                sources[key] = "synonym"
        fingerprint = hashlib.sha256(
            json.dumps(sorted(phrases.items()), sort_keys=True).encode()
        ).hexdigest()
        vocabulary = cls(known, phrases, sources, fingerprint)
        vocabulary._ordered = sorted(phrases, key=lambda p: (-len(p), p))
        return vocabulary

    @property
    def kind_phrases(self) -> dict[str, Values]:
        """Phrases that name a kind of item (for "that bag", "the second dress")."""
        return {p: v for p, v in self.phrases.items() if any(a in KIND_ATTRIBUTES for a in v)}

    def find(self, working: str) -> tuple[list[Mention], str]:
        """Every known phrase in `working`, longest first; their characters are blanked."""
        mentions: list[Mention] = []
        for phrase in self._ordered:
            if phrase not in working:
                continue
            pattern = _pattern(phrase)
            while (match := pattern.search(working)) is not None:
                start, end = match.span()
                mentions.append(
                    Mention(start, end, phrase, self.phrases[phrase], self.sources[phrase])
                )
                working = blank(working, start, end)
        return sorted(mentions, key=lambda m: m.start), working

    # --- by meaning ------------------------------------------------------------------------
    def meaning_candidates(self, working: str) -> list[tuple[int, int, str]]:
        """Runs of content words left in `working` (each up to MAX_MEANING_WORDS words)."""
        runs: list[list[tuple[int, int, str]]] = [[]]
        for start, end, token in tokens(working):
            content = is_content_word(token)
            if content and len(runs[-1]) < MAX_MEANING_WORDS:
                runs[-1].append((start, end, token))
            else:
                runs.append([(start, end, token)] if content else [])
        return [(r[0][0], r[-1][1], " ".join(t for _, _, t in r)) for r in runs if r]

    def phrase_vectors(self, encoder) -> np.ndarray:
        """Embeddings of every known phrase, computed once per vocabulary."""
        if self._vectors is None:
            self._vectors = encoder.encode(self._ordered)
        return self._vectors

    def by_meaning(
        self, candidates: Sequence[tuple[int, int, str]], vectors: np.ndarray, encoder
    ) -> list[Mention]:
        """Candidates whose nearest known phrase is close and unambiguous enough."""
        if not candidates:
            return []
        table = self.phrase_vectors(encoder)
        similarity = vectors @ table.T
        mentions = []
        for (start, end, text), row in zip(candidates, similarity, strict=True):
            order = np.argsort(-row)
            best = self._ordered[order[0]]
            best_values = self.phrases[best]
            runner_up = next(
                (float(row[i]) for i in order[1:] if self.phrases[self._ordered[i]] != best_values),
                0.0,
            )
            score = float(row[order[0]])
            # "weather" is not "cold weather": the exact reader already saw the word without
            # the rest of that phrase, so the missing words are what made it mean something.
            if set(text.split()) < set(best.split()):
                continue
            if score >= MEANING_MIN_SIMILARITY and score - runner_up >= MEANING_MIN_MARGIN:
                mentions.append(Mention(start, end, text, best_values, "meaning", score))
        return mentions


def word_forms(value: str) -> set[str]:
    """The value, lower case, with its last word in singular and plural form."""
    base = normalise(value)
    words = base.split(" ")
    last = words[-1]
    forms = {last}
    if last.endswith(("ches", "shes", "sses", "xes")):
        forms.add(last[:-2])
    elif last.endswith("ies") and len(last) > 4:
        forms.add(last[:-3] + "y")
    elif last in _NO_SINGULAR:
        pass
    elif last.endswith("s") and not last.endswith("ss") and len(last) > 3:
        forms.add(last[:-1])
    else:
        forms.add(last + ("es" if last.endswith(("ch", "sh", "ss", "x")) else "s"))
    out = {" ".join([*words[:-1], f]) for f in forms}
    if " " in base:  # "Navy Blue" also as "navy-blue"
        out |= {f.replace(" ", "-") for f in out}
    return out


@lru_cache(maxsize=1)
def _word_table() -> dict:
    """synonyms.json (package data): the one table of people's words for catalog values."""
    return json.loads(resources.files("stylist.language").joinpath("synonyms.json").read_text())


def default_synonyms() -> dict[str, dict[str, list[str]]]:
    """Phrase -> attribute -> catalog values ("sneakers" -> Casual or Sports Shoes)."""
    return _word_table()["phrases"]


@lru_cache(maxsize=1)
def filler_words() -> frozenset[str]:
    """Words a plain-text search drops from what is left for the embedding query."""
    return frozenset(_word_table()["filler_words"])


@lru_cache(maxsize=4096)
def _pattern(phrase: str):
    return phrase_pattern(phrase)
