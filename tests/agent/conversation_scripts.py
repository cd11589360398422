"""Multi-turn conversation scripts, shared by the session test, the `stylist chat` test and the
stand-in provider test.

A script is a list of turns; each turn names what the person says (and whether a photo comes
with it) and what must follow: the tools called in order, words the offline stylist's
"Understood: ..." line or answer must contain, and checks on the conversation state after the
turn. Every product card shown must respect the constraints in force (checked item by item by
`card_problems`, written here independently of the code under test).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Check = Callable[[dict[str, Any], dict[str, Any], Any], None]  # (state, previous state, result)


@dataclass
class Turn:
    text: str | Callable[[dict[str, Any]], str]  # or made from the state before the turn
    photo: Mapping[str, str] | None = None  # catalog test-item attributes to pick a photo by
    tools: list[str] | None = None  # tool names in order ([] = a reply without tools)
    says: list[str] = field(default_factory=list)  # words the answer must contain
    checks: list[Check] = field(default_factory=list)


@dataclass
class Script:
    name: str
    turns: list[Turn]

    def __str__(self) -> str:
        return self.name


# --- messages made from what was shown ------------------------------------------------------


def common_colours(before: dict[str, Any], n: int) -> list[str]:
    """The n most common colours of the latest list shown (so an exclusion has teeth)."""
    colours = [i["attributes"]["baseColour"] for i in before["shown"][-1]["items"]]
    return sorted(set(colours), key=lambda c: (-colours.count(c), c))[:n]


def not_the_common_colours(n: int, template: str) -> Callable[[dict[str, Any]], str]:
    def text(before):
        return template.format(*[c.lower() for c in common_colours(before, n)])

    return text


def excludes_what_was_shown(n: int) -> Check:
    """The colours just ruled out were on the previous list, and none is shown now."""

    def check(state, before, result):
        colours = common_colours(before, n)
        assert state["constraints"]["exclude"].get("baseColour") == colours, (
            state["constraints"]["exclude"],
            colours,
        )
        shown = [p["attributes"]["baseColour"] for p in cards(result)]
        assert shown and not set(shown) & set(colours), (shown, colours)

    return check


def text_of(turn: Turn, before: dict[str, Any]) -> str:
    return turn.text(before) if callable(turn.text) else turn.text


# --- checks on the state after a turn -------------------------------------------------------


def constraint(path: str, expected: Any) -> Check:
    """constraints[path] == expected, e.g. constraint("exclude.baseColour", ["Black"])."""

    def check(state, _before, _result):
        value: Any = state.get("constraints") or {}
        for part in path.split("."):
            value = (value or {}).get(part)
        assert value == expected, f"constraints.{path} = {value!r}, expected {expected!r}"

    return check


def max_price_below_median_of_previous() -> Check:
    def check(state, before, _result):
        prices = sorted(i["price"] for i in before["shown"][-1]["items"])
        n = len(prices)
        median = prices[n // 2] if n % 2 else (prices[n // 2 - 1] + prices[n // 2]) / 2
        got = state["constraints"]["max_price"]
        assert got is not None and got <= median + 1e-6, (got, median)
        previous = (before.get("constraints") or {}).get("max_price")
        assert previous is None or got < previous, (got, previous)

    return check


def anchored_on_shown(tool: str, number: int, *, lists_back: int = 1) -> Check:
    """The `tool` call was about result #number of the list shown before this turn."""

    def check(_state, before, result):
        expected = before["shown"][-lists_back]["items"][number - 1]["id"]
        calls = [args for name, args in result.tool_calls if name == tool]
        assert calls, f"no {tool} call"
        by_number = lists_back == 1 and calls[0].get("result") == number
        assert by_number or calls[0].get("item_id") == expected, (calls, expected)
        # the artifact is about that very item
        anchors = [a.get("anchor", a).get("item_id") for a in result.artifacts]
        assert expected in anchors, (anchors, expected)

    return check


def compares_shown(*numbers: int) -> Check:
    """The answer sets those results of the list shown before side by side: each one's name
    and price, and which is cheaper by how much (worked out here from the list itself)."""

    def check(_state, before, result):
        items = [before["shown"][-1]["items"][n - 1] for n in numbers]
        text = result.text or ""
        for item in items:
            assert f"#{item['n']} {item['name']}: ${item['price']:.2f}" in text, (item, text)
        cheapest = min(items, key=lambda i: i["price"])
        dearest = max(items, key=lambda i: i["price"])
        gap = dearest["price"] - cheapest["price"]
        expected = (
            f"#{cheapest['n']} costs ${gap:.2f} less than #{dearest['n']}"
            if gap >= 0.005
            else "They cost the same"
        )
        assert expected in text, (expected, text)

    return check


def anchored_on_photo(tool: str, photo: str) -> Check:
    def check(_state, _before, result):
        calls = [args for name, args in result.tool_calls if name == tool]
        assert calls and calls[0].get("photo") == photo, calls

    return check


def shown_kind(attribute: str, allowed: set[str]) -> Check:
    """Every product of this turn has attribute in `allowed`."""

    def check(_state, _before, result):
        for product in cards(result):
            assert product["attributes"][attribute] in allowed, (product["name"], allowed)

    return check


def shows_products() -> Check:
    def check(_state, _before, result):
        assert cards(result), "no product was shown"

    return check


def no_constraints() -> Check:
    def check(state, _before, _result):
        c = state.get("constraints") or {}
        assert not c.get("gender") and c.get("max_price") is None and c.get("min_price") is None
        assert not any(c.get("include", {}).values()) and not any(c.get("exclude", {}).values())

    return check


async def state_of(session) -> dict[str, Any]:
    """The conversation state the checkpoint holds for a session's thread."""
    graph = await session.agent.graph()
    snapshot = await graph.aget_state(session.config)
    return dict(snapshot.values) if snapshot and snapshot.values else {}


# --- the cards ------------------------------------------------------------------------------


def cards(result) -> list[dict[str, Any]]:
    shown = []
    for artifact in result.artifacts:
        if artifact.get("kind") == "products":
            shown += artifact["products"]
        elif artifact.get("kind") == "outfit":
            shown += [s["product"] for s in artifact["slots"]]
    return shown


def card_problems(result, constraints: Mapping[str, Any]) -> list[str]:
    """Every way a product card of this turn breaks the constraints in force.

    Search and similar results honour every constraint; outfit slots honour what rules items
    out, the gender and the budget (the slots choose the kinds, the anchor the colours)."""
    problems = []
    c = constraints or {}
    for artifact in result.artifacts:
        kind = artifact.get("kind")
        if kind == "products":
            products, outfit = artifact["products"], False
        elif kind == "outfit":
            products, outfit = [s["product"] for s in artifact["slots"]], True
        else:
            continue
        for p in products:
            attrs, name = p["attributes"], p["name"]
            if c.get("gender") and attrs["gender"] != c["gender"]:
                problems.append(f"{name}: gender {attrs['gender']} != {c['gender']}")
            if c.get("max_price") is not None and p["price"] > c["max_price"]:
                problems.append(f"{name}: ${p['price']} over ${c['max_price']}")
            if c.get("min_price") is not None and p["price"] < c["min_price"]:
                problems.append(f"{name}: ${p['price']} under ${c['min_price']}")
            for attribute, values in (c.get("exclude") or {}).items():
                if attrs[attribute] in values:
                    problems.append(f"{name}: {attribute} {attrs[attribute]} is ruled out")
            for term in c.get("exclude_terms") or []:
                if term.lower() in name.lower():
                    problems.append(f"{name}: contains {term!r}")
            if not outfit:
                for attribute, values in (c.get("include") or {}).items():
                    if values and attrs[attribute] not in values:
                        problems.append(f"{name}: {attribute} {attrs[attribute]} not in {values}")
    return problems


DARK = {"Black", "Navy Blue", "Maroon", "Brown", "Grey", "Purple"}

SCRIPTS = [
    Script(
        "beach wedding, the new user's chat",
        [
            Turn(
                "I need something to wear to a beach wedding",
                tools=["search_catalog"],
                says=["Understood:", "Summer"],
                checks=[constraint("include.season", ["Summer"]), shows_products()],
            ),
            Turn(
                "not black please",
                tools=["search_catalog"],
                says=["no black"],
                checks=[
                    constraint("exclude.baseColour", ["Black"]),
                    constraint("include.season", ["Summer"]),
                ],
            ),
            Turn(
                "cheaper", tools=["search_catalog"], checks=[max_price_below_median_of_previous()]
            ),
            Turn(
                "what goes with the second one?",
                tools=["complete_outfit"],
                says=["To complete the look around #2"],
                checks=[anchored_on_shown("complete_outfit", 2)],
            ),
            Turn("I don't like black", checks=[constraint("exclude.baseColour", ["Black"])]),
        ],
    ),
    Script(
        "reference by number",
        [
            Turn("show me shirts for men", tools=["search_catalog"], checks=[shows_products()]),
            Turn(
                "which is cheaper, the first or the second one?",
                tools=[],
                says=["Side by side"],
                checks=[compares_shown(1, 2), constraint("max_price", None)],
            ),
            Turn(
                "more like #2",
                tools=["find_similar"],
                checks=[anchored_on_shown("find_similar", 2), shown_kind("gender", {"Men"})],
            ),
            Turn(
                "what goes with the first one?",
                tools=["complete_outfit"],
                checks=[anchored_on_shown("complete_outfit", 1)],
            ),
        ],
    ),
    Script(
        "cheaper twice",
        [
            Turn(
                "jackets", tools=["search_catalog"], checks=[shown_kind("articleType", {"Jackets"})]
            ),
            Turn(
                "cheaper",
                tools=["search_catalog"],
                says=["Cheaper"],
                checks=[max_price_below_median_of_previous(), shows_products()],
            ),
            Turn(
                "even cheaper",
                tools=["search_catalog"],
                checks=[
                    max_price_below_median_of_previous(),
                    shown_kind("articleType", {"Jackets"}),
                ],
            ),
        ],
    ),
    Script(
        "exclusion, then any colour",
        [
            Turn(
                "tops for women", tools=["search_catalog"], checks=[constraint("gender", "Women")]
            ),
            Turn(
                not_the_common_colours(2, "not in {} or {}"),
                tools=["search_catalog"],
                checks=[excludes_what_was_shown(2)],
            ),
            Turn(
                "actually, any colour",
                tools=["search_catalog"],
                says=["Any colour"],
                checks=[constraint("exclude", {}), constraint("gender", "Women")],
            ),
        ],
    ),
    Script(
        "any colour drops only the colours, any price only the budget",
        [
            Turn(
                "casual dresses for women under 80",
                tools=["search_catalog"],
                checks=[constraint("max_price", 80.0), constraint("include.usage", ["Casual"])],
            ),
            Turn(
                not_the_common_colours(1, "not {} please"),
                tools=["search_catalog"],
                checks=[excludes_what_was_shown(1)],
            ),
            Turn(
                "only in blue or green",
                tools=["search_catalog"],
                checks=[constraint("include.baseColour", ["Blue", "Green"])],
            ),
            Turn(
                "actually, any colour",
                tools=["search_catalog"],
                says=["Any colour"],
                checks=[
                    constraint("include.baseColour", None),
                    constraint("exclude.baseColour", None),
                    constraint("include.articleType", ["Dresses"]),
                    constraint("include.usage", ["Casual"]),
                    constraint("gender", "Women"),
                    constraint("max_price", 80.0),
                ],
            ),
            Turn(
                "any price is fine",
                tools=["search_catalog"],
                says=["Any price"],
                checks=[
                    constraint("max_price", None),
                    constraint("min_price", None),
                    constraint("include.articleType", ["Dresses"]),
                    constraint("include.usage", ["Casual"]),
                    constraint("gender", "Women"),
                ],
            ),
        ],
    ),
    Script(
        "outfit around a shown item, with an exclusion in force",
        [
            Turn("jeans for women", tools=["search_catalog"]),
            Turn(
                not_the_common_colours(1, "no {} please"),
                tools=["search_catalog"],
                checks=[excludes_what_was_shown(1)],
            ),
            Turn(
                "what goes with the first one?",
                tools=["complete_outfit"],
                checks=[anchored_on_shown("complete_outfit", 1), shows_products()],
            ),
        ],
    ),
    Script(
        "two colours ruled out in one message",
        [
            Turn("sweaters", tools=["search_catalog"]),
            Turn(
                "not in black or white",
                tools=["search_catalog"],
                says=["no black or white"],
                checks=[constraint("exclude.baseColour", ["Black", "White"])],
            ),
        ],
    ),
    Script(
        "a correction",
        [
            Turn(
                "casual shoes for women",
                tools=["search_catalog"],
                checks=[constraint("gender", "Women")],
            ),
            Turn(
                "I meant for men",
                tools=["search_catalog"],
                says=["men"],
                checks=[
                    constraint("gender", "Men"),
                    constraint("include.articleType", ["Casual Shoes"]),
                    shown_kind("gender", {"Men"}),
                ],
            ),
        ],
    ),
    Script(
        "a photo from three turns back",
        [
            Turn("", photo={"articleType": "Shirts"}, tools=["tag_image", "find_similar"]),
            Turn("red dresses", tools=["search_catalog"]),
            Turn("cheaper", tools=["search_catalog"]),
            Turn(
                "what goes with the photo I sent earlier?",
                tools=["complete_outfit"],
                checks=[anchored_on_photo("complete_outfit", "photo 1")],
            ),
        ],
    ),
    Script(
        "two asks in one message, in order",
        [
            Turn(
                "what is this and what goes with it?",
                photo={"articleType": "Tshirts"},
                tools=["tag_image", "complete_outfit"],
                says=["looks like", "To complete the look"],
            ),
        ],
    ),
    Script(
        "qualities alone refine the kind asked for",
        [
            Turn("red dresses", tools=["search_catalog"]),
            Turn(
                "casual ones",
                tools=["search_catalog"],
                checks=[
                    constraint("include.articleType", ["Dresses"]),
                    constraint("include.usage", ["Casual"]),
                    shown_kind("articleType", {"Dresses"}),
                ],
            ),
        ],
    ),
    Script(
        "a reference to a result that does not exist",
        [
            Turn("handbags", tools=["search_catalog"]),
            Turn("what goes with the ninth one?", tools=[], says=["There is no #9"]),
        ],
    ),
    Script(
        "show the filters, then start over",
        [
            Turn(
                "formal shoes for men under 80",
                tools=["search_catalog"],
                checks=[constraint("max_price", 80.0), constraint("gender", "Men")],
            ),
            Turn("what are you filtering on?", tools=[], says=["Men", "under $80"]),
            Turn("start over", tools=[], checks=[no_constraints()]),
        ],
    ),
    Script(
        "budget and gender carry over to a new kind",
        [
            Turn("women's tops under 40", tools=["search_catalog"]),
            Turn(
                "now show me skirts",
                tools=["search_catalog"],
                checks=[
                    constraint("include.articleType", ["Skirts"]),
                    constraint("max_price", 40.0),
                    constraint("gender", "Women"),
                    shown_kind("articleType", {"Skirts"}),
                ],
            ),
        ],
    ),
    Script(
        "darker and less sporty",
        [
            Turn("t-shirts for men", tools=["search_catalog"]),
            Turn(
                "something darker",
                tools=["search_catalog"],
                checks=[shown_kind("baseColour", DARK)],
            ),
            Turn(
                "less sporty",
                tools=["search_catalog"],
                checks=[constraint("exclude.usage", ["Sports"])],
            ),
        ],
    ),
    Script(
        "an unclear message gets a short question, not a wrong search",
        [
            Turn("jackets", tools=["search_catalog"]),
            Turn("what about it", tools=[], says=["I'm not sure what you'd like: should I"]),
            Turn(
                "cheaper", tools=["search_catalog"], checks=[max_price_below_median_of_previous()]
            ),
        ],
    ),
    Script(
        "that bag",
        [
            Turn("backpacks", tools=["search_catalog"]),
            Turn(
                "what goes with that bag?",
                tools=["complete_outfit"],
                checks=[anchored_on_shown("complete_outfit", 1)],
            ),
        ],
    ),
]
