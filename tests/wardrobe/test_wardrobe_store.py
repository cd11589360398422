"""The wardrobe's storage: items, photos and vectors of one owner, never another's."""

from __future__ import annotations

import numpy as np
import pytest

from stylist.vectorstore.filters import SearchFilters
from stylist.wardrobe import (
    Wardrobe,
    WardrobeItemMissing,
    count_user_wardrobe,
    forget_user_wardrobe,
)

BLAZER = {
    "gender": "Men",
    "masterCategory": "Apparel",
    "subCategory": "Topwear",
    "articleType": "Blazers",
    "baseColour": "Navy Blue",
    "season": "Fall",
    "usage": "Formal",
}
SHOES = {
    **BLAZER,
    "masterCategory": "Footwear",
    "subCategory": "Shoes",
    "articleType": "Formal Shoes",
    "baseColour": "Brown",
}
FINGERPRINT = "test-encoder"


def embed_with(calls: list):
    def embed(image_id: str, attributes) -> np.ndarray:
        calls.append(image_id)
        rng = np.random.default_rng(abs(hash((image_id, attributes["baseColour"]))) % 2**32)
        v = rng.normal(size=8).astype(np.float32)
        return v / np.linalg.norm(v)

    return embed


def test_saved_item_reads_back_with_its_photos_name_and_vectors(isolated_settings):
    calls: list[str] = []
    alice = Wardrobe(isolated_settings, "alice")
    item = alice.save(
        ["a" * 64, "b" * 64], BLAZER, embed=embed_with(calls), fingerprint=FINGERPRINT
    )
    assert item.name == "Navy Blue Blazer"
    assert item.photo_ids == ["a" * 64, "b" * 64]
    assert alice.item(item.id).attributes == BLAZER
    assert alice.counts() == {"wardrobe_items": 1, "wardrobe_photos": 2, "wardrobe_vectors": 2}
    vectors = alice.item_vectors([item], embed_with(calls), FINGERPRINT)
    assert calls == ["a" * 64, "b" * 64]  # stored at save time: nothing embedded again
    assert np.isclose(np.linalg.norm(vectors[item.id]), 1.0)


def test_rename_retag_and_filters(isolated_settings):
    alice = Wardrobe(isolated_settings, "alice")
    blazer = alice.save(["a" * 64], BLAZER, name="my navy blazer")
    shoes = alice.save(["c" * 64], SHOES)
    assert alice.named("my navy blazer").id == blazer.id
    assert alice.named("the brown shoes").id == shoes.id
    with pytest.raises(WardrobeItemMissing):
        alice.named("red handbag")

    fixed = alice.retag(blazer.id, {"baseColour": "Black"})
    assert fixed.attributes["baseColour"] == "Black" and fixed.corrected == ["baseColour"]
    assert alice.rename(blazer.id, "black blazer").name == "black blazer"

    footwear = alice.items(SearchFilters(masterCategory="Footwear"))
    assert [i.id for i in footwear] == [shoes.id]
    # Owned things have no price: a budget does not hide them.
    assert len(alice.items(SearchFilters(max_price=10))) == 2


def test_another_users_items_are_invisible_and_untouchable(isolated_settings):
    calls: list[str] = []
    alice = Wardrobe(isolated_settings, "alice")
    bob = Wardrobe(isolated_settings, "bob")
    mine = alice.save(["a" * 64], BLAZER, embed=embed_with(calls), fingerprint=FINGERPRINT)
    bob.save(["d" * 64], SHOES, embed=embed_with(calls), fingerprint=FINGERPRINT)

    assert [i.id for i in bob.items()] == [i.id for i in bob.items()]  # stable
    assert mine.id not in {i.id for i in bob.items()}
    assert bob.vectors.get(FINGERPRINT).keys() == {(bob.items()[0].id, "d" * 64)}
    for attempt in (
        lambda: bob.item(mine.id),
        lambda: bob.rename(mine.id, "stolen"),
        lambda: bob.retag(mine.id, {"baseColour": "Red"}),
        lambda: bob.remove([mine.id]),
        lambda: bob.add_photo(mine.id, "e" * 64),
    ):
        with pytest.raises(WardrobeItemMissing):
            attempt()
    assert alice.item(mine.id).name == "Navy Blue Blazer"
    assert alice.counts() == {"wardrobe_items": 1, "wardrobe_photos": 1, "wardrobe_vectors": 1}


def test_forget_deletes_one_users_wardrobe_from_every_store(isolated_settings):
    calls: list[str] = []
    for user in ("alice", "bob"):
        w = Wardrobe(isolated_settings, user)
        w.save([f"{user[0]}" * 64], BLAZER, embed=embed_with(calls), fingerprint=FINGERPRINT)
        w.save(["f" * 64], SHOES, embed=embed_with(calls), fingerprint=FINGERPRINT)
    assert count_user_wardrobe(isolated_settings, "alice") == {
        "wardrobe_items": 2,
        "wardrobe_photos": 2,
        "wardrobe_vectors": 2,
    }
    deleted = forget_user_wardrobe(isolated_settings, "alice")
    assert deleted == {"wardrobe_items": 2, "wardrobe_photos": 2, "wardrobe_vectors": 2}
    assert set(count_user_wardrobe(isolated_settings, "alice").values()) == {0}
    assert count_user_wardrobe(isolated_settings, "bob")["wardrobe_vectors"] == 2


def test_a_wardrobe_needs_a_user(isolated_settings):
    with pytest.raises(ValueError):
        Wardrobe(isolated_settings, "")


def test_a_saved_photo_outlives_the_chats_that_showed_it(isolated_settings):
    import asyncio
    import io

    from PIL import Image

    from stylist.accounts.database import open_app_database
    from stylist.accounts.photos import PhotoOwners
    from stylist.images import get_image_store

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 40, 200)).save(buffer, format="JPEG")
    store = get_image_store()
    kept, dropped = store.put(buffer.getvalue()), None
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 20)).save(buffer, format="JPEG")
    dropped = store.put(buffer.getvalue())
    Wardrobe(isolated_settings, "alice").save([kept], BLAZER)

    async def release():
        engine = await open_app_database(isolated_settings)
        owners = PhotoOwners(engine)
        await owners.record("alice", dropped)
        # The last chat showing both photos is deleted.
        deleted = await owners.release("alice", [kept, dropped], store)
        still = await owners.owns("alice", kept)
        await engine.dispose()
        return deleted, still

    deleted, still_owned = asyncio.run(release())
    assert deleted == [dropped]
    assert still_owned and store.path(kept).is_file()
