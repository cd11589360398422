"""Sign-in for the chat: password accounts of the app database, or a trusted proxy's header.

Both return a `cl.User` or None; None makes Chainlit answer 401 and its login page say the
details were not right — the same for a wrong password and an unknown user, so the page does
not tell which names exist. Passwords are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import chainlit as cl
from chainlit.data import get_data_layer
from chainlit.user import PersistedUser

from stylist.accounts.users import AccountError, AccountStore, normalise_name
from stylist.settings import get_settings

log = logging.getLogger(__name__)

ACCOUNT_GONE = "This account no longer exists. Please log out and sign in with another one."


async def password_login(username: str, password: str) -> cl.User | None:
    layer = get_data_layer()
    name = await AccountStore(layer.engine).verify(username, password)
    if name is None:
        log.info("refused a password login")
        return None
    return cl.User(identifier=name, metadata={"provider": "password"})


async def header_login(headers: Mapping[str, str]) -> cl.User | None:
    """The user a reverse proxy vouches for in settings.header_auth (e.g. X-Forwarded-User)."""
    header = get_settings().header_auth
    value = headers.get(header.lower()) if header else None
    if not value:
        return None
    try:
        name = normalise_name(value)
    except AccountError:
        log.warning("refused a login: the %s header is not a valid user name", header)
        return None
    return cl.User(identifier=name, metadata={"provider": "header"})


def signed_in_user_id() -> str | None:
    """The app database's id of this chat's signed-in user (owned data is keyed by it), or
    None when the chat has no stored account."""
    user = cl.user_session.get("user")
    return str(user.id) if isinstance(user, PersistedUser) else None


def account_is_known() -> bool:
    """Whether this chat's user is a stored one: Chainlit lets a validly signed cookie of a
    removed account through as a bare `User`, and the data layer refuses to recreate it."""
    return isinstance(cl.user_session.get("user"), PersistedUser)
