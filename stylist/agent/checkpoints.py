"""Conversation memory: in memory by default, a SQLite file when settings.checkpoint_db is set.

AsyncSqliteSaver's connection belongs to the event loop that opened it, so the SQLite saver is
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


class CheckpointStore:
    """Hands out the checkpointer for the current event loop."""

    def __init__(self, db_path: Path | None) -> None:
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
        if saver is None:
            import aiosqlite
            from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

            self.db_path.parent.mkdir(parents=True, exist_ok=True)
            saver = AsyncSqliteSaver(aiosqlite.connect(str(self.db_path)))
            await saver.setup()
            self._per_loop[loop] = saver
        return saver

    async def aclose(self) -> None:
        """Close the current loop's SQLite connection, if one was opened."""
        if self._memory is not None:
            return
        with contextlib.suppress(RuntimeError):
            loop = asyncio.get_running_loop()
            saver = self._per_loop.pop(loop, None)
            if saver is not None:
                await saver.conn.close()
