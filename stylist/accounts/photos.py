"""Who owns which stored photo: the check behind every photo URL the chat shows.

Photos live once in the content-addressed image store; this table says which users sent them
(Chainlit's users.id). A photo is served only to its owners, and its file is deleted when its
last owner deletes the threads that showed it (and it is in none of their wardrobe items) or
is removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.schema import elements, photo_owners, threads, wardrobe_photos
from stylist.accounts.timestamps import now_iso
from stylist.images import ImageStore

log = logging.getLogger(__name__)


class PhotoOwners:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(self, user_id: str, image_id: str) -> None:
        values = {"user_id": user_id, "image_id": image_id, "created_at": now_iso()}
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(photo_owners).values(**values).on_conflict_do_nothing()
        async with self.engine.begin() as conn:
            await conn.execute(statement)

    async def owns(self, user_id: str | None, image_id: str) -> bool:
        if not user_id:
            return False
        query = select(photo_owners.c.image_id).where(
            photo_owners.c.user_id == user_id, photo_owners.c.image_id == image_id
        )
        async with self.engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def release(
        self, user_id: str | None, image_ids: Iterable[str], store: ImageStore | None
    ) -> list[str]:
        """Drop `user_id`'s claim on photos none of their threads shows any more; delete the
        files nobody owns then. Returns the ids of the deleted files."""
        image_ids = sorted(set(image_ids))
        if not image_ids:
            return []
        async with self.engine.begin() as conn:
            if user_id:
                still_shown = (
                    select(elements.c.objectKey)
                    .join(threads, threads.c.id == elements.c.threadId)
                    .where(threads.c.userId == user_id, elements.c.objectKey.in_(image_ids))
                )
                shown = {row[0] for row in await conn.execute(still_shown)}
                # A photo of an item in their wardrobe stays theirs when the chat goes.
                in_wardrobe = select(wardrobe_photos.c.image_id).where(
                    wardrobe_photos.c.user_id == user_id,
                    wardrobe_photos.c.image_id.in_(image_ids),
                )
                shown |= {row[0] for row in await conn.execute(in_wardrobe)}
                released = [i for i in image_ids if i not in shown]
                if released:
                    await conn.execute(
                        delete(photo_owners).where(
                            photo_owners.c.user_id == user_id,
                            photo_owners.c.image_id.in_(released),
                        )
                    )
            owned = select(photo_owners.c.image_id).where(photo_owners.c.image_id.in_(image_ids))
            still_owned = {row[0] for row in await conn.execute(owned)}
        orphans = [i for i in image_ids if i not in still_owned]
        deleted = []
        if store is not None:
            for image_id in orphans:
                try:
                    path = store.path(image_id)
                except ValueError:  # not an image id (an element of another kind)
                    continue
                if path.is_file():
                    path.unlink()
                    deleted.append(image_id)
        return deleted
