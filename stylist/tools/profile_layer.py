"""The signed-in person's style profile as the default layer under a chat's constraints.

Every search, similar-items and outfit tool of a signed-in chat asks `constraints_in_force`:
the chat's constraints with the profile's defaults underneath — colours the person never wears
are left out, their budget caps the price — unless the chat says otherwise ("actually I'd wear
yellow today" asks for yellow in this chat; a budget named in the chat replaces the profile's).
The result goes through the same `Constraints` → `SearchFilters` path as the chat's own, and the
note ("no Yellow, up to $50") is what the answer cites as "(your profile: ...)".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stylist.catalog.schema import ATTRIBUTES
from stylist.language.understanding import Understander, understander_for
from stylist.profile import ProfileReader, StyleProfile, get_profile_store, profile_reader
from stylist.profile.store import ProfileUnavailable
from stylist.settings import get_settings
from stylist.tools import services
from stylist.tools.conversation import Constraints, constraints_of
from stylist.tools.run_context import current_user_id
from stylist.wording import in_words

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InForce:
    """The constraints a tool applies, and what of them came from the profile (for the answer)."""

    constraints: Constraints
    profile_note: str = ""

    def titled(self, title: str) -> str:
        return f"{title} (your profile: {self.profile_note})" if self.profile_note else title


def user_profile(user_id: str | None = None) -> StyleProfile | None:
    """This turn's signed-in person's profile; None for an anonymous chat (or no store)."""
    user_id = user_id or current_user_id()
    if not user_id:
        return None
    try:
        return get_profile_store(get_settings()).load(user_id)
    except ProfileUnavailable as err:  # the chat goes on without defaults; the log says why
        log.warning("%s", err)
        return None


def with_profile(chat: Constraints, profile: StyleProfile | None) -> InForce:
    """The chat's constraints over the profile's defaults (the chat wins where it speaks)."""
    if profile is None or profile.is_empty():
        return InForce(chat)
    merged = chat.model_copy(deep=True)
    applied: list[str] = []
    asked = set(chat.include.get("baseColour", []))
    for colour in profile.avoided_colours:
        if colour in asked:
            continue  # this chat asked for it: the profile gives way here only
        bucket = merged.exclude.setdefault("baseColour", [])
        if colour not in bucket:
            bucket.append(colour)
        applied.append(f"no {colour}")
    budget = profile.budget
    if budget is not None and chat.max_price is None and (chat.min_price or 0) < budget:
        merged.max_price = budget
        applied.append(f"up to ${budget:g}")
    return InForce(merged, in_words(applied))


def constraints_in_force(state: Mapping[str, Any] | None) -> InForce:
    """What a tool of this turn applies: the chat's constraints, the profile underneath."""
    return with_profile(constraints_of(state), user_profile())


def catalog_understander() -> Understander:
    """The language layer's reader for this catalog's words (raises without the encoder)."""
    catalog = services.catalog()
    return understander_for({a: list(catalog.known_values(a)) for a in ATTRIBUTES})


def reader_for(understander: Understander) -> ProfileReader:
    return profile_reader(understander.encoder, understander.skeleton)


def after_profile_message(text: str, chat: Constraints, *, signed_in: bool) -> Constraints:
    """The chat's constraints after a message about the person themselves.

    Signed in, the profile carries the statement into every search (and "forget that" takes it
    back), so the chat's own constraints stay as they were. Anonymous, there is no profile: a
    statement ("I never wear yellow") holds for this chat, through the same defaults."""
    if signed_in:
        return chat
    understander = catalog_understander()
    reader = reader_for(understander)
    if reader.request(text) != "remember":
        return chat
    facts = reader.facts(text, understander.understand)
    return with_profile(chat, StyleProfile(facts=facts)).constraints
