"""The stylist's tools as plain functions, for the programs' doors (HTTP API v1, MCP server).

The LangChain tools name photos by their place in a conversation ("photo 2"); programs name
them by stored id, path or bytes. Both end in the same code below the tools layer: the photo is
stored once (validated by the one image loader), encoded once per encoder (the shared
`photo_embedding` cache), tagged from that embedding, and searched with it. Every function
returns plain JSON (the artifact shapes of docs/architecture.md) and raises only the errors of
`stylist.tools.errors.READABLE_ERRORS`, whose text is a sentence.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stylist.catalog.schema import ATTRIBUTES
from stylist.images import ImageRejected, get_image_store
from stylist.models.captioner import caption_image as make_caption
from stylist.settings import get_settings
from stylist.tools import search_backend, services
from stylist.tools.artifacts import product_dict, tags_artifact, top_labels
from stylist.tools.errors import ToolUserError
from stylist.tools.photo_tools import predict_tags
from stylist.tools.photos import (
    accept_photo,
    encode_photo_batch,
    open_photo,
    photo_embedding,
    photo_pixels,
    receive_photo,
)
from stylist.tools.understanding import read_request
from stylist.vectorstore.filters import SearchFilters
from stylist.vectorstore.search import get_index

Ranked = Mapping[str, Sequence[tuple[str, float]]]

_PHOTO_ID = re.compile(r"[0-9a-f]{64}")
_DATA_URL = re.compile(r"^data:image/[\w.+-]+;base64,", re.IGNORECASE)
NOT_A_PHOTO_REFERENCE = (
    "I could not read that photo: give a file path, base64-encoded image bytes (or a data: URL), "
    "or the photo_id of a photo sent before."
)


# --- photos -------------------------------------------------------------------------------------


def store_photo(data: bytes) -> str:
    """Validate uploaded bytes with the one image loader, store them and encode them (one
    decode, one encoder pass, reused by every later call on the photo); returns the photo id."""
    return accept_photo(data)


def photo_from_reference(photo: str, *, allow_paths: bool = True) -> str:
    """A photo id for what a program sent: a stored photo id, a file path on this machine
    (`allow_paths`), or the image's bytes in base64 / a data: URL. ImageRejected otherwise."""
    ref = (photo or "").strip()
    if not ref:
        raise ImageRejected(NOT_A_PHOTO_REFERENCE)
    if _PHOTO_ID.fullmatch(ref):
        if ref in get_image_store():
            return ref
        raise ImageRejected("I don't have a photo with that id; please send the photo again.")
    if allow_paths and len(ref) < 4096 and not _DATA_URL.match(ref):
        path = Path(ref).expanduser()
        if path.is_absolute() or ref.startswith(("./", "../", "~")) or path.suffix:
            if path.exists():
                return store_photo(_read_limited(path))
            if path.is_absolute() or ref.startswith(("./", "../", "~")):
                raise ImageRejected(f"There is no file at {ref}.")
    return store_photo(_decode_base64(ref))


def _read_limited(path: Path) -> bytes:
    limit = get_settings().upload_max_bytes
    try:
        with path.open("rb") as f:
            return f.read(limit + 1)  # one byte over: the loader words the "too large" refusal
    except OSError:
        raise ImageRejected(f"I could not read the file {path}.") from None


def _decode_base64(text: str) -> bytes:
    body = _DATA_URL.sub("", text, count=1)
    limit = get_settings().upload_max_bytes
    if len(body) > (limit + 1) * 4 // 3 + 8:  # refuse before decoding a huge string
        raise ImageRejected(
            f"That image is larger than the {limit // (1 << 20)} MB limit (base64 counted)."
        )
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ImageRejected(NOT_A_PHOTO_REFERENCE) from None


# --- tags and captions ---------------------------------------------------------------------------


def _tags_json(photo_id: str, ranked: Ranked) -> dict[str, Any]:
    artifact = tags_artifact(photo_id, "photo", ranked)
    attributes = artifact["attributes"]
    return {
        "photo_id": photo_id,
        "attributes": attributes,
        "top": {a: values[0]["label"] for a, values in attributes.items() if values},
    }


def tag(photo_id: str, top_k: int = 3) -> dict[str, Any]:
    """{photo_id, attributes: {attr: [{label, confidence}, ...]}, top: {attr: label}}."""
    return _tags_json(photo_id, predict_tags(photo_id, top_k))


def receive_upload(data: bytes) -> tuple[str, Any]:
    """(photo id, decoded pixels) of a validated, stored upload, for `tag_batch`: the pixels
    decoded to validate it are the ones encoded."""
    return receive_photo(data)


def tag_batch(photos: Sequence[tuple[str, Any]], top_k: int = 3) -> list[dict[str, Any]]:
    """`tag` for photos (photo id, pixels or None) that arrived together: one encoder forward
    pass for all of them when the tagger reads embeddings (the attribute heads), one `predict`
    call otherwise."""
    photo_ids = [pid for pid, _ in photos]
    images = [image if image is not None else open_photo(pid) for pid, image in photos]
    tagger = services.tagger()
    encoder = getattr(tagger, "encoder", None)
    size = getattr(tagger, "pixel_size", None)
    if encoder is not None and hasattr(tagger, "predict_embedded"):
        # The mixed real-photo tagger: one encoder pass for the batch, and the pixels decoded
        # with it (kept on upload) for the real-photo network.
        embeddings = encode_photo_batch(photo_ids, images, encoder).copy()  # torch: writable
        pixels = [photo_pixels(pid, size) for pid in photo_ids]
        ranked = tagger.predict_embedded(pixels, embeddings, top_k)
    elif encoder is not None and hasattr(tagger, "predict_embeddings"):
        embeddings = encode_photo_batch(photo_ids, images, encoder).copy()  # torch: writable
        ranked = tagger.predict_embeddings(embeddings, top_k)
    else:
        pixels = images if size is None else [photo_pixels(pid, size) for pid in photo_ids]
        ranked = tagger.predict(pixels, top_k=top_k)
    return [_tags_json(pid, r) for pid, r in zip(photo_ids, ranked, strict=True)]


def caption(photo_id: str) -> dict[str, Any]:
    """{photo_id, caption, top} — a one-line caption from the photo's shared embedding."""
    ranked = predict_tags(photo_id, top_k=3)
    encoder = services.encoder()
    text = make_caption(photo_embedding(photo_id, encoder), ranked, encoder=encoder)
    return {"photo_id": photo_id, "caption": text, "top": top_labels(ranked)}


# --- the catalog ---------------------------------------------------------------------------------


def build_filters(
    query: str | None,
    filters: Mapping[str, Any] | None = None,
    exclude: Mapping[str, Any] | None = None,
    *,
    parse_filters: bool = True,
) -> tuple[SearchFilters, str | None]:
    """(validated filters, words left for the embedding): filter words read from `query`
    unless `parse_filters` is false, the explicit `filters` and `exclude` on top."""
    catalog = services.catalog()
    text = (query or "").strip() or None
    parsed = SearchFilters()
    if text and parse_filters:
        reading = read_request(text, catalog)
        parsed = reading.filters
        # The leftover words drive the embedding; filters alone still return items.
        text = reading.remainder.strip() or text
    explicit = {k: v for k, v in dict(filters or {}).items() if v not in (None, "", [])}
    # Exclusions arrive as {attribute: values}; SearchFilters spells them exclude_<attribute>.
    for attribute, values in dict(exclude or {}).items():
        if values not in (None, "", []):
            explicit[f"exclude_{attribute}"] = values
    return parsed.merged(SearchFilters.coerce(explicit)).validated(catalog), text


def search(
    query: str | None = None,
    *,
    photo_id: str | None = None,
    item_id: int | None = None,
    filters: Mapping[str, Any] | None = None,
    exclude: Mapping[str, Any] | None = None,
    k: int = 10,
    diverse: bool = False,
    parse_filters: bool = True,
) -> dict[str, Any]:
    """Products for words, a photo, a catalog item, or a photo / item plus words, narrowed by
    filters and exclusions: {query, filters (applied), count, results: [product, ...]}."""
    applied, text = build_filters(query, filters, exclude, parse_filters=parse_filters)
    embedding = photo_embedding(photo_id) if photo_id is not None else None
    if text is None and embedding is None and item_id is None and applied.is_empty():
        raise ToolUserError("Tell me what to look for: words, a photo, filters, or an item id.")
    products = search_backend.search(
        text=text, image_embedding=embedding, item_id=item_id, filters=applied, k=k, diverse=diverse
    )
    return {
        "query": query,
        "photo_id": photo_id,
        "item_id": item_id,
        "filters": applied.model_dump(exclude_none=True),
        "count": len(products),
        "results": [product_dict(p) for p in products],
    }


def similar(
    *,
    photo_id: str | None = None,
    item_id: int | None = None,
    modifier: str | None = None,
    k: int = 10,
    diverse: bool = False,
) -> dict[str, Any]:
    """Catalog products that look like a photo or a catalog item, changed by `modifier`
    ("but in red", "under 40"): the same answer as `search`."""
    if (photo_id is None) == (item_id is None):
        raise ToolUserError("Say what to find items like: a photo or a catalog item id (one).")
    return search(modifier, photo_id=photo_id, item_id=item_id, k=k, diverse=diverse)


def outfit(
    *, photo_id: str | None = None, item_id: int | None = None, style: str | None = None
) -> dict[str, Any]:
    """An outfit around a photo or a catalog item: {anchor, slots: [{slot, product, reason}],
    missing} (the outfit artifact of the chat, without its `kind`)."""
    if (photo_id is None) == (item_id is None):
        raise ToolUserError("Say what to build the outfit around: a photo or an item id (one).")
    tags = embedding = None
    if photo_id is not None:
        tags = predict_tags(photo_id)
        embedding = photo_embedding(photo_id)
        top = top_labels(tags)
        description = " ".join(top.get(a, "") for a in ("baseColour", "articleType")).strip()
    else:
        description = f"item #{item_id}"
    result = search_backend.outfit(
        item_id=item_id, tags=tags, image_embedding=embedding, style=(style or "").strip() or None
    )
    if item_id is not None and result["anchor"].get("name"):
        description = f"item #{item_id} {result['anchor']['name']}"
    slots = [
        {"slot": s["slot"], "product": product_dict(s["product"]), "reason": s["reason"]}
        for s in result["slots"]
    ]
    return {
        "anchor": {"photo_id": photo_id, "item_id": item_id, "description": description},
        "slots": slots,
        "missing": list(result.get("missing") or []),
    }


def item(item_id: int) -> dict[str, Any]:
    """One catalog item as a product (UnknownItem, a SearchError, when there is none)."""
    return product_dict(get_index().product(int(item_id)))


def item_image_path(item_id: int) -> Path:
    """The catalog photo of an item (KeyError when the catalog has no such item)."""
    return services.catalog().image_path(int(item_id))


FILTER_FIELDS: tuple[str, ...] = (*ATTRIBUTES, "min_price", "max_price")
