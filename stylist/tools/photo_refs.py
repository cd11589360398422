"""Photo references: how the model (or a person) names a photo of this conversation.

The model sees photos as "photo 1", "photo 2", ... in the order they were attached and may pass
"latest", "photo 2", "2", "first", or a stored id (or an unambiguous prefix of it) to a tool.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from stylist.wording import plural

NO_PHOTO = (
    "There is no photo in this conversation yet. Ask the person to attach a photo of "
    "the garment first."
)

_LATEST = {
    "",
    "latest",
    "last",
    "this",
    "current",
    "it",
    "the photo",
    "this photo",
    "latest photo",
    "last photo",
    "newest",
}
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5}
_NUMBER = re.compile(r"^(?:photo|image|picture|pic|#)?\s*#?\s*(\d{1,3})$")


class PhotoNotFound(ValueError):
    """A photo reference that matches no photo of this conversation; `str()` is a sentence."""


def photo_label(photo_ids: Sequence[str], photo_id: str) -> str:
    """'photo N' for an id of this conversation (1-based, in attachment order)."""
    try:
        return f"photo {list(photo_ids).index(photo_id) + 1}"
    except ValueError:
        return "a photo"


def resolve_photo(reference: str | None, photo_ids: Sequence[str]) -> str:
    """The stored id a reference points at, or PhotoNotFound with a sentence for the model."""
    photo_ids = list(photo_ids)
    if not photo_ids:
        raise PhotoNotFound(NO_PHOTO)
    ref = (reference or "").strip().lower()
    if ref in _LATEST:
        return photo_ids[-1]
    ref = ref.removeprefix("the ").removesuffix(" photo").strip()
    if ref in _ORDINALS:
        ref = str(_ORDINALS[ref])
    match = _NUMBER.match(ref)
    if match:
        number = int(match.group(1))
        if 1 <= number <= len(photo_ids):
            return photo_ids[number - 1]
        raise PhotoNotFound(
            f"There is no photo {number}; this conversation has "
            f"{plural(len(photo_ids), 'photo')} (photo 1 to photo {len(photo_ids)})."
        )
    if len(ref) >= 6 and re.fullmatch(r"[0-9a-f]+", ref):
        matches = [pid for pid in photo_ids if pid.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
    raise PhotoNotFound(
        f"I don't know which photo {reference!r} means; use 'latest' or 'photo 1' to "
        f"'photo {len(photo_ids)}'."
    )
