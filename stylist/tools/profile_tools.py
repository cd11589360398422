"""Tools over the signed-in person's style profile: remember, show, forget one fact, and the
first step of "forget me" (asking to confirm; the deletion itself happens outside the graph,
see `stylist.agent.forget`, only after the person — not the model — replies yes).

The user is always this turn's signed-in person (`current_user_id()`), never an argument the
model passes; an anonymous chat gets a sentence saying the profile needs a sign-in.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import tool
from langgraph.prebuilt import InjectedState
from pydantic import Field

from stylist.language import SentenceEncoderUnavailable
from stylist.profile import ProfileFact, StyleProfile, get_profile_store
from stylist.profile.reading import facts_words
from stylist.profile.store import ProfileUnavailable
from stylist.settings import get_settings
from stylist.tools.conversation import constraints_of
from stylist.tools.errors import ToolUserError
from stylist.tools.profile_layer import catalog_understander, reader_for
from stylist.tools.run_context import current_user_id

SIGN_IN = "Your style profile needs a signed-in account"
FORGET_ME_QUESTION = (
    "This permanently deletes everything I keep about you: your chats, photos, wardrobe, "
    "style profile and feedback, and your account. Reply **yes** to confirm; anything else "
    "keeps it all."
)

Statement = Annotated[
    str,
    Field(
        min_length=1,
        max_length=300,
        description="the person's own sentence about themselves, as they said it",
    ),
]


def _store():
    try:
        return get_profile_store(get_settings())
    except ProfileUnavailable as err:
        raise ToolUserError(str(err)) from None


def _facts_json(facts: list[ProfileFact]) -> list[dict[str, Any]]:
    return [{"kind": f.kind, "fact": f.describe(), "sentence": f.sentence} for f in facts]


def _artifact(action: str, facts: list[ProfileFact], profile: StyleProfile | None) -> dict:
    return {
        "kind": "profile",
        "action": action,
        "facts": _facts_json(facts),
        "profile": _facts_json(profile.facts) if profile else [],
    }


def _read_facts(statement: str) -> list[ProfileFact]:
    try:
        understander = catalog_understander()
    except SentenceEncoderUnavailable as err:
        raise ToolUserError(f"I can't read preferences right now: {err}") from None
    return reader_for(understander).facts(statement, understander.understand)


@tool(response_format="content_and_artifact")
def remember_preference(
    state: Annotated[dict, InjectedState], statement: Statement
) -> tuple[str, dict[str, Any]]:
    """Note something the person says about themselves in their style profile — colours they
    never wear or love, their budget, sizes, usual occasions, style words (e.g. "I never wear
    yellow", "my budget is around 50"). The profile applies as defaults in every chat of theirs."""
    facts = _read_facts(statement)
    if not facts:
        raise ToolUserError(
            "I couldn't find a preference to note in that; tell me e.g. "
            '"I never wear yellow" or "my budget is around 50".'
        )
    user_id = current_user_id()
    if not user_id:
        in_force = constraints_of(state).describe()
        return (
            f"{SIGN_IN} to keep {facts_words(facts)} across chats; in this chat I'm filtering "
            f"on: {in_force}.",
            _artifact("chat_only", facts, None),
        )
    store = _store()
    stored = store.remember(user_id, facts)
    profile = store.load(user_id)
    return (
        f"Noted in your style profile: {facts_words(stored)}. I'll apply it in every chat of "
        'yours (say otherwise in a chat to set it aside there); "what do you know about me?" '
        'lists it and "forget that" removes it.',
        _artifact("remembered", stored, profile),
    )


@tool(response_format="content_and_artifact")
def show_profile() -> tuple[str, dict[str, Any]]:
    """List what the person's style profile holds, each fact with the sentence it came from."""
    user_id = current_user_id()
    if not user_id:
        raise ToolUserError(f"{SIGN_IN}: sign in and I'll remember your preferences.")
    profile = _store().load(user_id)
    if profile.is_empty():
        text = (
            'Your style profile is empty. Tell me things like "I never wear yellow" or '
            '"my budget is around 50" and I\'ll remember them.'
        )
    else:
        text = "Your style profile:\n" + profile.listing()
    return text, _artifact("shown", [], profile)


@tool(response_format="content_and_artifact")
def forget_preference(
    what: Annotated[
        str,
        Field(
            max_length=300,
            description='what to forget, in the person\'s words ("my budget", "yellow"); '
            '"that" = the newest fact',
        ),
    ] = "that",
) -> tuple[str, dict[str, Any]]:
    """Remove facts from the person's style profile: the ones named, or the newest one."""
    user_id = current_user_id()
    if not user_id:
        raise ToolUserError(f"{SIGN_IN}; I keep nothing about you beyond this chat.")
    store = _store()
    profile = store.load(user_id)
    if profile.is_empty():
        return "Your style profile is already empty.", _artifact("forgotten", [], profile)
    understanding = None
    try:
        understander = catalog_understander()
        understanding = understander.understand(what)
        reader = reader_for(understander)
    except SentenceEncoderUnavailable as err:
        raise ToolUserError(f"I can't read that right now: {err}") from None
    removed = store.forget(user_id, reader.matching(profile, what, understanding))
    left = store.load(user_id)
    return (
        f"Forgotten: {facts_words(removed)}. Your profile now holds: {left.describe()}.",
        _artifact("forgotten", removed, left),
    )


@tool(response_format="content_and_artifact")
def forget_me() -> tuple[str, dict[str, Any]]:
    """The person asks to delete all their data ("forget me"). This only asks them to confirm;
    nothing is deleted unless they reply yes themselves."""
    if not current_user_id():
        raise ToolUserError(
            "You're not signed in, so I keep nothing about you beyond this conversation."
        )
    return FORGET_ME_QUESTION, {"kind": "forget_me", "status": "confirm"}


PROFILE_TOOLS = [remember_preference, show_profile, forget_preference, forget_me]
