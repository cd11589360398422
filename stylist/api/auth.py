"""Who is calling: an API key sent as a bearer token, checked against the app database.

`Authorization: Bearer stylist_<id>_<secret>` (keys from `stylist api-keys create`). A request
without a token is anonymous — allowed unless `STYLIST_API_REQUIRE_KEY=true` — and is rate
limited per client address; a request with a token that is unknown or revoked is refused (401)
rather than served anonymously, so a typo never hides. A verified token is remembered for a
few seconds (so a busy client costs no database read per request): a revoked key stops working
within `VERIFIED_TOKENS_KEPT_S`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from stylist.api.problems import Problem
from stylist.api.rate_limit import RateLimiter, retry_after_header
from stylist.settings import StyleSettings

VERIFIED_TOKENS_KEPT_S = 5.0
_MAX_REMEMBERED = 4096


@dataclass(frozen=True)
class Caller:
    key_id: str | None  # None: anonymous
    name: str
    user_id: str | None = None  # whose wardrobe the key acts for (`--user`); None: no one's

    @property
    def bucket(self) -> str:
        return f"key:{self.key_id}" if self.key_id else f"address:{self.name}"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Gatekeeper:
    """Authenticates and rate limits every request of the v1 routes (a FastAPI dependency)."""

    def __init__(self, settings: Callable[[], StyleSettings]) -> None:
        self._settings = settings
        first = settings()
        self.limiter = RateLimiter(first.api_rate_per_minute, first.api_rate_burst)
        self._engine = None
        self._engine_lock = asyncio.Lock()
        self._verified: dict[str, tuple[float, Caller | None]] = {}

    async def __call__(self, request: Request) -> Caller:
        token = bearer_token(request)
        if token is not None:
            caller = await self._verify(token)
            if caller is None:
                raise Problem(
                    401,
                    "That API key is not valid (unknown or revoked); `stylist api-keys list` "
                    "shows the active keys.",
                    {"WWW-Authenticate": 'Bearer error="invalid_token"'},
                )
        elif self._settings().api_require_key:
            raise Problem(
                401,
                "This API needs a key: send `Authorization: Bearer <token>`; "
                "`stylist api-keys create NAME` makes one.",
                {"WWW-Authenticate": "Bearer"},
            )
        else:
            caller = Caller(None, request.client.host if request.client else "unknown")
        wait = self.limiter.take(caller.bucket)
        if wait > 0:
            who = f"API key {caller.key_id}" if caller.key_id else "this client"
            raise Problem(
                429,
                f"Too many requests from {who}; please retry in {retry_after_header(wait)} s.",
                {"Retry-After": retry_after_header(wait)},
            )
        request.state.caller = caller
        return caller

    async def _verify(self, token: str) -> Caller | None:
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        now = time.monotonic()
        remembered = self._verified.get(digest)
        if remembered and now - remembered[0] < VERIFIED_TOKENS_KEPT_S:
            return remembered[1]
        from stylist.accounts.api_keys import ApiKeyStore

        key = await ApiKeyStore(await self._database()).verify(token)
        caller = Caller(key.key_id, key.name, key.user_id) if key else None
        if len(self._verified) >= _MAX_REMEMBERED:
            self._verified.clear()
        self._verified[digest] = (now, caller)
        return caller

    async def _database(self):
        from stylist.accounts.database import DatabaseUnavailable, open_app_database

        async with self._engine_lock:
            if self._engine is None:
                try:
                    self._engine = await open_app_database(self._settings())
                except DatabaseUnavailable as err:
                    raise Problem(503, str(err)) from None
            return self._engine

    async def aclose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
