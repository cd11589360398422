"""Reading profile messages: what they ask (remember, show, forget one fact, forget me) and the
facts a statement gives ("I never wear yellow" → no Yellow; "my budget is around 50" → $50).

The kind of request and the kind of fact are matched by meaning: the message's skeleton (catalog
words replaced by stand-ins, as the intent matcher compares them) against the example phrases
of `profile_phrases.json`. The values come from what `stylist.language` found in the words —
colours and occasions as catalog values, the budget's figure, a size word — so "I never wear
yellow" and "I love yellow" differ by meaning, and "yellow" is the catalog's Yellow either way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

import numpy as np

from stylist.language.intents import split_clauses
from stylist.language.result import Understanding
from stylist.language.text import normalise, tokens
from stylist.process_cache import ReloadingCache, file_stamp
from stylist.profile.model import FactKind, ProfileFact, StyleProfile
from stylist.wording import in_words

ProfileRequest = Literal["remember", "show", "forget_fact", "forget_me"]
# Scores are the mean cosine of the nearest examples (as the intent matcher scores intents).
TOP_K = 2
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SIZE_AFTER = re.compile(r"\bsize\s+(?:is\s+|of\s+)?([a-z0-9]{1,4})\b")
# "I never wear yellow and my budget is 40": a new statement about oneself after "and".
_STATEMENT_BREAK = re.compile(r",?\s+\band\s+(?=(?:my|i|i'm|im)\b)")


def phrases_path() -> Path:
    return Path(str(resources.files("stylist.profile").joinpath("profile_phrases.json")))


@lru_cache(maxsize=2)
def _table(stamp: tuple) -> dict:
    return json.loads(Path(stamp[0]).read_text())


def phrase_table() -> dict:
    return _table(file_stamp(phrases_path()))


def is_confirmation(text: str) -> bool:
    """Whether a reply confirms deleting the person's data: exact phrases only."""
    cleaned = re.sub(r"[^\w' ]+", " ", normalise(text))
    return " ".join(cleaned.split()) in set(phrase_table()["confirmations"])


@dataclass
class _Examples:
    labels: list[str]
    vectors: np.ndarray

    def ranked(self, vector: np.ndarray) -> list[tuple[str, float]]:
        scores = self.vectors @ vector
        found = []
        for label in dict.fromkeys(self.labels):
            mine = np.sort(scores[[i for i, x in enumerate(self.labels) if x == label]])[::-1]
            found.append((label, float(mine[:TOP_K].mean())))
        return sorted(found, key=lambda pair: -pair[1])


class ProfileReader:
    """Profile requests and facts by meaning; `rewrite` is the skeleton writer of the catalog's
    vocabulary (as the language layer applies it to messages)."""

    def __init__(self, encoder, rewrite: Callable[[str], str] = normalise) -> None:
        table = phrase_table()
        self.encoder = encoder
        self.rewrite = rewrite
        self.table = table
        self.requests = self._examples(table["requests"])
        self.kinds = self._examples(table["facts"])

    def _examples(self, groups: dict[str, list[str]]) -> _Examples:
        labels = [label for label, phrases in groups.items() for _ in phrases]
        texts = [self._skeleton(p) for phrases in groups.values() for p in phrases]
        return _Examples(labels, self.encoder.encode(texts))

    def _skeleton(self, text: str) -> str:
        return self.rewrite(normalise(text)) or normalise(text)

    def _vector(self, text: str) -> np.ndarray:
        return self.encoder.encode([self._skeleton(text)])[0]

    def request(self, text: str) -> ProfileRequest:
        """What a message the language layer read as a profile message asks for."""
        return self.requests.ranked(self._vector(text))[0][0]  # type: ignore[return-value]

    def facts(self, text: str, understand: Callable[[str], Understanding]) -> list[ProfileFact]:
        """The facts a statement gives, clause by clause (`understand` reads one clause with
        the catalog's words); a clause that names no value gives none."""
        found: list[ProfileFact] = []
        clauses = [
            part for c in split_clauses(normalise(text)) for part in _STATEMENT_BREAK.split(c)
        ]
        for clause in clauses:
            u = understand(clause)
            for kind, _score in self.kinds.ranked(self._vector(clause)):
                facts = self._facts_of(kind, clause, u, sentence=text.strip())  # type: ignore[arg-type]
                if facts:
                    found += facts
                    break
        return found

    def _facts_of(
        self, kind: FactKind, clause: str, u: Understanding, *, sentence: str
    ) -> list[ProfileFact]:
        def fact(**fields) -> ProfileFact:
            return ProfileFact(kind=kind, sentence=sentence, **fields)

        if kind in ("avoided_colour", "favourite_colour"):
            colours = [*u.include.get("baseColour", []), *u.exclude.get("baseColour", [])]
            return [fact(value=c) for c in dict.fromkeys(colours)]
        if kind == "occasion":
            return [fact(value=v) for v in u.include.get("usage", [])]
        if kind == "budget":
            amount = (u.price.max or u.price.min) if u.price else None
            if amount is None and (numbers := _NUMBER.findall(clause)):
                amount = float(numbers[0])
            return [fact(amount=float(amount))] if amount else []
        if kind == "size":
            size = self._size(clause)
            if not size:
                return []
            item = next(
                (v for a in ("articleType", "subCategory") for v in u.include.get(a, [])), ""
            )
            return [fact(value=size, item=item)]
        ignored = set(self.table["not_style_words"])
        words = [w for w in u.query_text.split() if w not in ignored]
        return [fact(value=" ".join(words))] if words else []

    def _size(self, clause: str) -> str:
        sizes = self.table["sizes"]
        after = _SIZE_AFTER.search(clause)
        if after:
            return after.group(1).upper()
        # "extra large" before "large": the longest size word said.
        for size in sorted(sizes, key=len, reverse=True):
            if len(size) > 2 and re.search(rf"\b{re.escape(size)}\b", clause):
                return size.title()
        said = {t for _s, _e, t in tokens(clause)}
        return next((s.upper() for s in sizes if s in said and len(s) <= 4 and s != "s"), "")

    def matching(
        self, profile: StyleProfile, text: str, u: Understanding | None
    ) -> list[ProfileFact]:
        """The facts "forget ..." names: by value ("yellow"), by kind ("my budget"), else the
        newest ("forget that")."""
        named = set()
        if u is not None:
            for values in (*u.include.values(), *u.exclude.values()):
                named |= {v.lower() for v in values}
        words = {t for _s, _e, t in tokens(normalise(text))}
        by_value = [
            f
            for f in profile.facts
            if f.value and (f.value.lower() in named or f.value.lower() in words)
        ]
        if by_value:
            return by_value
        kind_words = self.table["kind_words"]
        by_kind = [f for f in profile.facts if words & set(kind_words.get(f.kind, []))]
        if by_kind:
            return by_kind
        newest = profile.newest()
        return [newest] if newest else []


_READERS: ReloadingCache[ProfileReader] = ReloadingCache(maxsize=4)


def profile_reader(encoder, rewrite: Callable[[str], str] = normalise) -> ProfileReader:
    """The process-wide reader for this encoder and skeleton writer (example vectors once)."""
    key = (file_stamp(phrases_path()), id(encoder), id(rewrite))
    return _READERS.get(key, lambda: ProfileReader(encoder, rewrite))


def facts_words(facts: Sequence[ProfileFact]) -> str:
    """ "no Yellow and budget up to $50" for a confirmation sentence."""
    return in_words([f.describe() for f in facts])
