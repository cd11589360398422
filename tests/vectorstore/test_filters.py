"""Filters: validation against the catalog's values, free-text parsing, masks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from stylist.catalog.store import Catalog
from stylist.vectorstore.errors import UnknownFilterValue
from stylist.vectorstore.filters import SearchFilters, parse_query, parse_query_filters

ROWS = [
    # gender, master, sub, type, colour, season, usage, price
    ("Men", "Footwear", "Shoes", "Formal Shoes", "Black", "Winter", "Formal", 45.0),
    ("Men", "Footwear", "Shoes", "Formal Shoes", "Brown", "Fall", "Formal", 80.0),
    ("Women", "Apparel", "Dress", "Dresses", "Red", "Summer", "Party", 30.0),
    ("Women", "Apparel", "Dress", "Dresses", "Maroon", "Fall", "Casual", 55.0),
    ("Women", "Apparel", "Topwear", "Shirts", "Navy Blue", "Summer", "Casual", 25.0),
    ("Men", "Apparel", "Topwear", "Tshirts", "Blue", "Summer", "Sports", 12.0),
    ("Men", "Apparel", "Bottomwear", "Jeans", "Blue", "Fall", "Casual", 40.0),
    ("Women", "Apparel", "Bottomwear", "Shorts", "Pink", "Summer", "Casual", 18.0),
    ("Boys", "Apparel", "Topwear", "Tshirts", "Green", "Summer", "Casual", 9.0),
    ("Unisex", "Accessories", "Watches", "Watches", "Silver", "Winter", "Formal", 150.0),
    ("Women", "Accessories", "Bags", "Handbags", "Grey", "Spring", "Ethnic", 60.0),
    ("Men", "Footwear", "Shoes", "Sports Shoes", "White", "Summer", "Sports", 70.0),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    items = pd.DataFrame(
        ROWS,
        columns=[
            "gender",
            "masterCategory",
            "subCategory",
            "articleType",
            "baseColour",
            "season",
            "usage",
            "price",
        ],
    )
    items.insert(0, "id", range(1, len(items) + 1))
    items["productDisplayName"] = [f"Item {i}" for i in items["id"]]
    items["year"] = 2015
    items["image"] = ""
    items["split"] = "train"
    return Catalog(items)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("red dress", {"baseColour": "Red", "articleType": "Dresses"}),
        (
            "men black formal shoes under 60",
            {
                "gender": "Men",
                "baseColour": "Black",
                "articleType": "Formal Shoes",
                "max_price": 60,
            },
        ),
        (
            "below $60 navy blue shirts for women",
            {
                "gender": "Women",
                "baseColour": "Navy Blue",
                "articleType": "Shirts",
                "max_price": 60,
            },
        ),
        (
            "men's jeans between 20 and 50",
            {"gender": "Men", "articleType": "Jeans", "min_price": 20, "max_price": 50},
        ),
        (
            "Dresses for women, $20-$45",
            {"gender": "Women", "articleType": "Dresses", "min_price": 20, "max_price": 45},
        ),
        ("summer party dresses", {"season": "Summer", "usage": "Party", "articleType": "Dresses"}),
        (
            "casual t-shirts for boys",
            {"usage": "Casual", "articleType": "Tshirts", "gender": "Boys"},
        ),
        ("watches over 100", {"articleType": "Watches", "min_price": 100}),
        (
            "navy shirt 30 dollars or less",
            {"baseColour": "Navy Blue", "articleType": "Shirts", "max_price": 30},
        ),
        # "sneakers" are Casual or Sports Shoes; this catalog has only the sports ones
        ("gray sneakers", {"baseColour": "Grey", "articleType": "Sports Shoes"}),
        (
            "a short dress for an office party",
            {"articleType": "Dresses", "usage": ["Formal", "Party"]},
        ),
        ("red or maroon dresses", {"baseColour": ["Red", "Maroon"], "articleType": "Dresses"}),
        ("shoes", {"subCategory": "Shoes"}),
        ("something nice", {}),
    ],
)
def test_parse_query_filters(catalog, text, expected):
    got = parse_query_filters(text, catalog).model_dump(exclude_none=True)
    assert got == expected


def test_parse_keeps_the_words_it_did_not_use(catalog):
    parsed = parse_query("show me a floral red dress under $40", catalog)
    assert parsed.filters.baseColour == "Red" and parsed.filters.max_price == 40
    assert parsed.remainder == "floral"
    assert parse_query("like this but in red", catalog).remainder == ""


def test_women_is_not_read_as_men(catalog):
    assert parse_query_filters("womens shorts", catalog).gender == "Women"
    assert parse_query_filters("for her", catalog).gender == "Women"


def test_validated_spells_values_as_the_catalog(catalog):
    f = SearchFilters(
        gender="men", articleType="formal shoe", baseColour="NAVY", usage=["party", "Casual"]
    ).validated(catalog)
    assert (f.gender, f.articleType, f.baseColour, f.usage) == (
        "Men",
        "Formal Shoes",
        "Navy Blue",
        ["Party", "Casual"],
    )
    # the chat's word table spells a value too, where its word names that value alone
    assert SearchFilters(baseColour="Scarlet").validated(catalog).baseColour == "Red"


@pytest.mark.parametrize(
    ("filters", "sentence"),
    [
        (
            {"baseColour": "Ruby"},
            "I don't know the colour 'Ruby'; the closest I have are Red, Maroon.",
        ),
        ({"articleType": "Dreses"}, "I don't know the article type 'Dreses'; the closest I have"),
        ({"usage": "frmal"}, "I don't know the occasion 'frmal'; the closest I have is Formal."),
        ({"gender": "Aliens"}, "I don't know the gender 'Aliens'; the catalog has"),
        ({"min_price": 50, "max_price": 10}, "The price range is empty"),
        ({"colour": "Red"}, "I can't filter on colour"),
    ],
)
def test_unknown_values_get_a_sentence(catalog, filters, sentence):
    with pytest.raises(UnknownFilterValue) as err:
        SearchFilters.coerce(filters).validated(catalog)
    assert str(err.value).startswith(sentence)
    assert "Traceback" not in str(err.value)


def test_blank_values_mean_no_filter(catalog):
    f = SearchFilters.coerce({"gender": "", "baseColour": [], "usage": None})
    assert f.is_empty()


def test_mask_agrees_with_pandas(catalog):
    items = catalog.items
    columns = {
        a: pd.Categorical(items[a])
        for a in (
            "gender",
            "masterCategory",
            "subCategory",
            "articleType",
            "baseColour",
            "season",
            "usage",
        )
    }
    prices = items["price"].to_numpy()
    f = SearchFilters(gender=["Men", "Unisex"], usage="Formal", max_price=100)
    expected = (
        items["gender"].isin(["Men", "Unisex"])
        & (items["usage"] == "Formal")
        & (items["price"] <= 100)
    ).to_numpy()
    assert np.array_equal(f.mask(columns, prices), expected)
    assert SearchFilters().mask(columns, prices) is None
    # a value absent from this column's categories matches nothing, without error
    assert not SearchFilters(baseColour="Olive").mask(columns, prices).any()
    for row, ok in zip(items.to_dict("records"), expected, strict=True):
        assert f.matches(row, row["price"]) == ok


def test_describe(catalog):
    f = SearchFilters(gender="Women", baseColour="Red", articleType="Dresses", max_price=60)
    assert f.describe() == "Women · Dresses · Red · under $60"


def test_exclusions_and_lists_mask_like_pandas(catalog):
    items = catalog.items
    columns = {
        a: pd.Categorical(items[a]) for a in items.columns if a in SearchFilters.model_fields
    }
    named = (items["baseColour"] + " " + items["articleType"]).str.lower()
    names = named.to_numpy()
    f = SearchFilters(
        baseColour=["Blue", "Black", "Red"],
        exclude_baseColour=["Black"],
        exclude_usage="Sports",
        exclude_terms=["dress"],
    ).validated(catalog)
    expected = (
        items["baseColour"].isin(["Blue", "Red"])
        & (items["usage"] != "Sports")
        & ~named.str.contains(r"\bdress")
    ).to_numpy()
    assert expected.sum() == 1  # the blue jeans: the T-shirt is sports wear, the red one a dress
    assert np.array_equal(f.mask(columns, items["price"].to_numpy(), names), expected)
    for row, ok in zip(items.to_dict("records"), expected, strict=True):
        assert f.matches(row, row["price"], f"{row['baseColour']} {row['articleType']}") == ok
    assert f.describe().endswith("no black or sports or dress")


def test_exclusions_are_validated_and_add_up_in_merges(catalog):
    base = SearchFilters(exclude_baseColour=["black"]).validated(catalog)
    assert base.exclude_baseColour == ["Black"]
    merged = base.merged(SearchFilters(exclude_baseColour=["Red"], baseColour="Blue"))
    assert merged.exclude_baseColour == ["Black", "Red"] and merged.baseColour == "Blue"
    # asking for a colour by name lifts its exclusion
    assert base.merged(SearchFilters(baseColour="Black")).exclude_baseColour is None
    with pytest.raises(UnknownFilterValue, match="colour 'blak'"):
        SearchFilters(exclude_baseColour=["blak"]).validated(catalog)


def test_chroma_where_names_the_same_rules():
    f = SearchFilters(baseColour=["Blue", "Red"], exclude_usage=["Sports"], max_price=50)
    assert f.chroma_where() == {
        "$and": [
            {"baseColour": {"$in": ["Blue", "Red"]}},
            {"usage": {"$nin": ["Sports"]}},
            {"price": {"$lte": 50}},
        ]
    }
    assert SearchFilters().chroma_where() is None
