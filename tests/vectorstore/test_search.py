"""Queries on a generated catalog, on embedded Chroma and on a real Chroma server."""

from __future__ import annotations

import json

import pytest

from stylist.vectorstore.errors import SearchError, UnknownFilterValue, UnknownItem
from stylist.vectorstore.filters import SearchFilters, parse_query
from stylist.vectorstore.search import CatalogIndex


@pytest.fixture
def index(backend) -> CatalogIndex:
    # A fresh object per test: no state carried between backends.
    return CatalogIndex(backend)


def matching_ids(catalog, filters: SearchFilters) -> set[int]:
    f = filters.validated(catalog)
    return {int(r["id"]) for r in catalog.items.to_dict("records") if f.matches(r, r["price"])}


@pytest.mark.parametrize(
    ("text", "expected_filters"),
    [
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
            "men's formal shoes below $100",
            {"gender": "Men", "articleType": "Formal Shoes", "max_price": 100},
        ),
        (
            "casual shoes for women between 20 and 90",
            {"gender": "Women", "articleType": "Casual Shoes", "min_price": 20, "max_price": 90},
        ),
    ],
)
def test_parsed_query_returns_only_items_matching_every_filter(index, text, expected_filters):
    parsed = parse_query(text, index.catalog)
    assert parsed.filters.model_dump(exclude_none=True) == expected_filters
    results = index.search(text, filters=parsed.filters, k=50)
    expected = matching_ids(index.catalog, parsed.filters)
    assert {p.id for p in results} == expected  # all of them (k=50 > count), nothing else
    for p in results:
        assert parsed.filters.matches(p.attributes, p.price)


def test_the_looser_queries_do_find_items(world):
    from stylist.catalog.store import get_catalog

    catalog = get_catalog(world)
    for text in ("men's formal shoes below $100", "casual shoes for women between 20 and 90"):
        assert matching_ids(catalog, parse_query(text, catalog).filters), text


def test_red_dress_through_filters(index):
    filters = parse_query("red dress", index.catalog).filters
    results = index.search("red dress", filters=filters, k=5)
    assert results
    assert all(
        p.attributes["articleType"] == "Dresses" and p.attributes["baseColour"] == "Red"
        for p in results
    )


def test_filtered_ranking_equals_brute_force(index):
    catalog = index.catalog
    filters = SearchFilters(gender=["Women", "Unisex"], min_price=10, max_price=80)
    results = index.search("casual summer outfit", filters=filters, k=10)
    query = index.encoder.encode_texts(["casual summer outfit"])[0]
    allowed = matching_ids(catalog, filters)
    mirror = index.mirror()
    scores = {
        int(i): float(mirror.fused[r] @ query)
        for i, r in mirror.row_of.items()
        if int(i) in allowed
    }
    best = sorted(scores, key=lambda i: -scores[i])[:10]
    assert [p.id for p in results] == best
    assert [p.score for p in results] == pytest.approx([scores[i] for i in best], abs=1e-5)


def test_unfiltered_hnsw_agrees_with_numpy(backend):
    hnsw = CatalogIndex(backend, unfiltered="hnsw").search("blue jeans", k=10)
    exact = CatalogIndex(backend, unfiltered="numpy").search("blue jeans", k=10)
    assert len(hnsw) == 10
    assert len({p.id for p in hnsw} & {p.id for p in exact}) >= 8
    assert [p.score for p in hnsw] == sorted((p.score for p in hnsw), reverse=True)


def test_more_like_an_item_excludes_it(index):
    item = int(index.catalog.items["id"].iloc[3])
    for filters in (None, {"gender": index.product(item).attributes["gender"]}):
        results = index.search(item_id=item, filters=filters, k=5)
        assert len(results) == 5 and item not in {p.id for p in results}


def test_photo_from_the_upload_store_finds_itself(index, backend):
    from stylist.images import ImageStore

    item = index.catalog.items.iloc[7]
    photo_id = ImageStore(backend.uploads_dir).put(open(item["image"], "rb").read())
    results = index.search(image=photo_id, k=3)
    assert results[0].id == int(item["id"]) and results[0].score == pytest.approx(1.0, abs=1e-3)


def test_photo_with_modifier_applies_its_filter_words(index, backend):
    from stylist.images import ImageStore

    item = index.catalog.items.iloc[7]
    photo_id = ImageStore(backend.uploads_dir).put(open(item["image"], "rb").read())
    # The modifier is read once; its filters go down, its leftover words nudge the photo.
    parsed = parse_query("like this but in red", index.catalog)
    assert parsed.remainder == ""
    results = index.search(text=parsed.remainder, image=photo_id, filters=parsed.filters, k=5)
    assert results and all(p.attributes["baseColour"] == "Red" for p in results)
    # Explicit filters win over the modifier's words.
    filters = parsed.filters.merged(SearchFilters(baseColour="Blue"))
    results = index.search(image=photo_id, filters=filters, k=5)
    assert results and all(p.attributes["baseColour"] == "Blue" for p in results)


def test_search_never_reads_filter_words_from_its_text(index, backend):
    """Filters are parsed once by the caller: the search only embeds its text."""
    from stylist.images import ImageStore

    item = index.catalog.items.iloc[7]
    photo_id = ImageStore(backend.uploads_dir).put(open(item["image"], "rb").read())
    results = index.search(text="in red", image=photo_id, k=20)
    assert {p.attributes["baseColour"] for p in results} != {"Red"}


def test_a_photo_embedding_searches_like_the_photo(index, backend):
    from stylist.images import ImageStore

    item = index.catalog.items.iloc[7]
    photo_id = ImageStore(backend.uploads_dir).put(open(item["image"], "rb").read())
    vector = index.encoder.encode_images([item["image"]])[0]
    by_photo = [p.id for p in index.search(image=photo_id, k=5)]
    assert [p.id for p in index.search(image=vector, k=5)] == by_photo


def test_diverse_search_returns_k_distinct_items(index):
    # How much more diverse MMR makes a page is pinned on a set built with near-duplicates
    # (test_relevance.py); here: on both stores a diverse search still fills the page.
    diverse = index.search("black shirt", k=8, diverse=True)
    assert len(diverse) == 8 and len({p.id for p in diverse}) == 8


def test_products_are_json(index):
    results = index.search("white sneakers", k=3)
    data = json.loads(json.dumps([p.model_dump() for p in results]))
    assert set(data[0]) == {"id", "name", "attributes", "price", "image", "score"}
    assert set(data[0]["attributes"]) == {
        "gender",
        "masterCategory",
        "subCategory",
        "articleType",
        "baseColour",
        "season",
        "usage",
    }


def test_filters_that_match_nothing_give_no_results(index):
    assert index.search("dress", filters={"articleType": "Dresses", "gender": "Men"}, k=5) == []


def test_filters_without_words_browse_cheapest_first(index):
    results = index.search(filters={"articleType": "Jeans"}, k=5)
    assert results and all(p.attributes["articleType"] == "Jeans" for p in results)
    assert [p.price for p in results] == sorted(p.price for p in results)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"text": "x", "k": 0}, SearchError, "between 1 and 50"),
        ({"text": "x", "k": 51}, SearchError, "between 1 and 50"),
        ({}, SearchError, "Tell me what to look for"),
        ({"text": "x", "filters": {"baseColour": "Ruby"}}, UnknownFilterValue, "Red"),
        ({"item_id": 123456789}, UnknownItem, "no item 123456789"),
    ],
)
def test_bad_queries_get_sentences(index, kwargs, error, words):
    with pytest.raises(error) as err:
        index.search(**kwargs)
    assert words in str(err.value)


def test_exclusions_in_chroma_and_in_the_mirror_agree(index):
    """`not black, no sports` reads the same in Chroma's `where` and in the numpy mirror."""
    catalog = index.catalog
    colours = catalog.known_values("baseColour")[:2]
    filters = SearchFilters(
        baseColour=colours + ["Black"], exclude_baseColour=["Black"], exclude_usage=["Sports"]
    ).validated(catalog)
    in_chroma = index.collections()[0].get(where=filters.chroma_where(), include=[])["ids"]
    results = index.search(filters=filters, k=50)
    assert results and len(results) == min(50, len(in_chroma))
    assert {p.id for p in results} <= {int(i) for i in in_chroma}
    for product in results:
        assert product.attributes["baseColour"] in colours
        assert product.attributes["usage"] != "Sports"
