"""Where profiles live: LangGraph's long-term memory Store, one namespace per user.

SQLite (`profile.sqlite` beside the conversation checkpoints) by default, LangGraph's
PostgreSQL store when settings.database_url names PostgreSQL, so every app process sees the
same profiles. Each fact is one item of the namespace ("profile", user_id), keyed by
`ProfileFact.key`; a store call without a user id cannot be made.

Both stores are synchronous, thread-safe (a lock around one connection) and opened once per
process; async callers go through a thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from langgraph.store.base import BaseStore
from sqlalchemy.engine import make_url

from stylist.process_cache import ReloadingCache
from stylist.profile.model import OPPOSITES, ProfileFact, StyleProfile
from stylist.settings import StyleSettings, get_settings

NAMESPACE = "profile"
PROFILE_FILE = "profile.sqlite"
# A profile is a handful of facts; the bound only keeps a runaway client from growing one.
MAX_FACTS = 200


class ProfileUnavailable(RuntimeError):
    """The profile store cannot be opened; `str(err)` is a sentence."""


def profile_db_path(settings: StyleSettings) -> Path:
    """Beside the conversation checkpoints (the agent's short-term memory)."""
    checkpoints = settings.checkpoint_db or settings.data_dir / "memory" / "checkpoints.sqlite"
    return Path(checkpoints).resolve().with_name(PROFILE_FILE)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class ProfileStore:
    """The profiles of every user, on one LangGraph store."""

    def __init__(self, store: BaseStore) -> None:
        self.store = store

    @staticmethod
    def namespace(user_id: str) -> tuple[str, str]:
        if not user_id:
            raise ValueError("a profile belongs to a user: a user id is required")
        return (NAMESPACE, str(user_id))

    def load(self, user_id: str) -> StyleProfile:
        items = self.store.search(self.namespace(user_id), limit=MAX_FACTS)
        facts = [ProfileFact.model_validate(item.value) for item in items]
        return StyleProfile(facts=sorted(facts, key=lambda f: f.noted_at))

    def remember(self, user_id: str, facts: Iterable[ProfileFact]) -> list[ProfileFact]:
        """Store facts (a fact replaces the one with its key, and its opposite: liking a
        colour ends avoiding it). Returns the facts as stored (with their time)."""
        namespace = self.namespace(user_id)
        stored = []
        for fact in facts:
            fact = fact.model_copy(update={"noted_at": _now()})
            opposite = OPPOSITES.get(fact.kind)
            if opposite:
                self.store.delete(namespace, fact.model_copy(update={"kind": opposite}).key)
            self.store.put(namespace, fact.key, fact.model_dump(mode="json"))
            stored.append(fact)
        return stored

    def forget(self, user_id: str, facts: Iterable[ProfileFact]) -> list[ProfileFact]:
        namespace = self.namespace(user_id)
        removed = []
        for fact in facts:
            self.store.delete(namespace, fact.key)
            removed.append(fact)
        return removed

    def count(self, user_id: str) -> int:
        return len(self.store.search(self.namespace(user_id), limit=MAX_FACTS + 1))

    def forget_all(self, user_id: str) -> int:
        """Delete the user's whole profile; returns how many facts it held."""
        namespace = self.namespace(user_id)
        items = self.store.search(namespace, limit=MAX_FACTS + 1)
        for item in items:
            self.store.delete(namespace, item.key)
        return len(items)


def _open_sqlite(path: Path) -> BaseStore:
    from langgraph.store.sqlite import SqliteStore

    path.parent.mkdir(parents=True, exist_ok=True)
    # One connection shared by threads: the store serialises its use with a lock.
    connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA busy_timeout=5000")
    store = SqliteStore(connection)
    store.setup()
    return store


def _open_postgres(url: str) -> BaseStore:
    from langgraph.store.postgres import PostgresStore
    from psycopg import Connection
    from psycopg.rows import dict_row

    # libpq reads a plain postgresql:// URL (SQLAlchemy's "+asyncpg" driver suffix dropped).
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = Connection.connect(
        conninfo, autocommit=True, prepare_threshold=0, row_factory=dict_row
    )
    store = PostgresStore(connection)
    store.setup()
    return store


_STORES: ReloadingCache[ProfileStore] = ReloadingCache(maxsize=2)


def get_profile_store(settings: StyleSettings | None = None) -> ProfileStore:
    """The process-wide profile store of the configured installation."""
    settings = settings or get_settings()
    postgres = settings.postgres_url
    key = ("postgres", postgres) if postgres else ("sqlite", str(profile_db_path(settings)))

    def open_store() -> ProfileStore:
        try:
            if postgres:
                return ProfileStore(_open_postgres(postgres))
            return ProfileStore(_open_sqlite(profile_db_path(settings)))
        except Exception as err:  # noqa: BLE001 - sqlite3 / psycopg errors alike become a sentence
            where = "the PostgreSQL database" if postgres else str(profile_db_path(settings))
            raise ProfileUnavailable(
                f"I can't open the style profiles in {where}: {err}".rstrip(".") + "."
            ) from None

    return _STORES.get(key, open_store)
