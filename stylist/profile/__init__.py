"""The style profile: what a signed-in person told the stylist about themselves (sizes,
colours they love or never wear, budget, usual occasions, style words), kept across chats.

Layer: beside accounts / language / vectorstore; imports settings, process_cache, wording and
stylist.language (to read facts from what people say). The tools apply it as the default layer
under a chat's constraints; forgetting a user deletes their namespace here.
"""

from stylist.profile.model import FactKind, ProfileFact, StyleProfile
from stylist.profile.reading import ProfileReader, ProfileRequest, is_confirmation, profile_reader
from stylist.profile.store import ProfileStore, ProfileUnavailable, get_profile_store

__all__ = [
    "FactKind",
    "ProfileFact",
    "ProfileReader",
    "ProfileRequest",
    "ProfileStore",
    "ProfileUnavailable",
    "StyleProfile",
    "get_profile_store",
    "is_confirmation",
    "profile_reader",
]
