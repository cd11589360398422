"""Forget a person: delete what every store keeps of them, and count it before and after.

Each store is one `ForgetStep` (count + delete) over the person's `Footprint` — their app
database ids, their chat threads and the photos only they sent — gathered once before anything
is deleted (afterwards the app database can no longer say which threads were theirs):

    app database         accounts, Chainlit's user row, threads, steps, elements, feedback,
                         photo ownership (`AccountStore.remove`)
    conversation memory  the agent's checkpoints of their threads
    style profile        the ("profile", user_id) namespace of the long-term memory store
    photos               image-store files nobody else sent (content-addressed: a photo two
                         people sent stays for the other)
    wardrobe             their items' rows and their owner-scoped vectors in Chroma

`forget_user` runs every step and returns the counts before and after (after is all zeros on
success). The CLI door is `stylist users forget NAME`; the chat asks to confirm first
(`stylist.tools.profile_tools.forget_me`, `StylistSession` runs this on the person's "yes").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.database import open_app_database
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
from stylist.accounts.users import AccountError, AccountStore, normalise_name
from stylist.agent.checkpoints import CheckpointStore
from stylist.images import get_image_store
from stylist.profile import get_profile_store
from stylist.settings import StyleSettings, get_settings
from stylist.wardrobe import count_user_wardrobe, forget_user_wardrobe


@dataclass
class Footprint:
    """Who the person is in each store, found before anything is deleted."""

    name: str  # the account name (users.identifier)
    user_ids: list[str]  # Chainlit users.id: what owned data (profile, photos) is keyed by
    thread_ids: list[str]
    photo_ids: list[str]  # photos they sent that nobody else did


@dataclass
class ForgetContext:
    settings: StyleSettings
    engine: AsyncEngine
    checkpoints: CheckpointStore
    footprint: Footprint


@dataclass(frozen=True)
class ForgetStep:
    store: str  # how the store is named to people
    count: Callable[[ForgetContext], Awaitable[int]]
    delete: Callable[[ForgetContext], Awaitable[None]]


@dataclass
class ForgetReport:
    name: str
    threads: int = 0  # their chats
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return not any(self.after.values())


# --- the footprint --------------------------------------------------------------------------
async def find_footprint(
    engine: AsyncEngine, *, name: str | None = None, user_id: str | None = None
) -> Footprint:
    """The person named (account name) or identified (users.id); AccountError if unknown."""
    async with engine.connect() as conn:
        if name is None:
            if not user_id:
                raise AccountError("Say whom to forget.")
            name = (
                await conn.execute(
                    select(chainlit_users.c.identifier).where(chainlit_users.c.id == user_id)
                )
            ).scalar()
            if name is None:
                raise AccountError("There is no such user.")
        name = normalise_name(name)
        user_ids = [
            row[0]
            for row in await conn.execute(
                select(chainlit_users.c.id).where(chainlit_users.c.identifier == name)
            )
        ]
        has_account = (
            await conn.execute(select(accounts.c.identifier).where(accounts.c.identifier == name))
        ).first() is not None
        if not has_account and not user_ids:
            raise AccountError(f"There is no user called {name}.")
        mine = or_(threads.c.userIdentifier == name, threads.c.userId.in_(user_ids))
        thread_ids = [row[0] for row in await conn.execute(select(threads.c.id).where(mine))]
        sent = select(photo_owners.c.image_id).where(photo_owners.c.user_id.in_(user_ids))
        others = select(photo_owners.c.image_id).where(photo_owners.c.user_id.not_in(user_ids))
        theirs = {row[0] for row in await conn.execute(sent)}
        shared = {row[0] for row in await conn.execute(others)}
    return Footprint(name, user_ids, thread_ids, sorted(theirs - shared))


# --- the steps ------------------------------------------------------------------------------
async def _count_rows(ctx: ForgetContext) -> int:
    fp = ctx.footprint
    step_ids = select(steps.c.id).where(steps.c.threadId.in_(fp.thread_ids))
    queries = [
        select(func.count()).select_from(accounts).where(accounts.c.identifier == fp.name),
        select(func.count())
        .select_from(chainlit_users)
        .where(or_(chainlit_users.c.identifier == fp.name, chainlit_users.c.id.in_(fp.user_ids))),
        select(func.count()).select_from(threads).where(threads.c.id.in_(fp.thread_ids)),
        select(func.count()).select_from(steps).where(steps.c.threadId.in_(fp.thread_ids)),
        select(func.count()).select_from(elements).where(elements.c.threadId.in_(fp.thread_ids)),
        select(func.count())
        .select_from(feedbacks)
        .where(or_(feedbacks.c.threadId.in_(fp.thread_ids), feedbacks.c.forId.in_(step_ids))),
        select(func.count())
        .select_from(photo_owners)
        .where(photo_owners.c.user_id.in_(fp.user_ids)),
        # API keys acting for them (`stylist api-keys create --user`) are theirs too.
        select(func.count()).select_from(api_keys).where(api_keys.c.user_id.in_(fp.user_ids)),
    ]
    async with ctx.engine.connect() as conn:
        return sum([int((await conn.execute(q)).scalar() or 0) for q in queries])


async def _delete_rows(ctx: ForgetContext) -> None:
    try:
        # Files are the photos step's job (it knows which ones nobody else sent).
        await AccountStore(ctx.engine).remove(ctx.footprint.name, image_store=None)
    except AccountError:
        pass  # nothing left in the app database (a second run after a partial one)


async def _count_checkpoints(ctx: ForgetContext) -> int:
    if not ctx.footprint.thread_ids:
        return 0  # no connection opened for nothing
    saver = await ctx.checkpoints.saver()
    total = 0
    for thread_id in ctx.footprint.thread_ids:
        async for _ in saver.alist({"configurable": {"thread_id": thread_id}}):
            total += 1
    return total


async def _delete_checkpoints(ctx: ForgetContext) -> None:
    if not ctx.footprint.thread_ids:
        return
    saver = await ctx.checkpoints.saver()
    for thread_id in ctx.footprint.thread_ids:
        await saver.adelete_thread(thread_id)


async def _count_profile(ctx: ForgetContext) -> int:
    store = get_profile_store(ctx.settings)
    return sum([await asyncio.to_thread(store.count, uid) for uid in ctx.footprint.user_ids])


async def _delete_profile(ctx: ForgetContext) -> None:
    store = get_profile_store(ctx.settings)
    for user_id in ctx.footprint.user_ids:
        await asyncio.to_thread(store.forget_all, user_id)


def _photo_files(ctx: ForgetContext) -> list:
    store = get_image_store()
    return [p for p in (store.path(i) for i in ctx.footprint.photo_ids) if p.is_file()]


async def _count_photos(ctx: ForgetContext) -> int:
    return len(await asyncio.to_thread(_photo_files, ctx))


async def _delete_photos(ctx: ForgetContext) -> None:
    for path in await asyncio.to_thread(_photo_files, ctx):
        path.unlink(missing_ok=True)


async def _count_wardrobe(ctx: ForgetContext) -> int:
    counts = [
        await asyncio.to_thread(count_user_wardrobe, ctx.settings, uid)
        for uid in ctx.footprint.user_ids
    ]
    return sum(sum(c.values()) for c in counts)


async def _delete_wardrobe(ctx: ForgetContext) -> None:
    for user_id in ctx.footprint.user_ids:
        await asyncio.to_thread(forget_user_wardrobe, ctx.settings, user_id)


FORGET_STEPS: list[ForgetStep] = [
    # The wardrobe first: its rows and vectors are found by the user ids, which the app
    # database step removes.
    ForgetStep("wardrobe", _count_wardrobe, _delete_wardrobe),
    ForgetStep("app database", _count_rows, _delete_rows),
    ForgetStep("conversation memory", _count_checkpoints, _delete_checkpoints),
    ForgetStep("style profile", _count_profile, _delete_profile),
    ForgetStep("image store", _count_photos, _delete_photos),
]


async def count_user_data(ctx: ForgetContext) -> dict[str, int]:
    return {step.store: await step.count(ctx) for step in FORGET_STEPS}


async def forget_user(
    settings: StyleSettings | None = None,
    *,
    name: str | None = None,
    user_id: str | None = None,
    checkpoints: CheckpointStore | None = None,
) -> ForgetReport:
    """Delete the person from every store; the counts per store before and after.

    `checkpoints` is the running agent's conversation memory (a chat passes its own, so the
    saver of its event loop is used); without it one is opened on the settings and closed."""
    settings = settings or get_settings()
    own_checkpoints = checkpoints is None
    if checkpoints is None:
        db = settings.checkpoint_db.resolve() if settings.checkpoint_db else None
        checkpoints = CheckpointStore(db)
    engine = await open_app_database(settings)
    try:
        footprint = await find_footprint(engine, name=name, user_id=user_id)
        ctx = ForgetContext(settings, engine, checkpoints, footprint)
        report = ForgetReport(
            footprint.name, len(footprint.thread_ids), before=await count_user_data(ctx)
        )
        for step in FORGET_STEPS:
            await step.delete(ctx)
        report.after = await count_user_data(ctx)
        return report
    finally:
        await engine.dispose()
        if own_checkpoints:
            await checkpoints.aclose()
