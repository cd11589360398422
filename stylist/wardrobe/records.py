"""The wardrobe's rows in the app database: items and their photos, always of one owner.

`WardrobeRecords(engine, user_id)` is the only way this package reads or writes the two tables
(`stylist_wardrobe_items`, `stylist_wardrobe_photos`), and every statement it runs carries the
owner's id in its WHERE clause: an item id of someone else reads as "no such item".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.schema import wardrobe_items, wardrobe_photos
from stylist.accounts.timestamps import now_iso
from stylist.wardrobe.items import WardrobeItem


class WardrobeItemMissing(KeyError):
    """No item with that id in this person's wardrobe; `str(err)` is the sentence."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "There is no such item in your wardrobe."


def _no_item(item_id: int) -> WardrobeItemMissing:
    return WardrobeItemMissing(f"There is no item {item_id} in your wardrobe.")


class WardrobeRecords:
    def __init__(self, engine: AsyncEngine, user_id: str) -> None:
        if not user_id:
            raise ValueError("A wardrobe belongs to a signed-in user; no user id was given.")
        self.engine = engine
        self.user_id = str(user_id)

    # -- reading ----------------------------------------------------------------------------

    async def items(self, item_ids: Iterable[int] | None = None) -> list[WardrobeItem]:
        """The owner's items (all, or those of `item_ids` that are theirs), oldest first."""
        query = select(wardrobe_items).where(wardrobe_items.c.user_id == self.user_id)
        if item_ids is not None:
            query = query.where(wardrobe_items.c.item_id.in_([int(i) for i in item_ids]))
        photos = select(wardrobe_photos).where(wardrobe_photos.c.user_id == self.user_id)
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(query.order_by(wardrobe_items.c.item_id)))
            photo_rows = list(
                await conn.execute(
                    photos.order_by(wardrobe_photos.c.added_at, wardrobe_photos.c.image_id)
                )
            )
        photos_of: dict[int, list[str]] = {}
        for row in photo_rows:
            photos_of.setdefault(int(row.item_id), []).append(row.image_id)
        return [
            WardrobeItem(
                id=int(row.item_id),
                name=row.name,
                attributes=json.loads(row.attributes),
                corrected=json.loads(row.corrected),
                photo_ids=photos_of.get(int(row.item_id), []),
                created_at=row.created_at,
            )
            for row in rows
        ]

    async def item(self, item_id: int) -> WardrobeItem:
        found = await self.items([item_id])
        if not found:
            raise _no_item(item_id)
        return found[0]

    async def counts(self) -> dict[str, int]:
        async with self.engine.connect() as conn:
            n_items = await conn.scalar(
                select(func.count()).where(wardrobe_items.c.user_id == self.user_id)
            )
            n_photos = await conn.scalar(
                select(func.count()).where(wardrobe_photos.c.user_id == self.user_id)
            )
        return {"wardrobe_items": int(n_items or 0), "wardrobe_photos": int(n_photos or 0)}

    async def image_ids(self) -> set[str]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(wardrobe_photos.c.image_id).where(wardrobe_photos.c.user_id == self.user_id)
            )
            return {row[0] for row in rows}

    # -- writing ----------------------------------------------------------------------------

    async def add(self, name: str, attributes: Mapping[str, str], image_ids: list[str]) -> int:
        now = now_iso()
        async with self.engine.begin() as conn:
            result = await conn.execute(
                insert(wardrobe_items).values(
                    user_id=self.user_id,
                    name=name,
                    attributes=json.dumps(dict(attributes)),
                    corrected="[]",
                    created_at=now,
                    updated_at=now,
                )
            )
            item_id = int(result.inserted_primary_key[0])
            for image_id in dict.fromkeys(image_ids):
                await conn.execute(
                    insert(wardrobe_photos).values(
                        item_id=item_id, user_id=self.user_id, image_id=image_id, added_at=now
                    )
                )
        return item_id

    async def add_photo(self, item_id: int, image_id: str) -> bool:
        """Add a photo to one of the owner's items; False when it was there already."""
        item = await self.item(item_id)
        if image_id in item.photo_ids:
            return False
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(wardrobe_photos).values(
                    item_id=item.id, user_id=self.user_id, image_id=image_id, added_at=now_iso()
                )
            )
        return True

    async def rename(self, item_id: int, name: str) -> None:
        await self._update(item_id, name=name)

    async def retag(self, item_id: int, changes: Mapping[str, str]) -> WardrobeItem:
        """Set attributes to the person's values; they are remembered as corrected."""
        item = await self.item(item_id)
        attributes = {**item.attributes, **changes}
        corrected = sorted({*item.corrected, *changes})
        await self._update(
            item_id, attributes=json.dumps(attributes), corrected=json.dumps(corrected)
        )
        return item.model_copy(update={"attributes": attributes, "corrected": corrected})

    async def _update(self, item_id: int, **values: str) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(wardrobe_items)
                .where(
                    wardrobe_items.c.user_id == self.user_id,
                    wardrobe_items.c.item_id == int(item_id),
                )
                .values(updated_at=now_iso(), **values)
            )
        if result.rowcount == 0:
            raise _no_item(item_id)

    async def remove(self, item_ids: Iterable[int] | None = None) -> dict[str, int]:
        """Delete items (all of the owner's when `item_ids` is None) and their photo rows."""
        items_where = [wardrobe_items.c.user_id == self.user_id]
        photos_where = [wardrobe_photos.c.user_id == self.user_id]
        if item_ids is not None:
            ids = [int(i) for i in item_ids]
            items_where.append(wardrobe_items.c.item_id.in_(ids))
            photos_where.append(wardrobe_photos.c.item_id.in_(ids))
        async with self.engine.begin() as conn:
            photos = await conn.execute(delete(wardrobe_photos).where(*photos_where))
            items = await conn.execute(delete(wardrobe_items).where(*items_where))
        return {"wardrobe_items": items.rowcount or 0, "wardrobe_photos": photos.rowcount or 0}
