"""Photos attached to a chat message → the image store, the moment they arrive.

Chainlit keeps uploads in `.files/<session>/` and deletes them with the session, so the bytes are
copied out straight away. Each photo is validated by the agent session (`add_photo` →
`ImageStore.put`); a refused one yields a sentence for the person and the others still count.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stylist.images import ImageRejected
from stylist.settings import get_settings

UNREADABLE_UPLOAD = "I could not read that upload; please attach it again."


@dataclass
class PhotoIntake:
    photo_ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def element_bytes(element: Any, limit: int) -> bytes:
    """The upload's bytes, at most `limit + 1` of them (enough for the store to say "too large")."""
    content = getattr(element, "content", None)
    if content:
        data = content.encode() if isinstance(content, str) else bytes(content)
        return data[: limit + 1]
    path = getattr(element, "path", None)
    if not path:
        raise ImageRejected(UNREADABLE_UPLOAD)
    try:
        with Path(path).open("rb") as f:
            return f.read(limit + 1)
    except OSError:
        raise ImageRejected(UNREADABLE_UPLOAD) from None


async def store_photos(session: Any, elements: list[Any] | None) -> PhotoIntake:
    """Store every attached file through `session.add_photo`; never raises for a bad upload."""
    intake = PhotoIntake()
    limit = get_settings().upload_max_bytes
    for element in elements or []:
        name = getattr(element, "name", None) or "that file"
        try:
            data = element_bytes(element, limit)
            # Decoding and hashing a photo takes a while: off the event loop.
            photo_id = await asyncio.to_thread(session.add_photo, data)
        except ImageRejected as err:
            intake.problems.append(f"**{name}** — {err}")
            continue
        if photo_id not in intake.photo_ids:
            intake.photo_ids.append(photo_id)
    return intake
