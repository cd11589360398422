"""The conversation's photos inside a tool: which photo a reference names, its pixels, and its
image embedding.

A photo turn runs several tools on the same photo (tag it, find similar items, complete the
outfit), and later turns come back to it. Encoding a photo is the expensive step, so its
embedding is computed once per (photo, encoder) and shared: photo ids are content hashes, so an
id names the same pixels for good, and the encoder's fingerprint changes when its weights do.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PIL import Image

from stylist.images import get_image_store
from stylist.models.encoder import Encoder
from stylist.models.errors import EncoderUnavailable
from stylist.process_cache import ReloadingCache
from stylist.tools import services
from stylist.tools.photo_refs import photo_label, resolve_photo

# ~2 KB per photo at 512 dimensions: enough for every photo of many open chats.
PHOTO_EMBEDDINGS_KEPT = 512
_EMBEDDINGS: ReloadingCache[np.ndarray] = ReloadingCache(maxsize=PHOTO_EMBEDDINGS_KEPT)


def photo_ids_of(state: Mapping[str, Any] | None) -> list[str]:
    return list((state or {}).get("photo_ids") or [])


def pick_photo(state: Mapping[str, Any] | None, reference: str | None) -> tuple[str, str]:
    """(photo id, "photo N") for a reference such as "latest" or "photo 2"."""
    ids = photo_ids_of(state)
    photo_id = resolve_photo(reference, ids)
    return photo_id, photo_label(ids, photo_id)


def open_photo(photo_id: str, draft: tuple[int, int] | None = None) -> Image.Image:
    """The stored photo as RGB (re-validated by the one image loader; `draft`: a JPEG may
    decode at a reduced scale that still covers that (width, height))."""
    return get_image_store().open(photo_id, draft=draft)


def accept_photo(data: bytes) -> str:
    """Validate, store and encode an uploaded photo, decoding it once: the pixels decoded to
    validate it (at the encoder's draft scale) are the ones encoded, and the embedding lands in
    the per-photo cache for every tool of every turn. Without a usable encoder the photo is
    only stored (the tools say what is missing when they need it)."""
    store = get_image_store()
    try:
        encoder = services.encoder()
    except EncoderUnavailable:
        return store.put(data)
    photo_id, image = store.put_decoded(data, encoder.draft_size)
    _EMBEDDINGS.get(
        (photo_id, encoder.fingerprint), lambda: _shared(encoder.encode_images([image])[0])
    )
    return photo_id


def _shared(vector: np.ndarray) -> np.ndarray:
    vector.flags.writeable = False  # shared by every tool and turn: nobody may change it
    return vector


def photo_embedding(photo_id: str, encoder: Encoder | None = None) -> np.ndarray:
    """The photo's L2-normalised image embedding (read-only; computed once per encoder)."""
    encoder = encoder or services.encoder()

    def encode() -> np.ndarray:
        # Decoded only as finely as the encoder's input needs (JPEG draft mode).
        return _shared(encoder.encode_images([open_photo(photo_id, encoder.draft_size)])[0])

    return _EMBEDDINGS.get((photo_id, encoder.fingerprint), encode)


def photo_embeddings(photo_ids: list[str], encoder: Encoder | None = None) -> np.ndarray:
    """(n, dim) embeddings of several photos, each from the same per-photo cache."""
    encoder = encoder or services.encoder()
    return np.stack([photo_embedding(pid, encoder) for pid in photo_ids])


def receive_photo(data: bytes, encoder: Encoder | None = None) -> tuple[str, Image.Image]:
    """Validate and store an upload; (photo id, its pixels decoded at the encoder's draft
    scale) for a caller that encodes several together (`encode_photo_batch`)."""
    encoder = encoder or services.encoder()
    return get_image_store().put_decoded(data, encoder.draft_size)


def encode_photo_batch(
    photo_ids: list[str],
    images: list[Image.Image] | None = None,
    encoder: Encoder | None = None,
) -> np.ndarray:
    """(n, dim) embeddings of photos that just arrived together (the API's micro-batch), in one
    forward pass; each lands in the per-photo cache, so later tools on them encode nothing.
    `images`: their pixels when the caller has them (else they are opened). A photo already
    cached keeps its cached embedding (the batch encodes it once more)."""
    encoder = encoder or services.encoder()
    pixels = dict(zip(photo_ids, images, strict=True)) if images is not None else {}
    unique = list(dict.fromkeys(photo_ids))
    vectors = encoder.encode_images(
        [pixels.get(pid) or open_photo(pid, encoder.draft_size) for pid in unique],
        batch_size=len(unique),
    )
    kept = {
        pid: _EMBEDDINGS.get((pid, encoder.fingerprint), lambda v=vector: _shared(v.copy()))
        for pid, vector in zip(unique, vectors, strict=True)
    }
    return np.stack([kept[pid] for pid in photo_ids])
