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

from stylist.catalog.store import CatalogMissing
from stylist.images import covering_size, get_image_store, reduced_to_cover
from stylist.models.encoder import Encoder
from stylist.models.errors import EncoderUnavailable, ModelMissing
from stylist.models.shared_backbone import SharedBackbone
from stylist.models.tagging import AttributeTagger
from stylist.process_cache import ReloadingCache
from stylist.tools import services
from stylist.tools.photo_refs import photo_label, resolve_photo

# ~2 KB per photo at 512 dimensions: enough for every photo of many open chats.
PHOTO_EMBEDDINGS_KEPT = 512
_EMBEDDINGS: ReloadingCache[np.ndarray] = ReloadingCache(maxsize=PHOTO_EMBEDDINGS_KEPT)
# The pixels of the newest photos for a tagger that reads pixels besides the embedding (the
# real-photo tagger, the CNN): decoded with the encoder's pixels on upload and kept, reduced to
# what the tagger needs (a few hundred KB each), because decoding a phone photo again costs as
# much as the encoder pass. The tools of a turn come back to the newest photos.
PHOTO_PIXELS_KEPT = 16
_PIXELS: ReloadingCache[Image.Image] = ReloadingCache(maxsize=PHOTO_PIXELS_KEPT)
# The real-photo tagger's ImageNet probabilities (4 KB a photo) when the encoder's own pass gave
# them (its image tower is that network: `stylist.models.shared_backbone`).
_IMAGENET: ReloadingCache[np.ndarray] = ReloadingCache(maxsize=PHOTO_EMBEDDINGS_KEPT)


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


def _tagger_or_none() -> AttributeTagger | None:
    """The configured tagger, or None while it is not there (the tag tool says what is missing
    when it is asked)."""
    try:
        return services.tagger()
    except (ModelMissing, EncoderUnavailable, CatalogMissing):
        return None


def tagger_pixel_size() -> tuple[int, int] | None:
    """What the configured tagger needs a photo's pixels to cover, or None when it reads only
    embeddings (or is not there yet)."""
    return getattr(_tagger_or_none(), "pixel_size", None)


def _shared_backbone(tagger: AttributeTagger | None, encoder: Encoder) -> SharedBackbone | None:
    find = getattr(tagger, "shared_backbone", None)
    return find(encoder) if find is not None else None


def photo_pixels(photo_id: str, size: tuple[int, int] | None) -> Image.Image:
    """The photo's RGB pixels covering `size` (width, height), reduced to about that: the ones
    decoded on upload while they are kept, else the stored photo decoded again (JPEG draft
    scale). `size` None (a reader that does not say what it needs): the photo in full."""
    if size is None:
        return open_photo(photo_id)
    return _PIXELS.get((photo_id, size), lambda: reduced_to_cover(open_photo(photo_id, size), size))


def accept_photo(data: bytes) -> str:
    """Validate, store and encode an uploaded photo, decoding it once: the pixels decoded to
    validate it (at a JPEG draft scale covering the encoder's input and, for a tagger that
    reads pixels, the tagger's) are the ones encoded and the ones the tagger reads later; the
    embedding lands in the per-photo cache for every tool of every turn. Without a usable
    encoder the photo is only stored (the tools say what is missing when they need it)."""
    store = get_image_store()
    try:
        encoder = services.encoder()
    except EncoderUnavailable:
        return store.put(data)
    tagger = _tagger_or_none()
    tagger_size = getattr(tagger, "pixel_size", None)
    photo_id, image = store.put_decoded(data, covering_size(encoder.draft_size, tagger_size))
    key = (photo_id, encoder.fingerprint)
    shared = _shared_backbone(tagger, encoder)
    if shared is not None:  # one backbone pass: the embedding and the ImageNet answer
        embeddings, probabilities = shared.encode([image])
        _EMBEDDINGS.get(key, lambda: _shared(embeddings[0]))
        _IMAGENET.get(key, lambda: _shared(probabilities[0]))
    else:
        _EMBEDDINGS.get(key, lambda: _shared(encoder.encode_images([image])[0]))
    if tagger_size is not None:
        _keep_pixels(photo_id, image, tagger_size)
    return photo_id


def _keep_pixels(photo_id: str, image: Image.Image, size: tuple[int, int]) -> None:
    reduced = reduced_to_cover(image, size)
    _PIXELS.get((photo_id, size), lambda: reduced)


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


def _not_kept() -> np.ndarray:
    raise KeyError("not kept")  # a lookup only: nothing is computed, nothing stored


def embedding_and_imagenet(
    photo_id: str, encoder: Encoder, tagger: AttributeTagger
) -> tuple[np.ndarray, np.ndarray | None]:
    """The photo's embedding and, when the encoder's image tower is the real-photo tagger's
    ImageNet network (`stylist.models.shared_backbone`), that network's probabilities from the
    same pass (both read-only); None for the second otherwise (the tagger runs its network on
    the pixels). A photo that did not come through `accept_photo` in this process gets its
    one shared pass here."""
    shared = _shared_backbone(tagger, encoder)
    if shared is None:
        return photo_embedding(photo_id, encoder), None
    key = (photo_id, encoder.fingerprint)
    try:
        return photo_embedding(photo_id, encoder), _IMAGENET.get(key, _not_kept)
    except KeyError:
        pass
    size = covering_size(encoder.draft_size, getattr(tagger, "pixel_size", None))
    embeddings, probabilities = shared.encode([open_photo(photo_id, size)])
    embedding = _EMBEDDINGS.get(key, lambda: _shared(embeddings[0]))
    return embedding, _IMAGENET.get(key, lambda: _shared(probabilities[0]))


def photo_embeddings(photo_ids: list[str], encoder: Encoder | None = None) -> np.ndarray:
    """(n, dim) embeddings of several photos, each from the same per-photo cache."""
    encoder = encoder or services.encoder()
    return np.stack([photo_embedding(pid, encoder) for pid in photo_ids])


def receive_photo(data: bytes, encoder: Encoder | None = None) -> tuple[str, Image.Image]:
    """Validate and store an upload; (photo id, its pixels decoded at a draft scale covering
    the encoder's input and the tagger's) for a caller that encodes several together
    (`encode_photo_batch`). The tagger's pixels are kept, as `accept_photo` keeps them."""
    encoder = encoder or services.encoder()
    tagger_size = tagger_pixel_size()
    photo_id, image = get_image_store().put_decoded(
        data, covering_size(encoder.draft_size, tagger_size)
    )
    if tagger_size is not None:
        _keep_pixels(photo_id, image, tagger_size)
    return photo_id, image


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
