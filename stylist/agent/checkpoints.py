"""Conversation memory: a SQLite file (settings.checkpoint_db, in the data dir by default), the
LangGraph PostgreSQL checkpointer when settings.database_url is PostgreSQL (so that several app
processes share every thread's memory), or in memory for a `CheckpointStore(None)`.

The savers' connections belong to the event loop that opened them, so a saver is
opened per loop (Chainlit and `stylist chat` run one loop for their lifetime; the sync
`run_turn` wrapper runs a short-lived loop and closes its saver at the end).
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from pathlib import Path

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

# Two app processes starting at once must not both create the checkpointer's tables.
_SETUP_LOCK_KEY = 7_311_042


def postgres_conninfo(url: str) -> str:
    """A SQLAlchemy-style PostgreSQL URL (postgresql+asyncpg://...) as libpq reads it."""
    scheme, _, rest = url.partition("://")
    return f"postgresql://{rest}" if scheme.startswith("postgres") else url


class CheckpointStore:
    """Hands out the checkpointer for the current event loop."""

    def __init__(self, db_path: Path | None, postgres_url: str | None = None) -> None:
        if postgres_url is None and db_path is not None:
            from stylist.settings import get_settings

            postgres_url = get_settings().postgres_url
        self.postgres_url = postgres_url if db_path is not None else None
        self.db_path = Path(db_path) if db_path else None
        self._memory = InMemorySaver() if self.db_path is None else None
        self._per_loop: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, BaseCheckpointSaver
        ] = weakref.WeakKeyDictionary()

    @property
    def persistent(self) -> bool:
        return self.db_path is not None

    async def saver(self) -> BaseCheckpointSaver:
        if self._memory is not None:
            return self._memory
        loop = asyncio.get_running_loop()
        saver = self._per_loop.get(loop)
        if saver is None and self.postgres_url:
            saver = await self._open_postgres()
            self._per_loop[loop] = saver
        elif saver is None:
            import aiosqlite
            from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            connection = aiosqlite.connect(str(self.db_path))
            # aiosqlite runs each connection in a worker thread that is not a daemon: a saver
            # left open by a loop that ended (a finished request, a test) would keep the process
            # from exiting. Every checkpoint write is committed when it is made, so letting the
            # process end with the thread idle loses nothing.
            connection._thread.daemon = True
            saver = AsyncSqliteSaver(connection)
            await saver.setup()
            self._per_loop[loop] = saver
        return saver

    async def _open_postgres(self) -> BaseCheckpointSaver:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import AsyncConnection
        from psycopg.rows import dict_row

        # The settings LangGraph's PostgreSQL saver documents for a connection of its own.
        conn = await AsyncConnection.connect(
            postgres_conninfo(self.postgres_url),
            autocommit=True,
            prepare_threshold=0,
            row_factory=dict_row,
        )
        saver = AsyncPostgresSaver(conn)
        await conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK_KEY,))
        try:
            await saver.setup()
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))
        return saver

    async def aclose(self) -> None:
        """Close the current loop's database connection, if one was opened."""
        if self._memory is not None:
            return
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            saver = self._per_loop.pop(loop, None)
            if saver is not None:
                await saver.conn.close()
