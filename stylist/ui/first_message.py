"""A new chat whose first message is a photo alone.

Chainlit takes the text of a chat's first message as its "first interaction": it names the
thread, and in the browser it is what enables the feedback thumbs of a new chat (Chainlit 2.12's
`FirstUserInteraction`; a reopened thread enables them by its id instead). A photo sent alone
has no text, so the interaction was empty and the thumbs stayed disabled until the thread was
reopened. Once such a first message is answered, the browser is told the interaction again, as
the thread's sidebar title.
"""

from __future__ import annotations

import chainlit as cl

from stylist.ui.history import thread_title

# In `cl.user_session`: this chat's first interaction has a name (it had text, was announced
# here, or the chat was reopened, which Chainlit announces itself).
NAMED = "first_interaction_named"


def mark_named() -> None:
    cl.user_session.set(NAMED, True)


async def name_first_interaction(text: str) -> None:
    """After answering a message: announce the chat's first interaction when it was a photo
    alone (Chainlit announced an empty one), once per chat."""
    if cl.user_session.get(NAMED):
        return
    mark_named()
    if text:
        return  # Chainlit announced the text itself
    await cl.context.emitter.emit(
        "first_interaction",
        {"interaction": thread_title(text), "thread_id": cl.context.session.thread_id},
    )
