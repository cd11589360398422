"""Constraint language: prices, comparatives, corrections and resets, and negation with its scope.

Each reader takes the working text (see `text.py`), returns what it found and the text with
its words blanked, so that "less formal" is a comparative and never the occasion Formal, and
"no more than 60" is a price and never a negation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from stylist.language.result import Comparative, PriceConstraint
from stylist.language.text import blank, is_content_word, tokens
from stylist.language.vocabulary import KIND_ATTRIBUTES, Mention

# --- price --------------------------------------------------------------------------------

_NUM = r"(\d+(?:\.\d+)?)"
_CURRENCY = r"(?:\$|usd\b|dollars?\b|bucks\b|eur\b|euros?\b|€|£|pounds?\b)"
_AMOUNT = rf"[$€£]?\s*{_NUM}\s*{_CURRENCY}?"
# Checked in order; each consumes its words so that "from $20 to $50" is not also "min $20".
_PRICE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:between|from)\s+{_AMOUNT}\s*(?:and|to|-|–)\s*{_AMOUNT}"), "range"),
    (re.compile(rf"(?<![\w.#])[$€£]{_NUM}\s*(?:-|–|to)\s*{_AMOUNT}"), "range"),
    (re.compile(rf"(?<![\w.#]){_NUM}\s*(?:-|–|to)\s*{_NUM}\s*{_CURRENCY}"), "range"),
    (
        re.compile(
            r"(?:\bunder|\bbelow|\bless\s+than|\bcheaper\s+than|\bup\s*to|\bmax(?:imum)?"
            r"|\bat\s+most|\bno\s+more\s+than|\bnot\s+more\s+than|\bwithin|\bbudget\s+(?:of|is)"
            rf"|\bbudget:?|\bunder\s+about|\bfor\s+less\s+than|<=?)\s*{_AMOUNT}"
        ),
        "max",
    ),
    (re.compile(rf"(?<![\w.#]){_AMOUNT}\s+or\s+(?:less|under|below|cheaper)\b"), "max"),
    (re.compile(rf"(?<![\w.#]){_AMOUNT}\s+(?:max|tops|at\s+most)\b"), "max"),
    (
        re.compile(
            r"(?:\bover|\babove|\bmore\s+than|\bat\s+least|\bmin(?:imum)?|\bstarting\s+at"
            rf"|\bpricier\s+than|>=?)\s*{_AMOUNT}"
        ),
        "min",
    ),
    (re.compile(rf"(?<![\w.#]){_AMOUNT}\s+or\s+(?:more|over|above)\b"), "min"),
    (
        re.compile(
            rf"(?:\baround|\babout|\broughly)\s+[$€£]\s*{_NUM}|\baround\s+{_NUM}\s*{_CURRENCY}"
        ),
        "around",
    ),
]
_RELATIVE = [
    (
        re.compile(
            r"\b(?:cheaper|less\s+expensive|more\s+affordable|lower\s+price[ds]?|"
            r"too\s+(?:expensive|pricey|much)|budget|affordable|inexpensive|cheap|"
            r"on\s+a\s+budget|less\s+pricey|lower\s+budget|"
            r"not\s+(?:so|as|that)\s+(?:expensive|pricey))\b"
        ),
        "cheaper",
    ),
    (
        re.compile(
            r"\b(?:pricier|more\s+expensive|higher\s+end|high-end|luxury|premium|"
            r"fancier|too\s+cheap|more\s+upmarket|splurge)\b"
        ),
        "pricier",
    ),
]


def read_price(working: str) -> tuple[PriceConstraint | None, str]:
    low = high = None
    relative = None
    for pattern, kind in _PRICE_PATTERNS:
        match = pattern.search(working)
        if match is None:
            continue
        numbers = [float(g) for g in match.groups() if g is not None]
        if kind == "range" and len(numbers) >= 2:
            low, high = sorted(numbers[:2])
        elif kind == "max" and high is None:
            high = numbers[0]
        elif kind == "min" and low is None:
            low = numbers[0]
        elif kind == "around" and high is None and low is None:
            # "around $50" -> a band either side, so the search does not show $5 or $500.
            low, high = round(numbers[0] * 0.8, 2), round(numbers[0] * 1.2, 2)
        else:
            continue
        working = blank(working, *match.span())
    for pattern, direction in _RELATIVE:
        match = pattern.search(working)
        if match is not None:
            relative = relative or direction
            working = blank(working, *match.span())
    if low is None and high is None and relative is None:
        return None, working
    return PriceConstraint(min=low, max=high, relative=relative), working


# --- comparatives -------------------------------------------------------------------------

# Adjective -> (dimension, direction of "more <adjective>").
_DIMENSIONS: dict[str, tuple[str, str]] = {
    "formal": ("formality", "more"),
    "dressy": ("formality", "more"),
    "smart": ("formality", "more"),
    "elegant": ("formality", "more"),
    "classy": ("formality", "more"),
    "casual": ("formality", "less"),
    "relaxed": ("formality", "less"),
    "laid-back": ("formality", "less"),
    "sporty": ("sportiness", "more"),
    "athletic": ("sportiness", "more"),
    "dark": ("darkness", "more"),
    "light": ("darkness", "less"),
    "bright": ("brightness", "more"),
    "colourful": ("brightness", "more"),
    "colorful": ("brightness", "more"),
    "muted": ("brightness", "less"),
    "subtle": ("brightness", "less"),
    "bold": ("brightness", "more"),
    "warm": ("warmth", "more"),
    "cool": ("warmth", "less"),
}
_COMPARATIVE_FORMS: dict[str, str] = {
    "darker": "dark",
    "lighter": "light",
    "paler": "light",
    "brighter": "bright",
    "bolder": "bold",
    "dressier": "dressy",
    "smarter": "smart",
    "classier": "classy",
    "warmer": "warm",
    "cooler": "cool",
    "sportier": "sporty",
}
_ADJECTIVES = "|".join(sorted(map(re.escape, _DIMENSIONS), key=len, reverse=True))
_MORE_LESS = re.compile(
    r"\b(?:(?:a\s+)?(?:bit|little|lot|touch|tad|slightly|much)\s+)?"
    r"(more|less|not\s+so|not\s+as|not\s+that|too|a\s+bit\s+too|way\s+too)\s+("
    + _ADJECTIVES
    + r")\b"
)
_ER = re.compile(r"\b(" + "|".join(_COMPARATIVE_FORMS) + r")\b")
_FLIP = {"more": "less", "less": "more"}


def read_comparatives(working: str) -> tuple[list[Comparative], str]:
    found: list[tuple[int, Comparative]] = []
    while (match := _MORE_LESS.search(working)) is not None:
        adverb, adjective = match.group(1), match.group(2)
        dimension, direction = _DIMENSIONS[adjective]
        if adverb != "more":  # less / not so / too formal: the other way
            direction = _FLIP[direction]
        found.append((match.start(), Comparative(dimension=dimension, direction=direction)))
        working = blank(working, *match.span())
    while (match := _ER.search(working)) is not None:
        dimension, direction = _DIMENSIONS[_COMPARATIVE_FORMS[match.group(1)]]
        found.append((match.start(), Comparative(dimension=dimension, direction=direction)))
        working = blank(working, *match.span())
    ordered = [c for _, c in sorted(found, key=lambda t: t[0])]
    return list(dict.fromkeys(ordered)), working


# --- corrections and resets ---------------------------------------------------------------

# A word for an attribute (or the price) in "any colour", "forget the price".
_ATTRIBUTE_WORDS: dict[str, str] = {
    "colour": "baseColour",
    "colours": "baseColour",
    "color": "baseColour",
    "colors": "baseColour",
    "shade": "baseColour",
    "price": "price",
    "prices": "price",
    "budget": "price",
    "price limit": "price",
    "price range": "price",
    "cost": "price",
    "type": "articleType",
    "kind": "articleType",
    "category": "articleType",
    "season": "season",
    "occasion": "usage",
    "usage": "usage",
    "style": "usage",
    "gender": "gender",
    "size": "size",
}
_ATTR = "|".join(sorted(map(re.escape, _ATTRIBUTE_WORDS), key=len, reverse=True))
_RESET_PATTERNS = [
    re.compile(
        rf"\b(?:any|whatever|every|all)\s+({_ATTR})s?\b"
        r"(?:\s+(?:is\s+)?(?:fine|ok|okay|works|will\s+do))?"
    ),
    re.compile(rf"\b(?:the\s+)?({_ATTR})\s+(?:doesn't|does\s+not|don't|do\s+not)\s+matter\b"),
    re.compile(
        r"\b(?:forget|drop|remove|ignore|clear|lose|never\s*mind|skip)\s+(?:about\s+)?"
        rf"(?:the\s+|that\s+|my\s+)?({_ATTR})(?:\s+(?:filter|limit|thing|part|constraint))?\b"
    ),
    re.compile(
        rf"\b(?:i\s+)?(?:don't|do\s+not)\s+care\s+(?:about\s+)?(?:the\s+|what\s+)?({_ATTR})\b"
    ),
    re.compile(rf"\bno\s+({_ATTR})\s+(?:limit|filter|preference|constraint)s?\b"),
]
_RESET_ALL = re.compile(
    r"\b(?:start\s+(?:over|again|afresh)|from\s+scratch|"
    r"clear\s+(?:all\s+|the\s+|my\s+)?(?:filters|constraints|everything)|"
    r"reset(?:\s+(?:all|everything|the\s+filters|filters))?|"
    r"forget\s+(?:all\s+(?:of\s+)?)?(?:everything|all\s+that|that|it\s+all)|"
    r"(?:remove|drop)\s+(?:all\s+)?(?:the\s+)?filters|no\s+filters|scratch\s+that)\b"
)
_CORRECTION = re.compile(
    r"^\s*(?:no|nope|wait|hmm)\s*[,.!]|^\s*(?:oops|sorry)\b|"
    r"\b(?:i\s+meant|i\s+mean|actually|no\s+wait|i\s+said|correction|rather|instead|"
    r"make\s+(?:it|that)|change\s+(?:it|that)\s+to|"
    r"switch\s+to|not\s+that)\b"
)


@dataclass(frozen=True)
class Resets:
    attributes: tuple[str, ...]  # "all", "price" or an attribute name
    correction: bool


def read_resets(working: str) -> tuple[Resets, str]:
    reset: list[str] = []
    correction = False
    while (match := _RESET_ALL.search(working)) is not None:
        reset.append("all")
        working = blank(working, *match.span())
    for pattern in _RESET_PATTERNS:
        while (match := pattern.search(working)) is not None:
            word = match.group(1)
            reset.append(_ATTRIBUTE_WORDS[word])
            working = blank(working, *match.span())
    while (match := _CORRECTION.search(working)) is not None:
        correction = True
        working = blank(working, *match.span())
    if reset and "all" not in reset:
        correction = True  # "any colour" changes what was asked before
    return Resets(tuple(dict.fromkeys(reset)), correction), working


# --- negation -----------------------------------------------------------------------------

_NEGATION = re.compile(
    r"\b(?:(?:i\s+)?(?:really\s+)?(?:don't|do\s+not|dont|didn't|did\s+not)\s+(?:really\s+)?"
    r"(?:like|want|need|love|fancy|do|wear|care\s+for)|i\s+(?:really\s+)?(?:hate|dislike|detest)|"
    r"(?:i'm|i\s+am|im)\s+not\s+(?:a\s+fan\s+of|into|keen\s+on)|not\s+a\s+fan\s+of|"
    r"(?:anything|everything|something)\s+(?:but|except|other\s+than)|except(?:\s+for)?|"
    r"other\s+than|apart\s+from|excluding|exclude|without|w/o|avoid(?:ing)?|skip|"
    r"(?:don't|do\s+not|dont|stop)\s+(?:show|give|send|suggest)(?:ing)?(?:\s+me)?|"
    r"no\s+more|none\s+of|nothing|neither|nor|never|not|no)\b"
)
# Words a negation's scope passes over ("not in red or blue please", "no black, grey or navy").
_SCOPE_FILLER = frozenset(
    """, / or and nor either any anything a an the in too colour color colours colors coloured
    colored shade shades please thanks really more of ones one stuff things items at all for
    ever so very that those these kind type""".split()
)
_MODIFIER_ATTRIBUTES = ("baseColour", "usage", "season")


def negation_cues(working: str) -> tuple[list[int], str]:
    """End positions of the negation cues in `working` (cues blanked)."""
    ends: list[int] = []
    while (match := _NEGATION.search(working)) is not None:
        ends.append(match.end())
        working = blank(working, *match.span())
    return sorted(ends), working


def negated(
    mentions: Sequence[Mention], cue_ends: Sequence[int], working: str
) -> tuple[set[int], list[str]]:
    """Indices of the mentions inside a negation's scope, and negated words the catalog does
    not name ("without prints" -> "prints").

    A scope runs from its cue over mentions, list words and fillers, and ends at the first other
    word or a clause break. In "no black jeans" the trailing kind word (jeans) is what is wanted,
    only its modifier is negated.
    """
    by_start = {m.start: i for i, m in enumerate(mentions)}
    negated_ids: set[int] = set()
    terms: list[str] = []
    stream = _stream(mentions, working)
    for cue in cue_ends:
        group: list[int] = []
        for start, item in stream:
            if start < cue:
                continue
            if isinstance(item, Mention):
                group.append(by_start[item.start])
            elif item in _SCOPE_FILLER:
                continue
            else:
                if not group and is_content_word(str(item)):
                    terms.append(str(item))
                break
        negated_ids |= set(_without_head(group, mentions))
    return negated_ids, list(dict.fromkeys(terms))


def _stream(mentions: Sequence[Mention], working: str) -> list[tuple[int, object]]:
    """Mentions and leftover tokens in text order."""
    items: list[tuple[int, object]] = [(m.start, m) for m in mentions]
    items += [(s, tok) for s, _e, tok in tokens(working)]
    return sorted(items, key=lambda t: t[0])


def _without_head(group: list[int], mentions: Sequence[Mention]) -> list[int]:
    if len(group) < 2:
        return group
    last, before = mentions[group[-1]], mentions[group[-2]]
    is_head = any(a in KIND_ATTRIBUTES for a in last.values)
    is_modifier = all(a in _MODIFIER_ATTRIBUTES for a in before.values)
    adjacent = last.start - before.end <= 1
    return group[:-1] if is_head and is_modifier and adjacent else group
