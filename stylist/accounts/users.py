"""Password accounts: add, check, list, change, remove — and what removing a user takes along.

User names are case-insensitive (kept lower-case): "Ada" and "ada" are one account. A removed
user's chat history (threads, messages, elements, feedback), photo claims and the photos only
they owned go with them; `RemovedUser.thread_ids` lets the caller clear the agent's memory of
those threads too (that store belongs to the agent layer).
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from dataclasses import dataclass, field

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.passwords import hash_password, verify_password
from stylist.accounts.photos import PhotoOwners
from stylist.accounts.schema import (
    accounts,
    api_keys,
    elements,
    feedbacks,
    photo_owners,
    steps,
    threads,
)
from stylist.accounts.schema import users as chainlit_users
from stylist.accounts.timestamps import now_iso
from stylist.images import ImageStore

_NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,63}")


class AccountError(ValueError):
    """An account operation that cannot be done; `str(err)` is a sentence for the person."""


def normalise_name(name: str) -> str:
    """The stored form of a user name; AccountError for names that cannot be one."""
    cleaned = (name or "").strip().lower()
    if not _NAME.fullmatch(cleaned):
        raise AccountError(
            "A user name is 1 to 64 characters: letters, digits and . _ @ + - "
            "(starting with a letter or digit)."
        )
    return cleaned


@dataclass
class Account:
    name: str
    created_at: str
    threads: int = 0


@dataclass
class RemovedUser:
    name: str
    thread_ids: list[str] = field(default_factory=list)
    deleted_photos: list[str] = field(default_factory=list)


class AccountStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _hash_of(self, name: str) -> str | None:
        query = select(accounts.c.password_hash).where(accounts.c.identifier == name)
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).scalar()

    async def exists(self, name: str) -> bool:
        try:
            return await self._hash_of(normalise_name(name)) is not None
        except AccountError:
            return False

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(accounts))).scalar())

    async def add(self, name: str, password: str) -> Account:
        name = normalise_name(name)
        password_hash = await asyncio.to_thread(hash_password, password)  # bcrypt is slow
        if await self._hash_of(name) is not None:
            raise AccountError(f"There is already a user called {name}.")
        created = now_iso()
        async with self.engine.begin() as conn:
            await conn.execute(
                accounts.insert().values(
                    identifier=name, password_hash=password_hash, created_at=created
                )
            )
        return Account(name=name, created_at=created)

    async def verify(self, name: str, password: str) -> str | None:
        """The account's name when `password` is right; None otherwise (no hint which part)."""
        try:
            name = normalise_name(name)
        except AccountError:
            name = ""
        stored = await self._hash_of(name) if name else None
        ok = await asyncio.to_thread(verify_password, password or "", stored)
        return name if ok else None

    async def set_password(self, name: str, password: str) -> None:
        name = normalise_name(name)
        password_hash = await asyncio.to_thread(hash_password, password)
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(accounts)
                .where(accounts.c.identifier == name)
                .values(password_hash=password_hash)
            )
        if result.rowcount == 0:
            raise AccountError(f"There is no user called {name}.")

    async def user_id_of(self, name: str) -> str:
        """The Chainlit users.id that owned data (wardrobe, profile) of account `name` is keyed
        by, for a program acting for that person (`--user`). An account that never signed in
        has no such row yet: it is made now the way Chainlit's data layer makes it (a UUID
        with the account name as identifier), so the chat finds it at the first sign-in."""
        wanted = (name or "").strip()
        async with self.engine.begin() as conn:
            for identifier in dict.fromkeys([wanted, wanted.lower()]):
                found = (
                    await conn.execute(
                        select(chainlit_users.c.id).where(chainlit_users.c.identifier == identifier)
                    )
                ).scalar()
                if found:
                    return str(found)
            try:
                identifier = normalise_name(wanted)
            except AccountError:
                identifier = ""
            has_account = (
                identifier
                and (
                    await conn.execute(
                        select(accounts.c.identifier).where(accounts.c.identifier == identifier)
                    )
                ).scalar()
            )
            if not has_account:
                raise AccountError(
                    f"There is no user called {wanted or '(empty)'}; `stylist users list` shows "
                    "them and `stylist users add NAME` makes one."
                )
            user_id = str(uuid.uuid4())
            await conn.execute(
                chainlit_users.insert().values(
                    id=user_id, identifier=identifier, metadata=json.dumps({}), createdAt=now_iso()
                )
            )
            return user_id

    async def list(self) -> list[Account]:
        """Password accounts and users signed in by a proxy header, with their thread counts."""
        async with self.engine.connect() as conn:
            found = {
                row.identifier: Account(row.identifier, row.created_at)
                for row in await conn.execute(select(accounts.c.identifier, accounts.c.created_at))
            }
            for row in await conn.execute(
                select(chainlit_users.c.identifier, chainlit_users.c.createdAt)
            ):
                found.setdefault(row.identifier, Account(row.identifier, row.createdAt or ""))
            counts = await conn.execute(
                select(threads.c.userIdentifier, func.count()).group_by(threads.c.userIdentifier)
            )
            for identifier, n in counts:
                if identifier in found:
                    found[identifier].threads = int(n)
        return [found[name] for name in sorted(found)]

    async def remove(self, name: str, image_store: ImageStore | None) -> RemovedUser:
        """Delete the user everywhere the app database reaches, and their orphaned photos."""
        name = normalise_name(name)
        async with self.engine.begin() as conn:
            user_ids = [
                row[0]
                for row in await conn.execute(
                    select(chainlit_users.c.id).where(chainlit_users.c.identifier == name)
                )
            ]
            had_account = (
                await conn.execute(delete(accounts).where(accounts.c.identifier == name))
            ).rowcount > 0
            if not had_account and not user_ids:
                raise AccountError(f"There is no user called {name}.")
            mine = or_(threads.c.userIdentifier == name, threads.c.userId.in_(user_ids))
            thread_ids = [row[0] for row in await conn.execute(select(threads.c.id).where(mine))]
            photo_ids = [
                row[0]
                for row in await conn.execute(
                    select(photo_owners.c.image_id).where(photo_owners.c.user_id.in_(user_ids))
                )
            ]
            step_ids = select(steps.c.id).where(steps.c.threadId.in_(thread_ids))
            await conn.execute(
                delete(feedbacks).where(
                    or_(feedbacks.c.threadId.in_(thread_ids), feedbacks.c.forId.in_(step_ids))
                )
            )
            await conn.execute(delete(elements).where(elements.c.threadId.in_(thread_ids)))
            await conn.execute(delete(steps).where(steps.c.threadId.in_(thread_ids)))
            await conn.execute(delete(threads).where(threads.c.id.in_(thread_ids)))
            # A key acting for them would act for no one (or re-create their data): it goes too.
            await conn.execute(delete(api_keys).where(api_keys.c.user_id.in_(user_ids)))
            await conn.execute(delete(chainlit_users).where(chainlit_users.c.id.in_(user_ids)))
        removed = RemovedUser(name=name, thread_ids=thread_ids)
        owners = PhotoOwners(self.engine)
        for user_id in user_ids:
            removed.deleted_photos += await owners.release(user_id, photo_ids, image_store)
        return removed
