"""What the style profile reads from what people say, and how it keeps it per user.

The table pins the phrasings the issue names ("I never wear yellow", "my budget is around
50", "what do you know about me?", "forget that", "forget me") and their neighbours: the kind
of request, and the facts as the person will see them listed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from stylist.profile import ProfileFact, ProfileStore, is_confirmation
from stylist.profile.store import get_profile_store


@dataclass(frozen=True)
class Case:
    text: str
    request: str
    facts: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


CASES = [
    Case("I never wear yellow", "remember", ("no Yellow",)),
    Case("I don't wear pink", "remember", ("no Pink",)),
    Case("I hate brown", "remember", ("no Brown",)),
    Case("red doesn't look good on me", "remember", ("no Red",)),
    Case("my favourite colour is green", "remember", ("likes Green",)),
    Case("I love red", "remember", ("likes Red",)),
    Case("my budget is around 50", "remember", ("budget up to $50",)),
    Case("my budget is about 30 dollars", "remember", ("budget up to $30",)),
    Case("I usually wear size M", "remember", ("size M",)),
    Case("my shoe size is 9", "remember", ("shoes size 9",)),
    Case("I'm a size large", "remember", ("size Large",)),
    Case("I mostly dress casual", "remember", ("usually Casual",)),
    Case("I like minimalist clothes", "remember", ("style: minimalist",)),
    Case(
        "I never wear yellow and my budget is about 40",
        "remember",
        ("no Yellow", "budget up to $40"),
    ),
    Case("what do you know about me?", "show"),
    Case("show my style profile", "show"),
    Case("what have you remembered about me", "show"),
    Case("forget that", "forget_fact"),
    Case("forget my budget", "forget_fact"),
    Case("forget that I never wear yellow", "forget_fact"),
    Case("forget me", "forget_me"),
    Case("delete my data", "forget_me"),
    Case("delete my account and all my data", "forget_me"),
    Case("erase everything you know about me", "forget_me"),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_profile_phrasing_table(case, reader, understander):
    assert reader.request(case.text) == case.request
    if case.request == "remember":
        facts = reader.facts(case.text, understander.understand)
        assert tuple(f.describe() for f in facts) == case.facts
        assert all(f.sentence == case.text for f in facts)


def test_the_language_layer_reads_these_as_profile_messages(understander):
    """The intent matcher sends them to the profile; an in-chat override stays a refinement."""
    for text in ("I never wear yellow", "what do you know about me?", "forget that", "forget me"):
        assert understander.understand(text).intents == ["profile"], text
    assert understander.understand("actually I'd wear yellow today").intents != ["profile"]


def test_forget_names_a_fact_by_value_or_kind_else_the_newest(reader, understander):
    from stylist.profile import StyleProfile

    facts = [
        ProfileFact(kind="avoided_colour", value="Yellow", sentence="s", noted_at="1"),
        ProfileFact(kind="budget", amount=50, sentence="s", noted_at="2"),
        ProfileFact(kind="size", value="9", item="Shoes", sentence="s", noted_at="3"),
    ]
    profile = StyleProfile(facts=facts)

    def named(text):
        return [f.describe() for f in reader.matching(profile, text, understander.understand(text))]

    assert named("forget that I never wear yellow") == ["no Yellow"]
    assert named("forget my budget") == ["budget up to $50"]
    assert named("forget that") == ["shoes size 9"]  # the newest


@pytest.mark.parametrize(
    "text,confirms",
    [
        ("yes", True),
        ("Yes!", True),
        ("yes, delete everything", True),
        ("go ahead", True),
        ("no", False),
        ("yes but first show me shirts", False),
        ("not yet", False),
        ("", False),
    ],
)
def test_only_a_plain_yes_confirms_forgetting(text, confirms):
    assert is_confirmation(text) is confirms


def _fact(kind, value="", **more):
    return ProfileFact(kind=kind, value=value, sentence=f"about {value or kind}", **more)


def check_store(store: ProfileStore):
    """One behaviour for both backends: per-user namespaces, replacing, opposites, forgetting."""
    store.remember("ada", [_fact("avoided_colour", "Yellow"), _fact("budget", amount=50)])
    store.remember("bob", [_fact("favourite_colour", "Yellow")])
    ada = store.load("ada")
    assert ada.avoided_colours == ["Yellow"] and ada.budget == 50
    assert store.load("bob").avoided_colours == []  # another user's namespace

    store.remember("ada", [_fact("budget", amount=70)])  # a new budget replaces the old one
    store.remember("ada", [_fact("favourite_colour", "Yellow")])  # liking ends avoiding
    ada = store.load("ada")
    assert ada.budget == 70 and ada.avoided_colours == []
    assert [f.describe() for f in ada.facts] == ["budget up to $70", "likes Yellow"]
    assert ada.newest().describe() == "likes Yellow"

    store.forget("ada", [ada.newest()])
    assert store.count("ada") == 1
    assert store.forget_all("ada") == 1
    assert store.count("ada") == 0 and store.load("ada").is_empty()
    assert store.count("bob") == 1  # untouched
    with pytest.raises(ValueError):
        store.load("")  # no query without a user


def test_profile_store_on_sqlite_survives_a_new_process_object(isolated_settings):
    from stylist.profile.store import _open_sqlite, profile_db_path

    store = get_profile_store(isolated_settings)
    check_store(store)
    store.remember("cy", [_fact("occasion", "Formal")])
    reopened = ProfileStore(_open_sqlite(profile_db_path(isolated_settings)))
    assert [f.describe() for f in reopened.load("cy").facts] == ["usually Formal"]
    assert profile_db_path(isolated_settings).parent == isolated_settings.checkpoint_db.parent


def test_profile_store_on_postgresql(postgres_url, isolated_settings, monkeypatch):
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    store = get_profile_store(get_settings())
    assert type(store.store).__name__ == "PostgresStore"
    check_store(store)
