"""What a conversation remembers between turns, as small JSON: the numbered result lists the
stylist showed, the current focus, and the person's constraints so far.

The graph keeps these in its state (and so in the checkpoint); the tools read them to apply the
constraints in force to every search and to resolve "the second one" to an item. Only ids,
names, prices and a few attributes are kept — never image bytes or embeddings.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any, Literal, get_args

from pydantic import BaseModel, Field

from stylist.catalog.schema import ATTRIBUTES
from stylist.language.result import Intent, ResultRef, Understanding
from stylist.vectorstore.filters import SearchFilters
from stylist.wording import in_words, plural

KIND_ATTRIBUTES = ("articleType", "subCategory", "masterCategory")
# The result lists kept: enough for "the bag from before", small enough for every checkpoint.
SHOWN_KEPT = 4
# The attributes a shown item keeps (for "that bag" and for checking constraints).
SHOWN_ATTRIBUTES = ATTRIBUTES


class ReferenceNotFound(ValueError):
    """A reference to shown results that names nothing shown; `str()` is a sentence."""


class ShownItem(BaseModel):
    n: int
    id: int
    name: str
    price: float
    attributes: dict[str, str] = Field(default_factory=dict)


class ShownList(BaseModel):
    """One numbered list the stylist showed, and the call that produced it (to re-run it)."""

    title: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    items: list[ShownItem] = Field(default_factory=list)


class Focus(BaseModel):
    """What "it" means now: a photo of this chat or a catalog item the person picked."""

    type: Literal["photo", "item"]
    photo_id: str | None = None
    item_id: int | None = None
    name: str = ""


class Constraints(BaseModel):
    """The person's constraints in this chat: applied to every search until they change them."""

    gender: str | None = None
    min_price: float | None = None
    max_price: float | None = None
    include: dict[str, list[str]] = Field(default_factory=dict)
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    exclude_terms: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (
            self.gender
            or self.min_price is not None
            or self.max_price is not None
            or any(self.include.values())
            or any(self.exclude.values())
            or self.exclude_terms
        )

    def filters(self, *, outfit: bool = False) -> SearchFilters:
        """These constraints as search filters. For an outfit the slots decide the kinds and the
        anchor decides colours, occasion and season (by compatibility), so only what rules items
        out, the gender and the budget apply."""
        data: dict[str, Any] = {"min_price": self.min_price, "max_price": self.max_price}
        if self.gender:
            data["gender"] = self.gender
        for attribute, values in self.include.items():
            if not outfit:
                data[attribute] = values
        for attribute, values in self.exclude.items():
            data[f"exclude_{attribute}"] = values
        data["exclude_terms"] = self.exclude_terms or None
        return SearchFilters.model_validate(data)

    def describe(self) -> str:
        """ "Women · Summer · Party · no black · under $60", or "nothing yet"."""
        text = self.filters().describe()
        return "nothing yet" if text == "no filters" else text

    def allows(self, product: Mapping[str, Any], *, outfit: bool = False) -> bool:
        """Whether a shown product (a product dict) respects these constraints."""
        return self.filters(outfit=outfit).matches(
            product["attributes"], float(product["price"]), str(product.get("name", ""))
        )


# --- from what the person said -----------------------------------------------------------------

# Every intent about the person's own saved clothes (the wardrobe_* ones of `Intent`).
OWNED_ITEM_INTENTS = frozenset(i for i in get_args(Intent) if i.startswith("wardrobe_"))
# Intents whose catalog words describe something already there, not what to shop for: "save my
# red top" (the top is red), "which is cheaper, #1 or #2?" (the question, not a budget).
DESCRIBING_INTENTS = OWNED_ITEM_INTENTS | {"compare"}


@lru_cache(maxsize=1)
def comparative_table() -> dict:
    return json.loads(resources.files("stylist.tools").joinpath("comparatives.json").read_text())


def update_constraints(
    constraints: Constraints,
    understanding: Understanding,
    *,
    shown: Sequence[ShownList] = (),
    known_values: Mapping[str, Sequence[str]] | None = None,
) -> Constraints:
    """The constraints after this message: set, changed or dropped by what it says."""
    u = understanding
    known = known_values or {}
    if set(u.intents) & DESCRIBING_INTENTS and not set(u.intents) & {"search", "refine"}:
        return constraints  # the message describes; it does not ask for anything new
    if "clear_constraints" in u.intents or "all" in u.reset:
        c = Constraints()
    else:
        c = constraints.model_copy(deep=True)
    for target in u.reset:
        if target == "price":
            c.min_price = c.max_price = None
        elif target == "gender":
            c.gender = None
        elif target in ATTRIBUTES:
            for attribute in KIND_ATTRIBUTES if target in KIND_ATTRIBUTES else (target,):
                c.include.pop(attribute, None)
                c.exclude.pop(attribute, None)
    if u.gender:
        c.gender = u.gender
        c.exclude.pop("gender", None)
    names_kind = any(u.include.get(a) for a in KIND_ATTRIBUTES)
    if names_kind or ("search" in u.intents and u.query_text):
        # A new kind of item (or a new subject in free words) replaces the kind asked for
        # before; qualities alone ("casual ones", "in red") refine it.
        for attribute in KIND_ATTRIBUTES:
            c.include.pop(attribute, None)
    for attribute, values in u.include.items():
        c.include[attribute] = list(values)
        _drop(c.exclude, attribute, values)
    for attribute, values in u.exclude.items():
        if attribute == "gender" and c.gender in values:
            c.gender = None
        bucket = c.exclude.setdefault(attribute, [])
        bucket.extend(v for v in values if v not in bucket)
        _drop(c.include, attribute, values)
    c.exclude_terms = list(dict.fromkeys([*c.exclude_terms, *u.exclude_terms]))
    _apply_price(c, u, shown)
    for comparative in u.comparatives:
        _apply_comparative(c, comparative.dimension, comparative.direction, shown, known)
    return c


def _drop(buckets: dict[str, list[str]], attribute: str, values: Sequence[str]) -> None:
    kept = [v for v in buckets.get(attribute, []) if v not in values]
    if kept:
        buckets[attribute] = kept
    else:
        buckets.pop(attribute, None)


def _apply_price(c: Constraints, u: Understanding, shown: Sequence[ShownList]) -> None:
    price = u.price
    if price is None:
        return
    if price.relative is None or price.min is not None or price.max is not None:
        if price.max is not None:
            c.max_price = price.max
        if price.min is not None:
            c.min_price = price.min
    if price.relative and price.max is None and price.min is None:
        prices = [i.price for i in (shown[-1].items if shown else [])]
        if prices:
            middle = round(statistics.median(prices), 2)
            if price.relative == "cheaper":
                # Below the middle of what was shown (never above a budget already stated).
                c.max_price = min(middle, c.max_price) if c.max_price is not None else middle
            else:
                c.min_price = max(middle, c.min_price) if c.min_price is not None else middle
    if c.min_price is not None and c.max_price is not None and c.min_price >= c.max_price:
        # The newer bound wins: "cheaper" after "over 50" drops the minimum.
        if price.relative == "pricier" or (price.min is not None and price.max is None):
            c.max_price = None
        else:
            c.min_price = None


def _apply_comparative(
    c: Constraints,
    dimension: str,
    direction: str,
    shown: Sequence[ShownList],
    known: Mapping[str, Sequence[str]],
) -> None:
    table = comparative_table()
    if dimension == "formality":
        ladder = [v for v in table["formality"] if not known or v in known.get("usage", ())]
        current = _current_values(c, "usage", shown)
        rungs = [ladder.index(v) for v in current if v in ladder]
        if not rungs:
            rungs = [ladder.index("Casual")] if "Casual" in ladder else [0]
        step = 1 if direction == "more" else -1
        target = min(max((max(rungs) if step > 0 else min(rungs)) + step, 0), len(ladder) - 1)
        c.include["usage"] = [ladder[target]]
        _drop(c.exclude, "usage", [ladder[target]])
    elif dimension == "sportiness":
        value = table["sportiness"]["value"]
        if direction == "more":
            c.include["usage"] = [value]
            _drop(c.exclude, "usage", [value])
        else:
            _drop(c.include, "usage", [value])
            bucket = c.exclude.setdefault("usage", [])
            if value not in bucket:
                bucket.append(value)
    else:
        attribute = "season" if dimension == "warmth" else "baseColour"
        values = table[dimension][direction]
        available = set(known.get(attribute, values))
        chosen = [v for v in values if v in available and v not in c.exclude.get(attribute, [])]
        if chosen:
            c.include[attribute] = chosen


def _current_values(c: Constraints, attribute: str, shown: Sequence[ShownList]) -> list[str]:
    """What the person asked for, else the most common value of what was last shown."""
    if c.include.get(attribute):
        return list(c.include[attribute])
    values = [i.attributes.get(attribute, "") for i in (shown[-1].items if shown else [])]
    values = [v for v in values if v]
    if not values:
        return []
    return [max(set(values), key=values.count)]


# --- applying them to a request ------------------------------------------------------------------


def enforce(
    request: SearchFilters, constraints: Constraints, *, outfit: bool = False
) -> SearchFilters:
    """A tool's filters with the constraints in force applied: the request names what to look
    for, the person's exclusions, gender and budget always hold."""
    base = constraints.filters(outfit=outfit)
    merged = base.merged(request)
    data = merged.model_dump()
    if constraints.gender:
        data["gender"] = constraints.gender
    for field_name, bound in (("max_price", min), ("min_price", max)):
        values = [
            v for v in (getattr(base, field_name), getattr(request, field_name)) if v is not None
        ]
        data[field_name] = bound(values) if values else None
    for attribute, excluded in constraints.exclude.items():
        wanted = [v for v in merged.values(attribute) if v not in excluded]
        data[attribute] = (wanted[0] if len(wanted) == 1 else wanted) or None
        data[f"exclude_{attribute}"] = list(
            dict.fromkeys([*(merged.excluded(attribute)), *excluded])
        )
    terms = [*(merged.exclude_terms or []), *constraints.exclude_terms]
    data["exclude_terms"] = list(dict.fromkeys(terms)) or None
    return SearchFilters.model_validate(data)


# --- the results shown ---------------------------------------------------------------------------


def shown_from_artifact(
    artifact: Mapping[str, Any], tool: str, args: Mapping[str, Any]
) -> ShownList | None:
    """The numbered list a products / outfit artifact showed (None for other artifacts)."""
    kind = artifact.get("kind")
    if kind == "products":
        products = list(artifact.get("products") or [])
    elif kind == "outfit":
        products = [s["product"] for s in artifact.get("slots") or []]
    else:
        return None
    if not products:
        return None
    items = [
        ShownItem(
            n=n,
            id=int(p["id"]),
            name=str(p.get("name", "")),
            price=float(p.get("price") or 0.0),
            attributes={a: str(p.get("attributes", {}).get(a, "")) for a in SHOWN_ATTRIBUTES},
        )
        for n, p in enumerate(products, 1)
        # An owned piece is no catalog item: "#2" must not search by its wardrobe number.
        if p.get("source") != "wardrobe"
    ]
    if not items:
        return None
    title = str(
        artifact.get("title")
        or f"Outfit around {artifact.get('anchor', {}).get('description', '')}"
    )
    return ShownList(title=title, tool=tool, args=dict(args), items=items)


def resolve_results(shown: Sequence[ShownList], ref: ResultRef) -> list[ShownItem]:
    """The shown items a reference names ("the second one", "the first two", "that bag")."""
    if not shown:
        raise ReferenceNotFound("I haven't shown you any items yet in this conversation.")
    if ref.kind_values:
        # "that bag" / "the second dress": the newest list that has such items.
        for listed in reversed(shown):
            matching = [i for i in listed.items if _is_kind(i, ref.kind_values)]
            if matching:
                return _pick(matching, ref, noun=ref.kind or "item")
        raise ReferenceNotFound(f"I haven't shown you any {ref.kind or 'such item'} yet.")
    return _pick(shown[-1].items, ref, noun="item")


def _is_kind(item: ShownItem, kind_values: Mapping[str, Sequence[str]]) -> bool:
    return any(item.attributes.get(a) in values for a, values in kind_values.items())


def _pick(items: list[ShownItem], ref: ResultRef, *, noun: str) -> list[ShownItem]:
    count = len(items)
    listed = f"the last results had {plural(count, noun)}"
    if ref.first_n:
        if ref.first_n > count:
            raise ReferenceNotFound(f"There aren't {ref.first_n} of them: {listed}.")
        return items[: ref.first_n]
    if ref.position is None:
        return items[:1] if count == 1 or ref.kind else items[-1:]
    if ref.position == -1:
        return items[-1:]
    if not 1 <= ref.position <= count:
        raise ReferenceNotFound(f"There is no #{ref.position}: {listed} (#1 to #{count}).")
    return [items[ref.position - 1]]


def shown_item(shown: Sequence[ShownList], number: int) -> ShownItem:
    """Item #number of the latest list (what a tool's `result` argument names)."""
    return resolve_results(shown, ResultRef(position=number))[0]


def shown_lists(state: Mapping[str, Any] | None) -> list[ShownList]:
    return [ShownList.model_validate(s) for s in (state or {}).get("shown") or []]


def constraints_of(state: Mapping[str, Any] | None) -> Constraints:
    return Constraints.model_validate((state or {}).get("constraints") or {})


def focus_of(state: Mapping[str, Any] | None) -> Focus | None:
    focus = (state or {}).get("focus")
    return Focus.model_validate(focus) if focus else None


def describe_items(items: Sequence[ShownItem]) -> str:
    return in_words([f"#{i.n} {i.name}" for i in items])
