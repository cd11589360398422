"""The end of a chat whose person just had themselves forgotten ("forget me", confirmed).

By the time the turn reports `forgotten`, every store is cleared (`stylist.agent.forget`).
Chainlit would still write this chat's remaining steps (the goodbye, the run step closing, the
session metadata on disconnect) and recreate the thread; the data layer is told to write
nothing more of it, and the chat answers no more messages.
"""

from __future__ import annotations

import chainlit as cl
from chainlit.data import get_data_layer

FORGOTTEN_SESSION = (
    "Everything I kept about you has been deleted, so this chat has ended. "
    "Log out to leave; a new account starts with a clean slate."
)


def is_forgotten() -> bool:
    return bool(cl.user_session.get("forgotten"))


async def end_forgotten_session() -> None:
    layer = get_data_layer()
    stop = getattr(layer, "stop_writing", None)
    if stop is not None:
        stop(cl.context.session.thread_id)
    cl.user_session.set("forgotten", True)
    cl.user_session.set("stylist", None)
