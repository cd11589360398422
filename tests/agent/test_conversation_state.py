"""The conversation state's rules, without models: how what a person says changes the
constraints, how "the second one" resolves, and how the constraints bound a tool's request."""

from __future__ import annotations

import json

import pytest

from stylist.language.result import Comparative, PriceConstraint, ResultRef, Understanding
from stylist.tools.conversation import (
    Constraints,
    ReferenceNotFound,
    ShownItem,
    ShownList,
    enforce,
    resolve_results,
    update_constraints,
)
from stylist.vectorstore.filters import SearchFilters

KNOWN = {
    "usage": ["Casual", "Formal", "Sports", "Party"],
    "baseColour": ["Black", "Navy Blue", "Red"],
}


def said(intents=("refine",), **fields) -> Understanding:
    return Understanding(text="...", intents=list(intents), **fields)


def shown(*rows) -> list[ShownList]:
    items = [
        ShownItem(n=n, id=100 + n, name=f"{colour} {kind}", price=price,
                  attributes={"articleType": kind, "baseColour": colour, "usage": usage})
        for n, (kind, colour, usage, price) in enumerate(rows, 1)
    ]  # fmt: skip
    return [ShownList(title="t", tool="search_catalog", args={"query": "x"}, items=items)]


LAST = shown(
    ("Dresses", "Red", "Party", 20.0),
    ("Handbags", "Black", "Casual", 40.0),
    ("Dresses", "Blue", "Formal", 60.0),
    ("Handbags", "Red", "Casual", 80.0),
)


def test_exclusions_add_up_and_a_reset_drops_them():
    c = update_constraints(Constraints(), said(exclude={"baseColour": ["Black"]}))
    c = update_constraints(c, said(exclude={"baseColour": ["Red"]}))
    assert c.exclude == {"baseColour": ["Black", "Red"]}
    c = update_constraints(c, said(reset=["baseColour"], correction=True))
    assert c.exclude == {} and c.is_empty()


def test_asking_for_a_colour_lifts_its_exclusion_and_a_new_kind_replaces_the_old():
    c = update_constraints(
        Constraints(), said(["search"], include={"articleType": ["Dresses"]}, gender="Women")
    )
    c = update_constraints(c, said(exclude={"baseColour": ["Red"]}))
    c = update_constraints(
        c, said(["search"], include={"baseColour": ["Red"], "articleType": ["Skirts"]})
    )
    assert c.include == {"articleType": ["Skirts"], "baseColour": ["Red"]}
    assert c.exclude == {} and c.gender == "Women"


def test_cheaper_is_below_the_median_of_what_was_shown_and_keeps_falling():
    c = update_constraints(
        Constraints(), said(price=PriceConstraint(relative="cheaper")), shown=LAST
    )
    assert c.max_price == 50.0
    cheaper = shown(("Dresses", "Red", "Party", 10.0), ("Dresses", "Red", "Party", 30.0))
    c = update_constraints(c, said(price=PriceConstraint(relative="cheaper")), shown=cheaper)
    assert c.max_price == 20.0
    # a figure the person gives wins
    c = update_constraints(c, said(price=PriceConstraint(max=15, relative="cheaper")), shown=LAST)
    assert c.max_price == 15


def test_comparatives_move_along_the_formality_ladder_and_to_dark_colours():
    c = update_constraints(
        Constraints(include={"usage": ["Formal"]}),
        said(comparatives=[Comparative(dimension="formality", direction="less")]),
        known_values=KNOWN,
    )
    assert c.include["usage"] == ["Casual"]  # Smart Casual is not in this catalog
    c = update_constraints(
        c,
        said(comparatives=[Comparative(dimension="sportiness", direction="less")]),
        known_values=KNOWN,
    )
    assert c.exclude["usage"] == ["Sports"]
    c = update_constraints(
        c,
        said(comparatives=[Comparative(dimension="darkness", direction="more")]),
        known_values=KNOWN,
    )
    assert c.include["baseColour"] == ["Black", "Navy Blue"]


def test_start_over_clears_everything():
    c = Constraints(gender="Men", max_price=40, exclude={"baseColour": ["Black"]})
    assert update_constraints(c, said(["clear_constraints"])).is_empty()


@pytest.mark.parametrize(
    ("ref", "ids"),
    [
        (ResultRef(position=2), [102]),
        (ResultRef(position=-1), [104]),
        (ResultRef(first_n=2), [101, 102]),
        (ResultRef(kind="bag", kind_values={"articleType": ["Handbags"]}), [102]),
        (ResultRef(position=2, kind="bag", kind_values={"articleType": ["Handbags"]}), [104]),
    ],
)
def test_references_resolve_to_shown_items(ref, ids):
    assert [i.id for i in resolve_results(LAST, ref)] == ids


def test_references_to_nothing_are_sentences():
    with pytest.raises(ReferenceNotFound, match=r"There is no #9: the last results had 4 items"):
        resolve_results(LAST, ResultRef(position=9))
    with pytest.raises(ReferenceNotFound, match="any shoe"):
        resolve_results(LAST, ResultRef(kind="shoe", kind_values={"articleType": ["Heels"]}))
    with pytest.raises(ReferenceNotFound, match="haven't shown"):
        resolve_results([], ResultRef(position=1))


def test_a_request_cannot_break_the_constraints():
    c = Constraints(gender="Women", max_price=50, exclude={"baseColour": ["Black"]})
    request = SearchFilters(baseColour=["Black", "Red"], gender="Men", max_price=90, min_price=10)
    f = enforce(request, c)
    assert f.baseColour == "Red" and f.exclude_baseColour == ["Black"]
    assert f.gender == "Women" and f.max_price == 50 and f.min_price == 10


def test_the_state_is_small_json():
    c = Constraints(
        gender="Women", include={"season": ["Summer"]}, exclude={"baseColour": ["Black"]}
    )
    assert json.loads(json.dumps(c.model_dump(mode="json"))) == c.model_dump(mode="json")
    assert len(json.dumps([s.model_dump(mode="json") for s in LAST])) < 2000
