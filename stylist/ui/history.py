"""Chat history for the Chainlit app: its SQLAlchemy data layer on the app database, and a
storage client that keeps uploaded photos in the project's image store.

`StylistDataLayer` is Chainlit's `SQLAlchemyDataLayer` with what this app needs on top:
- the tables come from `stylist.accounts.schema` (Chainlit does not create them), and one schema
  serves SQLite and PostgreSQL: lists and dicts are written as JSON text and tags read back;
- API keys never reach the database: thread metadata (the chat's settings and user session,
  which Chainlit saves on disconnect) loses every `api_key` before it is written;
- a thread without text gets a readable title, and a missing thread is "not found", not a 500;
- deleting a thread also deletes the agent's memory of it and the photos no other thread of
  the user shows.

`ImageStoreStorage` is the storage provider Chainlit needs to persist elements (without one
it silently drops them, chainlit#1576): photos go into the content-addressed `ImageStore` and
are recorded as their uploader's; the URL it hands out is the owner-checked photo route
(`stylist.ui.access`). Custom elements (tags, product cards, outfits) need no file: the data
layer keeps their props in the elements table.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from chainlit.context import ChainlitContextException, context
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.storage_clients.base import BaseStorageClient
from chainlit.logger import logger as chainlit_logger
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from stylist.accounts.database import database_url, make_engine
from stylist.accounts.photos import PhotoOwners
from stylist.accounts.users import AccountStore
from stylist.images import ImageRejected, ImageStore, get_image_store
from stylist.settings import StyleSettings, get_settings
from stylist.ui.artifacts import photo_url

log = logging.getLogger(__name__)

SECRET_KEYS = frozenset({"api_key"})
UNTITLED = "Photo chat"
TITLE_LENGTH = 60
_JSON_LIST_KEYS = frozenset({"tags", "thread_tags", "step_tags"})


def without_secrets(value: Any) -> Any:
    """`value` with every `api_key` entry removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items() if k not in SECRET_KEYS}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


def thread_title(text: str | None) -> str:
    """The sidebar title for a thread that starts with `text` (a photo alone has none)."""
    words = " ".join((text or "").split())
    if not words:
        return UNTITLED
    if len(words) <= TITLE_LENGTH:
        return words
    return words[:TITLE_LENGTH].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def uploader_id(object_key: str) -> str | None:
    """The users.id of who sent a file: the chat session's user, else the object key's prefix.

    Chainlit names objects "<thread owner's id>/<element id>/<file name>", but a photo sent with
    a chat's first message is stored while the thread row is still being written (its owner
    then reads "unknown"); the session that uploads it knows its user all along.
    """
    try:
        session_user = getattr(context.session, "user", None)
    except ChainlitContextException:  # called outside a chat session
        session_user = None
    user_id = getattr(session_user, "id", None)
    if user_id:
        return str(user_id)
    prefix = object_key.split("/", 1)[0]
    return prefix if prefix and prefix != "unknown" else None


class ImageStoreStorage(BaseStorageClient):
    """Chainlit's element files, for photos: the image store plus who uploaded each one."""

    def __init__(self, store: ImageStore, owners: PhotoOwners) -> None:
        self.store = store
        self.owners = owners

    async def upload_file(
        self,
        object_key: str,
        data: bytes | str,
        mime: str = "application/octet-stream",
        overwrite: bool = True,
        content_disposition: str | None = None,
    ) -> dict[str, Any]:
        if not (mime or "").startswith("image/") or isinstance(data, str):
            return {"object_key": None, "url": None}  # custom elements: props are in the row
        try:
            image_id = await asyncio.to_thread(self.store.put, data)
        except ImageRejected:  # the chat already told the person why
            return {"object_key": None, "url": None}
        user_id = uploader_id(object_key)
        if user_id:
            await self.owners.record(user_id, image_id)
        return {"object_key": image_id, "url": photo_url(image_id)}

    async def get_read_url(self, object_key: str) -> str:
        return photo_url(object_key)

    async def delete_file(self, object_key: str) -> bool:
        # Photos are shared by content; StylistDataLayer.delete_thread releases them once no
        # thread of their owner shows them any more.
        return True

    async def close(self) -> None:
        return None


REMOVED_ACCOUNT_SESSION = "refused a session of a removed account"


class RemovedAccount(LookupError):
    """`create_user` refusing to bring back a removed password account (a validly signed
    cookie of it is still in some browser). The chat then says `ACCOUNT_GONE`."""


class _RemovedAccountRecords(logging.Filter):
    """Chainlit logs whatever `create_user` raises with its traceback (`logger.exception`);
    a refused removed account is no fault, so its record becomes one plain line."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, RemovedAccount):
            record.msg, record.args = REMOVED_ACCOUNT_SESSION, ()
            record.exc_info, record.exc_text, record.stack_info = None, None, None
            record.levelno, record.levelname = logging.INFO, logging.getLevelName(logging.INFO)
        return True


def quiet_removed_account_records() -> None:
    """Install the filter on Chainlit's logger (once)."""
    if not any(isinstance(f, _RemovedAccountRecords) for f in chainlit_logger.filters):
        chainlit_logger.addFilter(_RemovedAccountRecords())


class StylistDataLayer(SQLAlchemyDataLayer):
    def __init__(self, settings: StyleSettings | None = None) -> None:
        url = database_url(settings)
        # Our engine: SQLite gets WAL and a busy timeout (the CLI writes while the app runs).
        engine = make_engine(url)
        self.photo_owners = PhotoOwners(engine)
        storage = ImageStoreStorage(get_image_store(), self.photo_owners)
        super().__init__(conninfo=url, storage_provider=storage)
        self.engine: AsyncEngine = engine  # instead of the one Chainlit made (never connected)
        self.async_session = sessionmaker(
            bind=self.engine, expire_on_commit=False, class_=AsyncSession
        )
        # Threads of people who had themselves forgotten in this process: Chainlit still
        # writes a chat's closing steps and session metadata; none of it may bring them back.
        self.forgotten_threads: set[str] = set()

    def stop_writing(self, thread_id: str | None) -> None:
        if thread_id:
            self.forgotten_threads.add(thread_id)

    def _forgotten(self, thread_id: str | None) -> bool:
        return bool(thread_id) and thread_id in self.forgotten_threads

    # --- users ---------------------------------------------------------------------------
    async def create_user(self, user):
        # Chainlit re-creates the user of any validly signed cookie it meets; a password
        # account removed with `stylist users remove` must stay removed, cookie or not.
        # Chainlit asserts that it gets a user back, so the refusal is an exception (logged
        # by Chainlit as one line: `quiet_removed_account_records`); the session goes on as
        # an unknown user and the chat says the account no longer exists.
        provider = (user.metadata or {}).get("provider")
        if provider == "password" and not await AccountStore(self.engine).exists(user.identifier):
            raise RemovedAccount(REMOVED_ACCOUNT_SESSION)
        return await super().create_user(user)

    # --- one schema for both databases -----------------------------------------------------
    async def execute_sql(self, query: str, parameters: dict):
        adapted = {
            k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in parameters.items()
        }
        return await super().execute_sql(query, adapted)

    def clean_result(self, obj):
        cleaned = super().clean_result(obj)
        if isinstance(cleaned, dict):
            for key in _JSON_LIST_KEYS & cleaned.keys():
                value = cleaned[key]
                if isinstance(value, str) and value.startswith("["):
                    try:
                        cleaned[key] = json.loads(value)
                    except json.JSONDecodeError:
                        pass
        return cleaned

    async def get_all_user_threads(self, user_id=None, thread_id=None):
        found = await super().get_all_user_threads(user_id=user_id, thread_id=thread_id)
        # Custom elements (tags, product cards, outfits) render from their props: the browser
        # needs them as an object, and the elements table keeps them as JSON text.
        for thread in found or []:
            for element in thread.get("elements") or []:
                props = element.get("props")
                if isinstance(props, str):
                    try:
                        element["props"] = json.loads(props) if props else {}
                    except json.JSONDecodeError:
                        element["props"] = {}
        return found

    # --- threads ---------------------------------------------------------------------------
    async def thread_of_step(self, step_id: str) -> str | None:
        rows = await self.execute_sql(
            'SELECT "threadId" FROM steps WHERE "id" = :id', {"id": step_id}
        )
        return rows[0]["threadId"] if isinstance(rows, list) and rows else None

    async def thread_of_feedback(self, feedback_id: str) -> str | None:
        rows = await self.execute_sql(
            'SELECT s."threadId" FROM feedbacks f JOIN steps s ON s."id" = f."forId" '
            'WHERE f."id" = :id',
            {"id": feedback_id},
        )
        return rows[0]["threadId"] if isinstance(rows, list) and rows else None

    async def get_thread_author(self, thread_id: str) -> str:
        rows = await self.execute_sql(
            'SELECT "userIdentifier" FROM threads WHERE "id" = :id', {"id": thread_id}
        )
        # "" makes Chainlit's is_thread_author answer 404 "Thread not found" (not a 500).
        return (rows[0].get("userIdentifier") or "") if isinstance(rows, list) and rows else ""

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict | None = None,
        tags: list[str] | None = None,
    ):
        if self._forgotten(thread_id):
            return None
        if name is not None:
            name = thread_title(name)
        if metadata is not None:
            metadata = without_secrets(metadata)
        return await super().update_thread(thread_id, name, user_id, metadata, tags)

    async def create_step(self, step_dict):
        if self._forgotten(step_dict.get("threadId")):
            return None
        return await super().create_step(step_dict)

    async def update_step(self, step_dict):
        if self._forgotten(step_dict.get("threadId")):
            return None
        return await super().update_step(step_dict)

    async def create_element(self, element):
        if self._forgotten(getattr(element, "thread_id", None)):
            return None
        return await super().create_element(element)

    async def delete_thread(self, thread_id: str):
        owner = await self._get_user_id_by_thread(thread_id)
        rows = await self.execute_sql(
            'SELECT "objectKey" FROM elements WHERE "threadId" = :id AND "objectKey" IS NOT NULL',
            {"id": thread_id},
        )
        image_ids = [r["objectKey"] for r in rows] if isinstance(rows, list) else []
        await super().delete_thread(thread_id)
        await self.photo_owners.release(owner, image_ids, self.storage_provider.store)
        await forget_conversation(thread_id)


async def forget_conversation(thread_id: str) -> None:
    """Delete the agent's checkpoint of a thread (its memory of the conversation)."""
    from stylist.agent import get_agent

    try:
        saver = await get_agent().checkpoints.saver()
        await saver.adelete_thread(thread_id)
    except Exception:  # noqa: BLE001 - the thread is gone for the person either way
        log.warning("could not delete the agent memory of thread %s", thread_id, exc_info=True)


def make_data_layer(settings: StyleSettings | None = None) -> StylistDataLayer:
    quiet_removed_account_records()
    return StylistDataLayer(settings or get_settings())
