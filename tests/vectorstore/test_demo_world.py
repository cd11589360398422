"""Search on the demo installation `stylist.pipeline.build_demo` makes (the shared `demo_world`):
the index the pipeline built is current and answers the agent's kind of query.

The quick-trained encoder is too small for embedding-only ranking to mean much, so semantic
results are pinned through parsed filters here; ranking quality of the full demo encoder is
measured by `stylist eval search` (see the report in docs/architecture.md's search section).
"""

from __future__ import annotations

import pytest

from stylist.vectorstore import complete_outfit, get_index, index_is_current, parse_query


@pytest.mark.slow
def test_pipeline_index_answers_parsed_queries(use_demo_world):
    assert index_is_current(use_demo_world)
    index = get_index(use_demo_world)
    catalog = index.catalog
    for text in (
        "red dress",
        "women's dresses under 120",
        "men casual shirts",
        "black shoes for men below $150",
    ):
        parsed = parse_query(text, catalog)
        results = index.search(text, filters=parsed.filters, k=10)
        f = parsed.filters.validated(catalog)
        expected = [r for r in catalog.items.to_dict("records") if f.matches(r, r["price"])]
        assert len(results) == min(10, len(expected)), text
        assert all(f.matches(p.attributes, p.price) for p in results), text
    item = int(catalog.test[catalog.test["subCategory"] == "Topwear"]["id"].iloc[0])
    outfit = complete_outfit(anchor_item_id=item, settings=use_demo_world)
    assert [s.slot for s in outfit.slots] == ["bottom", "footwear", "accessory"]
