"""The app database: which one (SQLite in the data dir, or `STYLIST_DATABASE_URL`) and its engine.

Everything here is async (SQLAlchemy's asyncio extension): Chainlit's data layer is, and so is
the server. The CLI runs its few statements with `asyncio.run`. SQLite goes through aiosqlite,
PostgreSQL through asyncpg; a URL given as plain `postgresql://` gets the asyncpg driver.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from stylist.settings import StyleSettings, get_settings

T = TypeVar("T")


class DatabaseUnavailable(RuntimeError):
    """The app database cannot be opened; `str(err)` says which one and what to check."""


def database_url(settings: StyleSettings | None = None) -> str:
    """The async SQLAlchemy URL of the app database (the secret part stays in the string only)."""
    s = settings or get_settings()
    raw = s.database_url.get_secret_value().strip() if s.database_url else ""
    if not raw:
        path = s.app_database_path.resolve()
        return f"sqlite+aiosqlite:///{path}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseUnavailable(
            "STYLIST_DATABASE_URL is not a database URL; use "
            "postgresql://USER:PASSWORD@HOST:5432/DB or sqlite:///PATH."
        ) from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+asyncpg")
    elif backend == "sqlite":
        url = url.set(drivername="sqlite+aiosqlite")
    else:
        raise DatabaseUnavailable(
            f"Stylist keeps its accounts in SQLite or PostgreSQL, not {backend}; "
            "set STYLIST_DATABASE_URL to a postgresql:// URL or leave it unset."
        )
    return url.render_as_string(hide_password=False)


def describe_database(settings: StyleSettings | None = None) -> str:
    """The database for messages: its URL with the password hidden."""
    return make_url(database_url(settings)).render_as_string(hide_password=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: the chat server reads history while a CLI command writes (and vice versa);
    # foreign keys: deleting a user or a thread takes its rows with it.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str, *, pooled: bool = True) -> AsyncEngine:
    """An async engine for `url` (from `database_url`), with SQLite's pragmas applied.

    `pooled=False`: no connection outlives its statement, for code that runs each call in an
    event loop of its own (`run_sync` from a tool's thread) — a pooled connection belongs to
    the loop that opened it."""
    options = {} if pooled else {"poolclass": NullPool}
    if is_sqlite(url):
        path = make_url(url).database
        if path:
            from pathlib import Path

            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **options)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_pre_ping=pooled, **options)


def run_sync(make_coroutine: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to the end from sync code, even when the caller's thread has a running
    loop (Chainlit imports the app module from inside one): in a thread of its own."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make_coroutine())).result()


async def open_app_database(settings: StyleSettings | None = None) -> AsyncEngine:
    """An engine on the app database, its schema created or upgraded first."""
    from stylist.accounts.schema import migrate

    url = database_url(settings)
    engine = make_engine(url)
    try:
        await migrate(engine)
    except (OSError, SQLAlchemyError) as err:
        await engine.dispose()
        raise DatabaseUnavailable(
            f"I can't open the app database {describe_database(settings)}: "
            f"{_reason(err)}. Check STYLIST_DATABASE_URL and that the server is running."
        ) from None
    except BaseException:
        await engine.dispose()
        raise
    return engine


def prepare_app_database(settings: StyleSettings | None = None) -> None:
    """Create or upgrade the app database's tables now (sync; raises DatabaseUnavailable)."""

    async def prepare() -> None:
        engine = await open_app_database(settings)
        await engine.dispose()

    run_sync(prepare)


def _reason(err: BaseException) -> str:
    original = getattr(err, "orig", None) or err
    text = str(original).strip().splitlines()[0] if str(original).strip() else ""
    return text or type(original).__name__
