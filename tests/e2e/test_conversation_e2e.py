"""A multi-turn conversation in the real Chainlit app: numbered cards, an exclusion that holds,
"cheaper" against what was shown, and an outfit around "the second one"."""

from __future__ import annotations

import statistics

from harness import ChatPage


def test_follow_ups_refer_to_numbered_cards_and_keep_the_constraints(chainlit_server, new_context):
    chat = ChatPage(new_context().new_page(), chainlit_server.url, "conversation").open()

    chat.send("summer dresses for women")
    first = chat.product_cards()
    assert [c["number"] for c in first] == [str(n) for n in range(1, len(first) + 1)]
    labels = chat.last_answer().locator('[data-testid="product-label"]').all_inner_texts()
    assert labels[1] == f"#2 · item {first[1]['itemId']}"
    assert all(c["gender"] == "Women" for c in first)

    answer = chat.send("not black please")
    assert "Understood:" in answer
    second = chat.product_cards()
    assert second and all(c["basecolour"] != "Black" and c["gender"] == "Women" for c in second)

    chat.send("cheaper")
    chat.screenshot("conversation-cheaper")
    ceiling = statistics.median(float(c["price"]) for c in second)
    third = chat.product_cards()
    for card in third:
        assert float(card["price"]) <= ceiling
        assert card["basecolour"] != "Black" and card["gender"] == "Women"

    answer = chat.send("what goes with the second one?")
    chat.screenshot("conversation-outfit")
    assert "around #2 " in answer  # the outfit is built around card #2 of the last list
    slots = chat.last_answer().locator('[data-testid="outfit-slot"]')
    slots.first.wait_for(timeout=30_000)
    for i in range(slots.count()):
        price = float(slots.nth(i).get_attribute("data-price"))
        assert price <= ceiling
