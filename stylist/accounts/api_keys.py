"""API keys for programs that call the HTTP API: create, list, revoke, check a bearer token.

A token is `stylist_<key id>_<32 random bytes, url-safe>`: shown once when it is created, and
only its sha256 is stored (the token has 256 random bits, so a plain hash is enough — no
password stretching is needed to stop guessing). The key id inside the token is public: it
names the key in `stylist api-keys list|revoke` and in rate-limit and log lines.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.schema import api_keys
from stylist.accounts.timestamps import now_iso

TOKEN_PREFIX = "stylist_"
_TOKEN = re.compile(r"stylist_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._@+-]{0,63}")


class ApiKeyError(ValueError):
    """An API key operation that cannot be done; `str(err)` is a sentence."""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    created_at: str
    revoked_at: str | None = None
    user_id: str | None = None  # the Chainlit users.id it acts for; None: no one's data

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    token: str  # the only time the token exists outside the caller's hands


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _row_key(row) -> ApiKey:
    return ApiKey(row.key_id, row.name, row.created_at, row.revoked_at, row.user_id)


class ApiKeyStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def create(self, name: str, user_id: str | None = None) -> NewApiKey:
        """A new key; with `user_id` (from `AccountStore.user_id_of`) it acts for that user."""
        name = " ".join((name or "").split())
        if not _NAME.fullmatch(name):
            raise ApiKeyError(
                "An API key's name is 1 to 64 characters: letters, digits, spaces and . _ @ + - "
                "(say which program uses it, e.g. 'shop-backend')."
            )
        for _ in range(5):  # a key id collision (8 hex digits) is rare; try another
            key_id = secrets.token_hex(4)
            token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
            key = ApiKey(key_id, name, now_iso(), user_id=user_id)
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        api_keys.insert().values(
                            key_id=key.key_id,
                            name=key.name,
                            token_sha256=token_hash(token),
                            created_at=key.created_at,
                            user_id=key.user_id,
                        )
                    )
            except IntegrityError:
                continue
            return NewApiKey(key, token)
        raise ApiKeyError("I could not make a new key id; please try again.")

    async def list(self) -> list[ApiKey]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(api_keys).order_by(api_keys.c.created_at))
            return [_row_key(row) for row in rows]

    async def revoke(self, key_id: str) -> ApiKey:
        key_id = (key_id or "").strip().lower()
        async with self.engine.begin() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.key_id == key_id))).first()
            if row is None:
                raise ApiKeyError(
                    f"There is no API key {key_id!r}; `stylist api-keys list` shows them."
                )
            if row.revoked_at is None:
                await conn.execute(
                    update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=now_iso())
                )
        return (await self.find(key_id)) or _row_key(row)

    async def find(self, key_id: str) -> ApiKey | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(api_keys).where(api_keys.c.key_id == key_id))).first()
        return _row_key(row) if row else None

    async def verify(self, token: str) -> ApiKey | None:
        """The active key this bearer token belongs to, or None (unknown, malformed, revoked)."""
        match = _TOKEN.fullmatch((token or "").strip())
        if not match:
            return None
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(api_keys).where(api_keys.c.key_id == match.group(1)))
            ).first()
        if row is None or row.revoked_at is not None:
            return None
        # Constant-time comparison of the hashes: the key id narrowed the lookup, the hash decides.
        if not hmac.compare_digest(row.token_sha256, token_hash(token.strip())):
            return None
        return _row_key(row)
