"""`Wardrobe(settings, user_id)`: one person's garments — rows in the app database, vectors in
Chroma — behind one synchronous interface for the tools (which run in worker threads).

Every method acts for the owner given at construction, and both stores it reaches are scoped by
that owner at their lowest layer (`WardrobeRecords`, `WardrobeVectors`). The database is the
record; the vectors are derived from the photos and are recomputed when missing or stale.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine

from stylist.accounts.database import database_url, make_engine, run_sync
from stylist.accounts.photos import PhotoOwners
from stylist.accounts.schema import migrate
from stylist.process_cache import ReloadingCache
from stylist.settings import StyleSettings, get_settings
from stylist.vectorstore.filters import SearchFilters
from stylist.wardrobe.items import WardrobeItem, default_name
from stylist.wardrobe.records import WardrobeItemMissing, WardrobeRecords
from stylist.wardrobe.vectors import WardrobeVectors

# (image id, the item's attributes) -> that photo's fused embedding, from the layer above.
Embed = Callable[[str, Mapping[str, str]], np.ndarray]

_ENGINES: ReloadingCache[AsyncEngine] = ReloadingCache(maxsize=4)
_WORD = re.compile(r"[a-z0-9]+")
# Words that say whose, not which: "my navy blazer" is the item named "navy blazer".
_POSSESSIVE = {"my", "the", "mine", "own", "that", "this", "from", "wardrobe", "item"}


def wardrobe_engine(settings: StyleSettings) -> AsyncEngine:
    """An engine on the app database (schema brought up to date once per process) whose
    connections never outlive a call: each call runs in an event loop of its own."""
    url = database_url(settings)

    def build() -> AsyncEngine:
        engine = make_engine(url, pooled=False)
        run_sync(lambda: migrate(engine))
        return engine

    return _ENGINES.get(url, build)


class Wardrobe:
    def __init__(self, settings: StyleSettings | None, user_id: str) -> None:
        self.settings = settings or get_settings()
        self.records = WardrobeRecords(wardrobe_engine(self.settings), user_id)
        self.vectors = WardrobeVectors(self.settings, user_id)
        self.user_id = self.records.user_id

    # -- reading ----------------------------------------------------------------------------

    def items(self, filters: SearchFilters | None = None) -> list[WardrobeItem]:
        """The owner's items that pass `filters` (the catalog search's filters; prices do not
        apply to what the person already owns), oldest first."""
        items = run_sync(lambda: self.records.items())
        if filters is None:
            return items
        unpriced = filters.model_copy(update={"min_price": None, "max_price": None})
        return [i for i in items if unpriced.matches(i.attributes, 0.0, i.name)]

    def item(self, item_id: int) -> WardrobeItem:
        return run_sync(lambda: self.records.item(item_id))

    def item_with_photo(self, image_id: str) -> WardrobeItem | None:
        return next((i for i in self.items() if image_id in i.photo_ids), None)

    def named(self, words: str) -> WardrobeItem:
        """The item a phrase names ("my navy blazer", "the blazer"): the best overlap of words
        with item names, else the closest name; WardrobeItemMissing when nothing is close."""
        wanted = set(_WORD.findall(words.lower())) - _POSSESSIVE
        items = self.items()
        if not wanted or not items:
            raise WardrobeItemMissing(f'I found nothing called "{words}" in your wardrobe.')
        scored = []
        for item in items:
            have = set(_WORD.findall(item.name.lower()))
            overlap = len(wanted & have) / len(wanted)
            closeness = difflib.SequenceMatcher(None, " ".join(sorted(wanted)), item.name.lower())
            scored.append((overlap, closeness.ratio(), -item.id, item))
        best = max(scored, key=lambda s: s[:3])
        if best[0] < 0.5 and best[1] < 0.6:
            names = ", ".join(f'"{i.name}"' for i in items[:6])
            raise WardrobeItemMissing(
                f'I found nothing called "{words}" in your wardrobe; it holds {names}.'
            )
        return best[3]

    def counts(self) -> dict[str, int]:
        counts = run_sync(lambda: self.records.counts())
        return {**counts, "wardrobe_vectors": self.vectors.count()}

    # -- writing ----------------------------------------------------------------------------

    def save(
        self,
        image_ids: list[str],
        attributes: Mapping[str, str],
        *,
        name: str | None = None,
        embed: Embed | None = None,
        fingerprint: str | None = None,
    ) -> WardrobeItem:
        """A new item from photos and their predicted attributes; the photos are recorded as
        the owner's (so the wardrobe page may show them whatever happens to the chat)."""
        if not image_ids:
            raise ValueError("An item needs at least one photo.")
        name = (name or "").strip() or default_name(attributes)
        item_id = run_sync(lambda: self._add(name, attributes, image_ids))
        item = self.item(item_id)
        if embed is not None and fingerprint:
            self._embed(item, item.photo_ids, embed, fingerprint)
        return item

    async def _add(self, name: str, attributes: Mapping[str, str], image_ids: list[str]) -> int:
        owners = PhotoOwners(self.records.engine)
        for image_id in image_ids:
            await owners.record(self.user_id, image_id)
        return await self.records.add(name, attributes, image_ids)

    def add_photo(
        self, item_id: int, image_id: str, *, embed: Embed | None = None, fingerprint: str = ""
    ) -> WardrobeItem:
        async def add() -> None:
            await PhotoOwners(self.records.engine).record(self.user_id, image_id)
            await self.records.add_photo(item_id, image_id)

        run_sync(add)
        item = self.item(item_id)
        if embed is not None and fingerprint:
            self._embed(item, [image_id], embed, fingerprint)
        return item

    def rename(self, item_id: int, name: str) -> WardrobeItem:
        name = " ".join(name.split()).strip("'\"“”‘’")
        if not name:
            raise ValueError("The new name is empty.")
        run_sync(lambda: self.records.rename(item_id, name))
        return self.item(item_id)

    def retag(self, item_id: int, changes: Mapping[str, str]) -> WardrobeItem:
        item = run_sync(lambda: self.records.retag(item_id, changes))
        # Vectors carry the item's words (the fused embedding): theirs are now stale.
        self.vectors.delete([item.id])
        return self.item(item.id)

    def remove(self, item_ids: Iterable[int] | None = None) -> dict[str, int]:
        """Delete items (every one when None) from both stores; what was deleted, by store.
        The photo files stay while a chat of the owner shows them (`PhotoOwners.release`)."""
        ids = None if item_ids is None else [int(i) for i in item_ids]
        if ids is not None:
            owned = {i.id for i in run_sync(lambda: self.records.items(ids))}
            missing = [i for i in ids if i not in owned]
            if missing:
                raise WardrobeItemMissing(f"There is no item {missing[0]} in your wardrobe.")
        deleted = run_sync(lambda: self.records.remove(ids))
        return {**deleted, "wardrobe_vectors": self.vectors.delete(ids)}

    # -- vectors ------------------------------------------------------------------------------

    def item_vectors(
        self, items: list[WardrobeItem], embed: Embed, fingerprint: str
    ) -> dict[int, np.ndarray]:
        """item id -> the unit mean of its photos' fused vectors for this encoder; photos
        without one (new encoder, re-tagged item) are embedded now and stored."""
        stored = self.vectors.get(fingerprint)
        out: dict[int, np.ndarray] = {}
        for item in items:
            missing = [p for p in item.photo_ids if (item.id, p) not in stored]
            if missing:
                stored.update(self._embed(item, missing, embed, fingerprint))
            rows = [stored[(item.id, p)] for p in item.photo_ids if (item.id, p) in stored]
            if rows:
                mean = np.mean(rows, axis=0)
                out[item.id] = (mean / max(float(np.linalg.norm(mean)), 1e-12)).astype(np.float32)
        return out

    def _embed(
        self, item: WardrobeItem, image_ids: list[str], embed: Embed, fingerprint: str
    ) -> dict[tuple[int, str], np.ndarray]:
        vectors = np.stack([np.asarray(embed(i, item.attributes), np.float32) for i in image_ids])
        self.vectors.put(item.id, image_ids, vectors, fingerprint)
        return {(item.id, i): v for i, v in zip(image_ids, vectors, strict=True)}
