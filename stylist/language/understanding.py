"""The offline stylist's reading of one message: `understand(text, known_values)`.

Readers run in a fixed order on one working copy of the message, each blanking the words it
used: references ("the second one", "photo 2") → comparatives ("less formal", "not that
formal") → resets and corrections ("actually, any colour") → price ("under 60", "cheaper") →
negation cues → catalog words (values and synonyms) → the leftover words by meaning. The
whole message's skeleton (catalog words and references replaced by stand-ins), its clauses and the leftover
phrases are then embedded in ONE encoder call (cached per text), and the intent matcher
decides what to do; a few rules of structure settle what meaning alone cannot.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from stylist.catalog.schema import ATTRIBUTES
from stylist.language.constraints import (
    negated,
    negation_cues,
    read_comparatives,
    read_price,
    read_resets,
)
from stylist.language.describe import describe
from stylist.language.intents import (
    CLARIFY,
    IntentMatcher,
    examples_path,
    load_examples,
    split_clauses,
)
from stylist.language.references import ReferenceReader
from stylist.language.result import IntentScore, Understanding
from stylist.language.sentence_encoder import SentenceEncoder, get_sentence_encoder
from stylist.language.skeleton import SkeletonWriter
from stylist.language.text import blank, is_content_word, normalise, tokens
from stylist.language.vocabulary import KIND_ATTRIBUTES, Mention, Vocabulary
from stylist.process_cache import ReloadingCache, file_stamp

KnownValues = Mapping[str, Sequence[str]]

# A chat message asks a few things; a pasted essay must not cost an encoder call per sentence.
MAX_CLAUSES = 4
MAX_LOOKUPS = 8

_QUOTED = re.compile(r"[\"']([^\"']{1,40})[\"']")
_MY_STYLE = re.compile(
    r"\b(?:my|our)\s+(?:own\s+)?([a-z0-9][\w-]*(?:\s[a-z0-9][\w-]*)?)\s+"
    r"(?:style|look|vibe|aesthetic)\b"
    r"|\b(?:style|look)\s+(?:called|named)\s+([a-z0-9][\w-]*)"
    r"|\b(?:style|look):\s*([a-z0-9][\w-]*)"
    r"|\bcall\s+(?:this|it|these|them)\s+(?:style\s+)?([a-z0-9][\w-]*)"
)


# Words that ask for items like an anchor (a photo, a shown item) rather than a narrower list.
_LIKENESS = re.compile(
    r"\b(?:similar|alike|look-?alikes?|resembl\w*|same\s+(?:style|look|vibe|kind|cut|shape|vein)"
    r"|(?:this|that)\s+(?:style|look|vibe)|(?:more|ones|something|anything|items?|things?)\s+like\b"
    r"|like\s+(?:this|that|these|those|it|them|mine)\b)"
)


class Understander:
    """Reads messages against one catalog's values; cheap to keep, built once per catalog."""

    def __init__(
        self,
        known_values: KnownValues,
        *,
        encoder: SentenceEncoder | None = None,
        matcher: IntentMatcher | None = None,
        synonyms: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
    ) -> None:
        self.encoder = encoder or get_sentence_encoder()
        self.vocabulary = Vocabulary.build(known_values, synonyms)
        self.references = ReferenceReader(self.vocabulary.kind_phrases)
        self.skeleton = SkeletonWriter(self.vocabulary, self.references)
        self.matcher = matcher or intent_matcher(self.encoder, self.vocabulary)
        self.vocabulary.phrase_vectors(self.encoder)  # once, not on the first message

    def understand(self, text: str) -> Understanding:
        norm = normalise(text)
        working = norm
        references, working = self.references.read(working)
        comparatives, working = read_comparatives(working)
        resets, working = read_resets(working)
        price, working = read_price(working)
        cues, working = negation_cues(working)
        mentions, working = self.vocabulary.find(working)
        candidates = self.vocabulary.meaning_candidates(working)[:MAX_LOOKUPS]

        skeleton = self.skeleton
        clauses = split_clauses(norm)[:MAX_CLAUSES]
        clauses = [skeleton(c) for c in clauses] if len(clauses) > 1 else []
        texts = [skeleton(norm) or "(empty message)", *clauses, *(c[2] for c in candidates)]
        vectors = self.encoder.encode(texts)
        whole, clause_vectors = vectors[0], vectors[1 : 1 + len(clauses)]
        by_meaning = self.vocabulary.by_meaning(
            candidates, vectors[1 + len(clauses) :], self.encoder
        )
        for mention in by_meaning:
            working = blank(working, mention.start, mention.end)
        mentions = sorted([*mentions, *by_meaning], key=lambda m: m.start)
        negated_ids, exclude_terms = negated(mentions, cues, working)

        include, exclude, gender = _constraints(mentions, negated_ids)
        decision = self.matcher.decide(
            whole, list(clause_vectors), ruled_out=self.matcher.ruled_out(norm)
        )
        intents = decision.intents
        states_constraints = bool(
            include or exclude or exclude_terms or gender or price or comparatives
        ) or bool(resets.attributes or references)
        if intents == [CLARIFY] and states_constraints:
            intents = [_item_ask(decision.ranked, wants_kind=_names_kind(include))]
        query_words = [
            t for _s, _e, t in tokens(working) if is_content_word(t) and t not in exclude_terms
        ]
        says_what = bool(include or gender or query_words)
        intents = _with_structure(
            intents,
            include,
            references,
            says_what=says_what,
            likeness=_LIKENESS.search(norm) is not None,
        )
        understanding = Understanding(
            text=text,
            intents=intents,
            candidates=decision.ranked[:3],
            confidence=decision.confidence,
            include=include,
            exclude=exclude,
            exclude_terms=exclude_terms,
            price=price,
            comparatives=comparatives,
            references=references,
            gender=gender,
            correction=resets.correction,
            reset=list(resets.attributes),
            style_label=_style_label(norm),
            query_text=" ".join(query_words),
        )
        understanding.summary_text = describe(understanding)
        return understanding


# What a message about catalog items asks for when its wording alone is not clear enough.
ITEM_ASKS = ("search", "refine", "similar", "outfit")


def _item_ask(ranked: Sequence[IntentScore], *, wants_kind: bool) -> str:
    """The best-scored item ask; between search and refine, the words decide: a message that
    names a kind of item ("shoes without heels") is a search, one that names none ("not in
    black") refines what was shown."""
    best = next(s.intent for s in ranked if s.intent in ITEM_ASKS)
    if best in ("search", "refine"):
        return "search" if wants_kind else "refine"
    return best


def _with_structure(
    intents: list[str], include, references, *, says_what: bool, likeness: bool
) -> list[str]:
    """What the words' structure says where the wording's meaning cannot: a refinement that
    names a kind of item ("shoes without heels") asks for those items, one that asks for
    likeness ("ones like this in black", "anything similar but cheaper") asks for similar
    items, and "similar" with neither likeness words nor an anchor ("something cheaper in
    blue") narrows what was shown; a search anchored on a shown item ("the third dress but in
    red") asks for items like it, and a "search" that names nothing wanted ("no sandals
    please") narrows what was shown."""
    anchored = any(r.type in ("result", "item", "photo") for r in references)
    if intents == ["refine"] and _names_kind(include):
        return ["search"]
    if intents == ["refine"] and likeness:
        return ["similar"]
    if intents == ["similar"] and not likeness and not anchored:
        return ["refine"]
    if intents == ["search"] and any(r.type in ("result", "item") for r in references):
        return ["similar"]
    if intents == ["search"] and not says_what:
        return ["refine"]
    return intents


def _names_kind(include: Mapping[str, list[str]]) -> bool:
    return any(include.get(a) for a in KIND_ATTRIBUTES)


def _constraints(
    mentions: Sequence[Mention], negated_ids: set[int]
) -> tuple[dict[str, list[str]], dict[str, list[str]], str | None]:
    include: dict[str, list[str]] = {}
    exclude: dict[str, list[str]] = {}
    for i, mention in enumerate(mentions):
        target = exclude if i in negated_ids else include
        for attribute, values in mention.values.items():
            bucket = target.setdefault(attribute, [])
            bucket.extend(v for v in values if v not in bucket)
    genders = include.pop("gender", [])
    order = {a: i for i, a in enumerate(ATTRIBUTES)}
    include = dict(sorted(include.items(), key=lambda kv: order[kv[0]]))
    exclude = dict(sorted(exclude.items(), key=lambda kv: order[kv[0]]))
    # "for men or women" names no single gender: no gender filter.
    return include, exclude, genders[0] if len(genders) == 1 else None


def _style_label(norm: str) -> str | None:
    quoted = _QUOTED.search(norm)
    if quoted:
        return quoted.group(1).strip()
    match = _MY_STYLE.search(norm)
    if match:
        return next(g for g in match.groups() if g).strip()
    return None


_MATCHERS: ReloadingCache[IntentMatcher] = ReloadingCache(maxsize=4)
_UNDERSTANDERS: ReloadingCache[Understander] = ReloadingCache(maxsize=4)


def intent_matcher(encoder: SentenceEncoder, vocabulary: Vocabulary) -> IntentMatcher:
    """The example phrases' embeddings (as skeletons in this vocabulary), computed once per
    process, examples file and catalog vocabulary."""
    path = examples_path()
    key = (file_stamp(path), id(encoder), vocabulary.fingerprint)
    skeleton = SkeletonWriter(vocabulary, ReferenceReader(vocabulary.kind_phrases))
    return _MATCHERS.get(
        key, lambda: IntentMatcher.from_data(load_examples(path), encoder, skeleton)
    )


def understander_for(known_values: KnownValues) -> Understander:
    """The process-wide reader for these catalog values (a few catalogs kept, newest last)."""
    key = tuple((a, tuple(known_values.get(a, ()))) for a in ATTRIBUTES)
    return _UNDERSTANDERS.get(key, lambda: Understander(known_values))


def understand(text: str, known_values: KnownValues) -> Understanding:
    """One message understood against these catalog values (the process-wide encoder)."""
    return understander_for(known_values).understand(text)
