"""The app database's tables, and the migrations that create or upgrade them.

Chainlit's SQLAlchemy data layer writes five tables it does not create (users, threads, steps,
elements, feedbacks: the schema in Chainlit's docs). They are declared here once, with types
that SQLite and PostgreSQL both take: ids and timestamps as text (Chainlit writes ISO strings
and UUID strings), JSON as text (Chainlit serialises it itself), tags as JSON text (the data
layer in `stylist.ui.history` converts lists). No foreign keys: Chainlit writes elements and
steps from concurrent tasks, sometimes before their thread row; deletions are explicit.

`migrate(engine)` brings any database to the current version: an empty one (a fresh install, or
a data dir from a release before accounts existed) gets every table; a newer-than-known one is
refused with a sentence. Each migration runs in one transaction, and on PostgreSQL under an
advisory lock, so two app processes starting together migrate once.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    inspect,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

SCHEMA_VERSION = 4
_MIGRATION_LOCK_KEY = 7_311_041

metadata = MetaData()

# --- Chainlit's chat history (column names exactly as Chainlit's SQL spells them) -------------
users = Table(
    "users",
    metadata,
    Column("id", Text, primary_key=True),
    Column("identifier", Text, nullable=False, unique=True),
    Column("metadata", Text, nullable=False),
    Column("createdAt", Text),
)

threads = Table(
    "threads",
    metadata,
    Column("id", Text, primary_key=True),
    Column("createdAt", Text),
    Column("name", Text),
    Column("userId", Text),
    Column("userIdentifier", Text),
    Column("tags", Text),
    Column("metadata", Text),
    Index("ix_threads_user", "userId"),
)

steps = Table(
    "steps",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("type", Text, nullable=False),
    Column("threadId", Text, nullable=False),
    Column("parentId", Text),
    Column("streaming", Boolean, nullable=False),
    Column("waitForAnswer", Boolean),
    Column("isError", Boolean),
    Column("metadata", Text),
    Column("tags", Text),
    Column("input", Text),
    Column("output", Text),
    Column("createdAt", Text),
    Column("command", Text),
    Column("modes", Text),
    Column("start", Text),
    Column("end", Text),
    Column("generation", Text),
    Column("showInput", Text),
    Column("language", Text),
    Column("indent", Integer),
    Column("defaultOpen", Boolean),
    Column("autoCollapse", Boolean),
    Index("ix_steps_thread", "threadId"),
)

elements = Table(
    "elements",
    metadata,
    Column("id", Text, primary_key=True),
    Column("threadId", Text),
    Column("type", Text),
    Column("url", Text),
    Column("chainlitKey", Text),
    Column("name", Text, nullable=False),
    Column("display", Text),
    Column("objectKey", Text),
    Column("size", Text),
    Column("page", Integer),
    Column("language", Text),
    Column("forId", Text),
    Column("mime", Text),
    Column("props", Text),
    Column("autoPlay", Boolean),
    Column("playerConfig", Text),
    Index("ix_elements_thread", "threadId"),
)

feedbacks = Table(
    "feedbacks",
    metadata,
    Column("id", Text, primary_key=True),
    Column("forId", Text, nullable=False),
    Column("threadId", Text),
    Column("value", Integer, nullable=False),
    Column("comment", Text),
    Index("ix_feedbacks_step", "forId"),
)

# --- Stylist's own ------------------------------------------------------------------------
# Password accounts, apart from Chainlit's users table: its metadata goes to the browser.
accounts = Table(
    "stylist_accounts",
    metadata,
    Column("identifier", Text, primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

# Who may see a stored photo (the image store is content-addressed and shared: the same bytes
# sent by two people are one file with two owners).
photo_owners = Table(
    "stylist_photo_owners",
    metadata,
    Column("user_id", Text, nullable=False),
    Column("image_id", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    PrimaryKeyConstraint("user_id", "image_id"),
    Index("ix_photo_owners_image", "image_id"),
)

# API keys of programs (`stylist api-keys create`): only the sha256 of each token is kept; the
# token itself is shown once, when it is made. Version 2; version 4 adds `user_id`: the
# Chainlit users.id a key acts for (its wardrobe), NULL for a key of the catalog routes only.
api_keys = Table(
    "stylist_api_keys",
    metadata,
    Column("key_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("token_sha256", Text, nullable=False, unique=True),
    Column("created_at", Text, nullable=False),
    Column("revoked_at", Text),
    Column("user_id", Text),
)

# A user's own garments (`stylist.wardrobe`): one row per item with its current attributes
# (JSON: attribute -> label), which of them the person corrected, and the photos showing it.
# Every query on these tables names the owner. Version 3.
wardrobe_items = Table(
    "stylist_wardrobe_items",
    metadata,
    Column("item_id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("attributes", Text, nullable=False),
    Column("corrected", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Index("ix_wardrobe_items_user", "user_id"),
)

wardrobe_photos = Table(
    "stylist_wardrobe_photos",
    metadata,
    Column("item_id", Integer, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("image_id", Text, nullable=False),
    Column("added_at", Text, nullable=False),
    PrimaryKeyConstraint("item_id", "image_id"),
    Index("ix_wardrobe_photos_user", "user_id"),
)

schema_version = Table(
    "stylist_schema",
    metadata,
    Column("version", Integer, nullable=False),
)

# version -> what it adds. Version 1 is the first release with accounts: every table above.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {
    1: lambda conn: metadata.create_all(conn, checkfirst=True),
    2: lambda conn: api_keys.create(conn, checkfirst=True),
    3: lambda conn: (
        wardrobe_items.create(conn, checkfirst=True),
        wardrobe_photos.create(conn, checkfirst=True),
    ),
    4: lambda conn: _add_column(conn, api_keys, api_keys.c.user_id),
}


def _add_column(conn: Connection, table: Table, column: Column) -> None:
    """ALTER TABLE ... ADD COLUMN, in the dialect's own type name; nothing when a fresh database
    already got the column from version 1's create_all."""
    if column.name in {c["name"] for c in inspect(conn).get_columns(table.name)}:
        return
    preparer = conn.dialect.identifier_preparer
    kind = column.type.compile(dialect=conn.dialect)
    conn.execute(
        text(
            f"ALTER TABLE {preparer.format_table(table)} "
            f"ADD COLUMN {preparer.format_column(column)} {kind}"
        )
    )


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Stylist; `str(err)` says what to do."""


def _current_version(conn: Connection) -> int:
    if not inspect(conn).has_table(schema_version.name):
        return 0
    version = conn.execute(select(schema_version.c.version)).scalar()
    return int(version or 0)


def _migrate(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
    current = _current_version(conn)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"The app database is at schema version {current}, made by a newer Stylist than "
            f"this one (which knows version {SCHEMA_VERSION}); upgrade Stylist to use it."
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        MIGRATIONS[version](conn)
    if current < SCHEMA_VERSION:
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
    return current


async def migrate(engine: AsyncEngine) -> int:
    """Create or upgrade the tables; returns the version the database was at before."""
    async with engine.begin() as conn:
        return await conn.run_sync(_migrate)
