"""The one place that builds search filters: validation against the catalog's known values,
free-text parsing ("men black formal shoes under 60"), and the boolean mask the query path uses.

Everything that narrows a search — the CLI, the agent's tools, the offline stylist, outfit
completion — goes through `SearchFilters`, so a value is spelled, checked and applied the same
way everywhere.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from stylist.catalog.schema import ATTRIBUTES
from stylist.vectorstore.errors import UnknownFilterValue
from stylist.vectorstore.harmony import nearest_colours

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog

# How each attribute is named in a sentence to a person.
ATTRIBUTE_NOUNS: dict[str, str] = {
    "gender": "gender",
    "masterCategory": "category",
    "subCategory": "sub-category",
    "articleType": "article type",
    "baseColour": "colour",
    "season": "season",
    "usage": "occasion",
}


# The attributes a person can rule out ("not black", "no sandals", "nothing formal"): every
# attribute, as `exclude_<attribute>` (a list of values no result may have).
EXCLUDE_FIELDS: dict[str, str] = {f"exclude_{a}": a for a in ATTRIBUTES}


class SearchFilters(BaseModel):
    """Attribute values (one value or "any of" a list), values ruled out per attribute
    (`exclude_baseColour=["Black"]`), words no product name may contain (`exclude_terms`), and a
    price range; all optional."""

    model_config = ConfigDict(extra="forbid")

    gender: str | list[str] | None = None
    masterCategory: str | list[str] | None = None
    subCategory: str | list[str] | None = None
    articleType: str | list[str] | None = None
    baseColour: str | list[str] | None = None
    season: str | list[str] | None = None
    usage: str | list[str] | None = None
    exclude_gender: list[str] | None = None
    exclude_masterCategory: list[str] | None = None
    exclude_subCategory: list[str] | None = None
    exclude_articleType: list[str] | None = None
    exclude_baseColour: list[str] | None = None
    exclude_season: list[str] | None = None
    exclude_usage: list[str] | None = None
    exclude_terms: list[str] | None = None
    min_price: float | None = Field(None, ge=0)
    max_price: float | None = Field(None, ge=0)

    @field_validator(*EXCLUDE_FIELDS, "exclude_terms", mode="before")
    @classmethod
    def _as_list(cls, value: object) -> object:
        # "not black" arrives as one string from an LLM as often as a list.
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            kept = [str(v).strip() for v in value if str(v).strip()]
            return kept or None
        return value

    @field_validator(*ATTRIBUTES, mode="before")
    @classmethod
    def _drop_blanks(cls, value: object) -> object:
        # An LLM often sends "" or [] for "no filter"; treat both as absent.
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, list | tuple):
            kept = [str(v).strip() for v in value if str(v).strip()]
            return kept or None
        return value

    @classmethod
    def coerce(cls, filters: SearchFilters | Mapping[str, object] | None) -> SearchFilters:
        if filters is None:
            return cls()
        if isinstance(filters, SearchFilters):
            return filters
        try:
            return cls.model_validate(dict(filters))
        except Exception as err:  # pydantic's message lists fields; keep the first sentence
            unknown = sorted(set(filters) - set(cls.model_fields))
            if unknown:
                raise UnknownFilterValue(
                    f"I can't filter on {', '.join(unknown)}; the filters are "
                    f"{', '.join(cls.model_fields)}."
                ) from None
            raise UnknownFilterValue(f"Those filters are not valid: {err}") from None

    def values(self, attribute: str) -> list[str]:
        value = getattr(self, attribute)
        if value is None:
            return []
        return [value] if isinstance(value, str) else list(value)

    def excluded(self, attribute: str) -> list[str]:
        return list(getattr(self, f"exclude_{attribute}") or [])

    def is_empty(self) -> bool:
        return (
            not any(self.values(a) or self.excluded(a) for a in ATTRIBUTES)
            and not self.exclude_terms
            and self.min_price is None
            and self.max_price is None
        )

    def merged(self, other: SearchFilters | None) -> SearchFilters:
        """`other`'s fields win where both are set (e.g. explicit filters over parsed words);
        values ruled out add up, except one that `other` asks for by name."""
        if other is None:
            return self
        data = self.model_dump()
        data.update({k: v for k, v in other.model_dump().items() if v is not None})
        for field, attribute in EXCLUDE_FIELDS.items():
            wanted = {v.lower() for v in other.values(attribute)}
            both = [*self.excluded(attribute), *other.excluded(attribute)]
            kept = [v for v in dict.fromkeys(both) if v.lower() not in wanted]
            data[field] = kept or None
        terms = [*(self.exclude_terms or []), *(other.exclude_terms or [])]
        data["exclude_terms"] = list(dict.fromkeys(terms)) or None
        return SearchFilters.model_validate(data)

    def validated(self, catalog: Catalog) -> SearchFilters:
        """The same filters with every value spelled as the catalog spells it.

        Raises UnknownFilterValue naming the closest known values when a value is unknown, and
        when the price range is empty.
        """
        data: dict[str, object] = {"min_price": self.min_price, "max_price": self.max_price}
        for attribute in ATTRIBUTES:
            values = self.values(attribute)
            if values:
                canon = [_canonical(attribute, v, catalog) for v in values]
                canon = list(dict.fromkeys(canon))
                data[attribute] = canon[0] if len(canon) == 1 else canon
            if excluded := self.excluded(attribute):
                data[f"exclude_{attribute}"] = list(
                    dict.fromkeys(_canonical(attribute, v, catalog) for v in excluded)
                )
        if self.exclude_terms:
            data["exclude_terms"] = [t.lower() for t in self.exclude_terms]
        if (
            self.min_price is not None
            and self.max_price is not None
            and self.min_price > self.max_price
        ):
            raise UnknownFilterValue(
                f"The price range is empty: the minimum (${self.min_price:g}) is above the "
                f"maximum (${self.max_price:g})."
            )
        return SearchFilters.model_validate(data)

    def describe(self) -> str:
        """A short human summary, e.g. "Women · Red · Dresses · under $60"."""
        parts = [" or ".join(self.values(a)) for a in ATTRIBUTES if self.values(a)]
        ruled_out = [v for a in ATTRIBUTES for v in self.excluded(a)] + list(
            self.exclude_terms or []
        )
        if ruled_out:
            parts.append("no " + " or ".join(v.lower() for v in ruled_out))
        if self.min_price is not None and self.max_price is not None:
            parts.append(f"${self.min_price:g}–${self.max_price:g}")
        elif self.max_price is not None:
            parts.append(f"under ${self.max_price:g}")
        elif self.min_price is not None:
            parts.append(f"over ${self.min_price:g}")
        return " · ".join(parts) if parts else "no filters"

    def mask(
        self,
        columns: Mapping[str, np.ndarray],
        prices: np.ndarray,
        names: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Boolean mask over the index rows, or None when nothing is filtered.

        `columns[attribute]` holds each row's value as a string array (validated filters are
        spelled like the catalog, so plain equality is exact); `names` the rows' product names
        in lower case (needed only for `exclude_terms`).
        """
        mask: np.ndarray | None = None

        def narrow(condition: np.ndarray) -> None:
            nonlocal mask
            mask = condition if mask is None else (mask & condition)

        for attribute in ATTRIBUTES:
            values = self.values(attribute)
            if values:
                narrow(_isin(columns[attribute], values))
            if excluded := self.excluded(attribute):
                narrow(~_isin(columns[attribute], excluded))
        if self.exclude_terms:
            if names is None:
                raise ValueError("exclude_terms needs the rows' names")
            for term in self.exclude_terms:
                narrow(~_contains_word(names, term))
        if self.min_price is not None:
            narrow(prices >= self.min_price)
        if self.max_price is not None:
            narrow(prices <= self.max_price)
        return mask

    def matches(self, attributes: Mapping[str, object], price: float, name: str = "") -> bool:
        """Whether one item passes (the same rules as `mask`, for single items)."""
        for attribute in ATTRIBUTES:
            values = self.values(attribute)
            if values and str(attributes.get(attribute)) not in values:
                return False
            if str(attributes.get(attribute)) in self.excluded(attribute):
                return False
        lowered = np.array([name.lower()])
        if any(_contains_word(lowered, t)[0] for t in self.exclude_terms or []):
            return False
        if self.min_price is not None and price < self.min_price:
            return False
        return self.max_price is None or price <= self.max_price

    def chroma_where(self) -> dict[str, object] | None:
        """The same filters as a Chroma metadata `where` (`$in` / `$nin` / price bounds), for a
        query that runs in Chroma itself; `exclude_terms` has no Chroma form and stays with
        `mask`. None when nothing is filtered."""
        clauses: list[dict[str, object]] = []
        for attribute in ATTRIBUTES:
            if values := self.values(attribute):
                clauses.append({attribute: {"$in": values}})
            if excluded := self.excluded(attribute):
                clauses.append({attribute: {"$nin": excluded}})
        if self.min_price is not None:
            clauses.append({"price": {"$gte": self.min_price}})
        if self.max_price is not None:
            clauses.append({"price": {"$lte": self.max_price}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _contains_word(names: np.ndarray, term: str) -> np.ndarray:
    """Which lower-case names contain `term` as a whole word ("print" in "printed" too)."""
    pattern = re.compile(r"(?<![\w])" + re.escape(term.lower()))
    return np.fromiter((bool(pattern.search(str(n))) for n in names), bool, len(names))


def _isin(column, values: list[str]) -> np.ndarray:
    """Rows whose value is one of `values`; categorical columns compare small integer codes."""
    if isinstance(column, pd.Categorical):
        categories = column.categories
        codes = [categories.get_loc(v) for v in values if v in categories]
        return np.isin(column.codes, codes)
    return np.isin(np.asarray(column), values)


def _canonical(attribute: str, value: str, catalog: Catalog) -> str:
    vocab = _vocabulary(vocabulary_key(catalog))
    key = _normalise(value)
    phrase_map = vocab.phrases[attribute]
    if key in phrase_map:
        return phrase_map[key]
    known = list(vocabulary_key(catalog)[ATTRIBUTES.index(attribute)])
    close: list[str] = []
    if attribute == "baseColour":  # "scarlet" is not spelled like Red, but it is red
        close = nearest_colours(value, known)
    close += [
        c
        for c in difflib.get_close_matches(value.title(), known, n=3, cutoff=0.5)
        if c not in close
    ]
    # Spelling slips of a plural / alias form ("dreses") count too, but only close ones.
    close += [
        phrase_map[p] for p in difflib.get_close_matches(key, list(phrase_map), n=5, cutoff=0.75)
    ]
    close = list(dict.fromkeys(close))
    noun = ATTRIBUTE_NOUNS[attribute]
    if close:
        listed = ", ".join(close[:3])
        raise UnknownFilterValue(
            f"I don't know the {noun} '{value}'; the closest I have are {listed}."
            if len(close) > 1
            else f"I don't know the {noun} '{value}'; the closest I have is {listed}."
        )
    raise UnknownFilterValue(
        f"I don't know the {noun} '{value}'; the catalog has {', '.join(known[:8])}"
        + (" and more." if len(known) > 8 else ".")
    )


# --- free-text parsing -------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    """Filters found in a sentence, and the words left for the embedding query."""

    filters: SearchFilters
    remainder: str


def parse_query_filters(text: str, catalog: Catalog) -> SearchFilters:
    """Colour / type / gender / season / occasion / price words in `text` as SearchFilters."""
    return parse_query(text, catalog).filters


def parse_query(text: str, catalog: Catalog) -> ParsedQuery:
    """Find filter words in `text` using the catalog's known values.

    Longer phrases win over the words inside them ("formal shoes" is an article type, not the
    occasion "formal" plus "shoes"; "navy blue" is one colour), and each word is used once.
    """
    vocab = _vocabulary(vocabulary_key(catalog))
    working = " " + _normalise(text) + " "
    found: dict[str, list[tuple[int, str]]] = {}  # attribute -> (position in text, value)
    min_price, max_price, working = _parse_prices(working)
    for phrase, attribute, value in vocab.ordered:
        pattern = vocab.patterns[phrase]
        while (match := pattern.search(working)) is not None:
            start, end = match.span()
            found.setdefault(attribute, []).append((start, value))
            working = working[:start] + " " * (end - start) + working[end:]
    data: dict[str, object] = {}
    for attribute, hits in found.items():
        values = list(dict.fromkeys(v for _, v in sorted(hits)))  # in the order they were said
        data[attribute] = values[0] if len(values) == 1 else values
    data["min_price"], data["max_price"] = min_price, max_price
    filler = _query_words()["filler"]
    words = [w for w in re.findall(r"[\w'-]+", working) if w not in filler]
    remainder = " ".join(words)
    return ParsedQuery(SearchFilters.model_validate(data), remainder)


_NUM = r"(\d+(?:\.\d+)?)"
_CURRENCY = r"(?:\$|usd\b|dollars?\b|bucks\b)"
_AMOUNT = rf"\$?\s*{_NUM}\s*{_CURRENCY}?"
# Checked in order; each consumes the words it matched so that "from $20 to $50" is not also
# read as "min $20".
_PRICE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\b(?:between|from)\s+{_AMOUNT}\s*(?:and|to|-|–)\s*{_AMOUNT}"), "range"),
    (re.compile(rf"(?<![\w.])\${_NUM}\s*(?:-|–|to)\s*{_AMOUNT}"), "range"),
    (re.compile(rf"(?<![\w.]){_NUM}\s*(?:-|–|to)\s*{_NUM}\s*{_CURRENCY}"), "range"),
    (
        re.compile(
            r"(?:\bunder|\bbelow|\bless\s+than|\bcheaper\s+than|\bup\s*to|\bmax(?:imum)?"
            rf"|\bat\s+most|\bno\s+more\s+than|\bwithin|<=?)\s*{_AMOUNT}"
        ),
        "max",
    ),
    (re.compile(rf"(?<![\w.]){_AMOUNT}\s+or\s+(?:less|under|below|cheaper)\b"), "max"),
    (
        re.compile(
            r"(?:\bover|\babove|\bmore\s+than|\bat\s+least|\bmin(?:imum)?|\bfrom"
            rf"|\bstarting\s+at|>=?)\s*{_AMOUNT}"
        ),
        "min",
    ),
    (re.compile(rf"(?<![\w.]){_AMOUNT}\s+or\s+(?:more|over|above)\b"), "min"),
]


def _parse_prices(working: str) -> tuple[float | None, float | None, str]:
    min_price = max_price = None
    for pattern, kind in _PRICE_PATTERNS:
        match = pattern.search(working)
        if match is None:
            continue
        numbers = [float(g) for g in match.groups() if g is not None]
        if kind == "range" and len(numbers) >= 2:
            low, high = sorted(numbers[:2])
            min_price, max_price = low, high
        elif kind == "max" and max_price is None:
            max_price = numbers[0]
        elif kind == "min" and min_price is None:
            min_price = numbers[0]
        else:
            continue
        start, end = match.span()
        working = working[:start] + " " * (end - start) + working[end:]
    return min_price, max_price, working


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("`", "'")
    return re.sub(r"\s+", " ", text).strip()


# The known values of each catalog object, read once: a catalog's table does not change after it
# is loaded (a re-ingested catalog is a new object), and the entry goes with the catalog.
_KNOWN_VALUES: weakref.WeakKeyDictionary[Catalog, tuple[tuple[str, ...], ...]] = (
    weakref.WeakKeyDictionary()
)
_KNOWN_VALUES_LOCK = threading.Lock()


def vocabulary_key(catalog: Catalog) -> tuple[tuple[str, ...], ...]:
    """The catalog's known values per attribute: everything `parse_query` reads of a catalog,
    so two catalogs with the same key parse every sentence the same way."""
    with _KNOWN_VALUES_LOCK:
        known = _KNOWN_VALUES.get(catalog)
        if known is None:
            known = tuple(tuple(catalog.known_values(a)) for a in ATTRIBUTES)
            _KNOWN_VALUES[catalog] = known
        return known


@dataclass(frozen=True)
class _Vocabulary:
    phrases: dict[str, dict[str, str]]  # attribute -> phrase -> catalog value
    ordered: list[tuple[str, str, str]]  # (phrase, attribute, value), longest phrase first
    patterns: dict[str, re.Pattern[str]]


# When one phrase names values of several attributes ("watches" is both a sub-category and an
# article type), the most specific attribute wins.
_SPECIFICITY = (
    "articleType",
    "subCategory",
    "masterCategory",
    "baseColour",
    "usage",
    "season",
    "gender",
)


@lru_cache(maxsize=1)
def _query_words() -> dict:
    """query_words.json: aliases per attribute, and the filler words (package data)."""
    data = json.loads(
        resources.files("stylist.vectorstore").joinpath("query_words.json").read_text()
    )
    aliases = {a: data.get(a, {}) for a in ATTRIBUTES}
    return {"aliases": aliases, "filler": frozenset(data["filler_words"])}


@lru_cache(maxsize=8)
def _vocabulary(known: tuple[tuple[str, ...], ...]) -> _Vocabulary:
    aliases = _query_words()["aliases"]
    phrases: dict[str, dict[str, str]] = {a: {} for a in ATTRIBUTES}
    for attribute, values in zip(ATTRIBUTES, known, strict=True):
        known_set = set(values)
        for value in values:
            for form in _word_forms(value):
                phrases[attribute].setdefault(form, value)
        for phrase, value in aliases.get(attribute, {}).items():
            if value in known_set:
                phrases[attribute].setdefault(_normalise(phrase), value)
    owner: dict[str, tuple[str, str]] = {}
    for attribute in _SPECIFICITY:
        for phrase, value in phrases[attribute].items():
            owner.setdefault(phrase, (attribute, value))
    ordered = sorted(((p, a, v) for p, (a, v) in owner.items()), key=lambda t: (-len(t[0]), t[0]))
    patterns = {p: re.compile(r"(?<![\w'])" + re.escape(p) + r"(?![\w'])") for p in owner}
    return _Vocabulary(phrases, ordered, patterns)


# Plural-only garments whose singular is another word ("short dress" is not about shorts).
_NO_SINGULAR = {"shorts", "tights", "jeans", "pants", "leggings", "jeggings", "capris"}


def _word_forms(value: str) -> set[str]:
    """The value, lower case, with its last word in singular and plural form."""
    base = _normalise(value)
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
    if " " in base or "-" in base:  # "Navy Blue" also as "navy-blue"; "Grey Melange" etc.
        out |= {f.replace(" ", "-") for f in out}
    return out
