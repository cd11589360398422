"""The tag card's "Save to wardrobe" button: a Chainlit action under the answer that tagged a
photo, and what clicking it does (saves the photo for the signed-in person, answers with the
saved item's card).

The owner is the chat's signed-in user, never anything the browser sends: the action's payload
only names the photo, and a photo the person did not send in this chat is refused.
"""

from __future__ import annotations

import logging
from typing import Any

import chainlit as cl

from stylist.settings import get_settings
from stylist.tools.errors import READABLE_ERRORS
from stylist.tools.wardrobe_backend import SIGN_IN
from stylist.tools.wardrobe_tools import save_photo
from stylist.ui.elements import artifact_elements
from stylist.wardrobe import Wardrobe

log = logging.getLogger(__name__)

SAVE_ACTION = "save_to_wardrobe"
SAVE_LABEL = "Save to wardrobe"
NOT_YOUR_PHOTO = "I can only save photos sent in this chat."


def save_actions(artifacts: list[dict[str, Any]], user_id: str | None) -> list[cl.Action]:
    """One "Save to wardrobe" button per photo tagged in this answer (signed-in chats only)."""
    if not user_id:
        return []
    photo_ids = [a["photo_id"] for a in artifacts if a and a.get("kind") == "tags"]
    return [
        cl.Action(
            name=SAVE_ACTION,
            payload={"photo_id": pid},
            label=SAVE_LABEL if len(photo_ids) == 1 else f"{SAVE_LABEL}: photo {n}",
            tooltip="Keep this garment in your wardrobe, with these tags",
        )
        for n, pid in enumerate(dict.fromkeys(photo_ids), 1)
    ]


def save_clicked(
    photo_id: str, user_id: str | None, chat_photo_ids: list[str]
) -> tuple[str, dict[str, Any] | None]:
    """(sentence, wardrobe artifact or None) for a click on the button (sync: run in a thread)."""
    if not user_id:
        return SIGN_IN, None
    if photo_id not in chat_photo_ids:
        return NOT_YOUR_PHOTO, None
    label = f"photo {chat_photo_ids.index(photo_id) + 1}"
    try:
        content, artifact = save_photo(Wardrobe(get_settings(), user_id), photo_id, label)
    except READABLE_ERRORS as err:
        return str(err), None
    return content.replace(" the wardrobe ", " your wardrobe ", 1), artifact


async def on_save_clicked(action: cl.Action, user_id: str | None, session: Any) -> None:
    """The callback: save, then answer with the item's card (or the sentence why not)."""
    chat_photos = await session.aphoto_ids() if session is not None else []
    photo_id = str((action.payload or {}).get("photo_id") or "")
    try:
        text, artifact = await cl.make_async(save_clicked)(photo_id, user_id, chat_photos)
    except Exception:  # noqa: BLE001 - the person gets a sentence; the log gets the traceback
        log.exception("saving to the wardrobe failed")
        text, artifact = "Sorry — I could not save that to your wardrobe. Please try again.", None
    markdown, elements = artifact_elements(artifact)
    if artifact is not None:
        text += '\n\nIf a tag is wrong, say e.g. "the colour is black" or "call it my navy blazer".'
    await cl.Message(content=text, author="Stylist", elements=elements).send()
