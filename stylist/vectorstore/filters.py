"""The one place that builds search filters: validation against the catalog's known values,
free-text parsing ("men black formal shoes under 60"), and the boolean mask the query path uses.

Everything that narrows a search — the CLI, the agent's tools, the offline stylist, outfit
completion — goes through `SearchFilters`, so a value is spelled, checked and applied the same
way everywhere.
"""

from __future__ import annotations

import difflib
import re
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from stylist.catalog.schema import ATTRIBUTES
from stylist.language.constraints import read_price
from stylist.language.text import normalise
from stylist.language.vocabulary import Vocabulary, filler_words, word_forms
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
    key = normalise(value)
    phrase_map = _spellings(vocabulary_key(catalog))[attribute]
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
    """Find filter words in `text` using the catalog's known values (read by
    `stylist.language`'s one vocabulary and price reader, the ones the chat uses).

    Longer phrases win over the words inside them ("formal shoes" is an article type, not the
    occasion "formal" plus "shoes"; "navy blue" is one colour), and each word is used once.
    """
    vocabulary = _vocabulary(vocabulary_key(catalog))
    price, working = read_price(normalise(text))
    mentions, working = vocabulary.find(working)
    found: dict[str, list[str]] = {}  # attribute -> values, in the order they were said
    for mention in mentions:
        for attribute, values in mention.values.items():
            bucket = found.setdefault(attribute, [])
            bucket.extend(v for v in values if v not in bucket)
    data: dict[str, object] = {a: v[0] if len(v) == 1 else v for a, v in found.items()}
    if price is not None:
        data["min_price"], data["max_price"] = price.min, price.max
    filler = filler_words()
    words = [w for w in re.findall(r"[\w'-]+", working) if w not in filler]
    return ParsedQuery(SearchFilters.model_validate(data), " ".join(words))


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


@lru_cache(maxsize=8)
def _vocabulary(known: tuple[tuple[str, ...], ...]) -> Vocabulary:
    """The catalog's words and the synonym table's, for one catalog's known values."""
    return Vocabulary.build(dict(zip(ATTRIBUTES, known, strict=True)))


@lru_cache(maxsize=8)
def _spellings(known: tuple[tuple[str, ...], ...]) -> dict[str, dict[str, str]]:
    """attribute -> phrase -> catalog value: how a value may be spelled in a filter argument
    (its singular and plural forms, and the synonym table's words that name it alone: "scarlet"
    is Red, while "ivory" could be Cream or Off White and gets the closest-values sentence)."""
    spellings: dict[str, dict[str, str]] = {a: {} for a in ATTRIBUTES}
    for attribute, values in zip(ATTRIBUTES, known, strict=True):
        for value in values:
            for form in word_forms(value):
                spellings[attribute].setdefault(form, value)
    for phrase, values in _vocabulary(known).phrases.items():
        for attribute, named in values.items():
            if len(named) == 1:
                spellings[attribute].setdefault(phrase, named[0])
    return spellings
