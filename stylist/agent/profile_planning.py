"""The offline stylist's plan for a profile message: which profile tool, with what.

The language layer decides that a message is about the person themselves (the "profile"
intent); `stylist.profile` reads by meaning what it asks — note a fact, list the profile,
forget a fact, or forget the person altogether — and the matching tool does it. "Forget me"
only asks to confirm: the deletion waits for the person's own "yes" (`stylist.agent.forget`).
"""

from __future__ import annotations

import logging

from stylist.agent.intents import PlannedCall
from stylist.language import SentenceEncoderUnavailable
from stylist.language.result import Understanding
from stylist.tools.profile_layer import catalog_understander, reader_for

log = logging.getLogger(__name__)

_TOOLS = {
    "remember": "remember_preference",
    "show": "show_profile",
    "forget_fact": "forget_preference",
    "forget_me": "forget_me",
}


def profile_request(text: str) -> str:
    """remember / show / forget_fact / forget_me for a profile message ("remember" when the
    reader cannot run: noting is the harmless reading)."""
    try:
        return reader_for(catalog_understander()).request(text)
    except (SentenceEncoderUnavailable, OSError, ValueError) as err:
        log.info("profile request read as 'remember': %s", err)
        return "remember"


def plan_profile(u: Understanding) -> PlannedCall:
    request = profile_request(u.text)
    tool = _TOOLS[request]
    if request == "remember":
        return PlannedCall(tool, {"statement": u.text})
    if request == "forget_fact":
        return PlannedCall(tool, {"what": u.text})
    return PlannedCall(tool, {})
