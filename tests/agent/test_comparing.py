"""The offline stylist's side-by-side of shown items ("compare the first two")."""

from __future__ import annotations

import pytest

from stylist.agent.comparing import compare_items
from stylist.tools.conversation import ShownItem


def item(n, name, price, **attributes):
    base = {"articleType": "Tshirts", "baseColour": "Black", "gender": "Men"}
    base.update(season="Summer", usage="Casual")
    return ShownItem(n=n, id=100 + n, name=name, price=price, attributes={**base, **attributes})


def test_two_items_say_where_they_differ_the_price_gap_and_what_they_share():
    text = compare_items(
        [item(1, "Black Tee", 24.99), item(2, "Navy Tee", 39.99, baseColour="Navy Blue")]
    )
    assert "- #1 Black Tee: $24.99 (Tshirts, Black, Men, Summer, Casual)" in text
    assert "- #2 Navy Tee: $39.99 (Tshirts, Navy Blue, Men, Summer, Casual)" in text
    assert "Where they differ: colour: #1 Black, #2 Navy Blue." in text
    assert "#1 costs $15.00 less than #2." in text
    assert "In common: Tshirts, Men, Summer, Casual." in text


def test_the_cheaper_one_may_come_second_and_equal_prices_are_said():
    assert "#3 costs $5.00 less than #1." in compare_items([item(1, "A", 30), item(3, "B", 25)])
    assert "They cost the same." in compare_items([item(1, "A", 30), item(2, "B", 30)])


def test_three_items_name_the_cheapest_and_the_dearest():
    text = compare_items([item(1, "A", 30), item(2, "B", 10, usage="Sports"), item(3, "C", 50)])
    assert "use: #1 Casual, #2 Sports, #3 Casual" in text
    assert "#2 is the cheapest, $40.00 less than #3, the dearest." in text


def test_one_item_is_not_a_comparison():
    with pytest.raises(ValueError):
        compare_items([item(1, "A", 30)])
