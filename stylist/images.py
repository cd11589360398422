"""Untrusted images: the one place that opens image bytes from outside.

Everything a user uploads (and every stored upload we reopen) goes through `load_image`, which
either returns a fully decoded, EXIF-oriented RGB image or raises `ImageRejected` with a sentence
that can be shown to the person as it is. The rules, in the order they are checked:

1. size in bytes (before reading a file from disk, and again on what was read);
2. format, decided by Pillow from the bytes (never from a file name): JPEG, PNG, WebP, GIF;
3. pixel count, from the header only (`Image.open` is lazy), so decompression bombs are refused
   before a single pixel is decoded;
4. a full decode (`load()`), so truncated and corrupt files are caught here and not later;
5. EXIF orientation, then conversion of every mode (palette, grey, 16-bit, CMYK, alpha) to RGB
   with transparency composited on white.

`ImageStore` keeps accepted uploads content-addressed (sha256 of the original bytes).
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
import os
import re
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from stylist.atomic import atomic_write_bytes
from stylist.process_cache import ReloadingCache
from stylist.settings import get_settings

log = logging.getLogger(__name__)

# Pillow format names we decode. Pillow's JPEG opener may hand back an "MPO" image (the
# multi-picture JPEG many phones write); that is still a JPEG and is accepted.
ALLOWED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "GIF")

# Formats we refuse but can name in the message, so "send a JPEG instead" is actionable.
# Only their headers are read (Image.open is lazy), never their pixels.
_NAMED_FORMATS: dict[str, str] = {
    "BMP": "BMP",
    "TIFF": "TIFF",
    "ICO": "icon (ICO)",
    "PSD": "Photoshop (PSD)",
    "JPEG2000": "JPEG 2000",
    "AVIF": "AVIF",
}

_KINDS = "JPEG, PNG, WebP or GIF"
NOT_AN_IMAGE = f"That file is not an image I can read ({_KINDS})."
EMPTY = f"That file is empty; please upload a photo ({_KINDS})."
CORRUPT = "That image seems truncated or corrupt; please upload it again."
UNREADABLE = "I could not read that image file."
UNKNOWN_ID = "That is an unknown photo id; please upload the photo again."
MISSING = "I no longer have that photo; please upload it again."

_IMAGE_ID = re.compile(r"[0-9a-f]{64}")

# The draft size an upload is validated at: libjpeg's smallest scale (1/8) for any real photo.
VALIDATION_DRAFT: tuple[int, int] = (1, 1)


class ImageRejected(ValueError):
    """An image we will not use; `str(err)` is a sentence meant for the person who sent it."""


# --- messages ------------------------------------------------------------------------------


def _number(x: float) -> str:
    """1 decimal, no trailing '.0' ("10", "12.3"); small values keep 2 significant digits."""
    return f"{x:.1f}".removesuffix(".0") if x >= 0.1 else f"{x:.2g}"


def _human_bytes(n: float, *, round_up: bool = False) -> str:
    # Binary units labelled the everyday way (settings' 10 * 1024 * 1024 reads "10 MB").
    # The actual size rounds up so that a file just over the limit never reads as equal to it.
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            value = n / scale
            if round_up:
                value = math.ceil(value * 10) / 10
            return f"{_number(value)} {unit}"
    return f"{int(n)} bytes"


def _too_large(size: int, limit: int) -> ImageRejected:
    return ImageRejected(
        f"That image is too large ({_human_bytes(size, round_up=True)}); "
        f"the limit is {_human_bytes(limit)}."
    )


def _megapixels(pixels: int) -> str:
    return f"{_number(pixels / 1_000_000)} megapixels"


# --- reading the bytes ---------------------------------------------------------------------


def _read_source(source: bytes | bytearray | memoryview | str | Path, max_bytes: int) -> bytes:
    """The raw bytes, refusing anything over `max_bytes` (on disk: before reading it)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            # Check the size on disk first so a huge file is never read into memory ...
            size = path.stat().st_size
            if size > max_bytes:
                raise _too_large(size, max_bytes)
            # ... and still read at most one byte too many: the file may grow in between, and
            # special files (/dev/zero, FIFOs) report a size of 0.
            with path.open("rb") as f:
                data = f.read(max_bytes + 1)
        except FileNotFoundError:
            raise ImageRejected("I could not find that image file.") from None
        except OSError:  # a directory, no permission, I/O error: nothing the person can fix
            log.debug("cannot read image file %s", path, exc_info=True)
            raise ImageRejected(UNREADABLE) from None
        if len(data) > max_bytes:
            raise ImageRejected(f"That image is larger than the {_human_bytes(max_bytes)} limit.")
    else:  # a programming error, not a bad upload
        raise TypeError(f"load_image needs bytes or a path, not {type(source).__name__}")

    if not data:
        raise ImageRejected(EMPTY)
    if len(data) > max_bytes:
        raise _too_large(len(data), max_bytes)
    return data


def _refused_format(data: bytes) -> str | None:
    """The name of a well-known format we do not accept, if the bytes are one (header only)."""
    Image.init()  # registers every plugin (cheap after the first call)
    known = tuple(name for name in _NAMED_FORMATS if name in Image.OPEN)
    try:
        with Image.open(io.BytesIO(data), formats=known) as img:
            return _NAMED_FORMATS.get(img.format or "")
    except Exception:  # noqa: BLE001 - only used to word the refusal better
        return None


# --- decoding --------------------------------------------------------------------------------


def _decode(data: bytes, max_pixels: int, draft: tuple[int, int] | None = None) -> Image.Image:
    # Pillow's own bomb guard warns above MAX_IMAGE_PIXELS and raises above twice that. Rather
    # than turning its warning into an error with warnings.catch_warnings() (process-global and
    # not thread-safe before Python 3.14), refuse that whole range ourselves: the effective
    # limit is the smaller of ours and Pillow's, read at call time.
    pillow_limit = Image.MAX_IMAGE_PIXELS
    limit = min(max_pixels, pillow_limit) if pillow_limit else max_pixels
    try:
        # formats= restricts which decoders ever see these bytes; BytesIO carries no file name,
        # so an extension cannot influence the choice either.
        img = Image.open(io.BytesIO(data), formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        name = _refused_format(data)
        if name:
            raise ImageRejected(
                f"That is a {name} image, which I can't use; please send a {_KINDS}."
            ) from None
        raise ImageRejected(NOT_AN_IMAGE) from None
    except Image.DecompressionBombError:
        # Far over Pillow's limit; it refused before telling us the size.
        raise ImageRejected(
            f"That image has too many pixels; the limit is {_megapixels(limit)}."
        ) from None
    except Exception:  # noqa: BLE001 - a recognised header that fails to parse
        log.debug("image header failed to parse", exc_info=True)
        raise ImageRejected(CORRUPT) from None

    with img:
        width, height = img.size  # from the header; no pixels decoded yet
        if width * height > limit:
            raise ImageRejected(
                f"That photo is {width}×{height} pixels; the limit is {_megapixels(limit)}."
            )
        if draft is not None and img.format in ("JPEG", "MPO"):
            # JPEG draft mode: libjpeg scales by 1/2, 1/4 or 1/8 while decoding (the DCT is
            # cut short), keeping at least `draft` pixels each way. A 12-megapixel photo for a
            # small encoder input decodes several times faster; every byte is still
            # entropy-decoded, so truncated and corrupt files are caught as before.
            img.draft("RGB", draft)
        try:
            # Decode everything now (the first frame of an animation) so truncation shows here.
            # Note: if some code sets ImageFile.LOAD_TRUNCATED_IMAGES = True process-wide,
            # Pillow pads truncated images instead of failing; nothing in Stylist does.
            img.load()
        except Exception:  # noqa: BLE001 - any decoder failure is a broken upload to the user
            log.debug("image failed to decode", exc_info=True)
            raise ImageRejected(CORRUPT) from None
        try:
            oriented = ImageOps.exif_transpose(img)
        except Exception:  # noqa: BLE001 - a broken EXIF block should not cost the photo
            log.debug("ignoring unreadable EXIF orientation", exc_info=True)
            oriented = img
        return _to_rgb(oriented)


def _to_rgb(img: Image.Image) -> Image.Image:
    if img.mode.startswith("I"):
        # 16-bit grey (PNG "I;16", older Pillow "I"): Pillow's I -> L conversion clips at 255
        # (nearly everything turns white), so scale 0..65535 to 0..255 first.
        img = img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.has_transparency_data:
        # Alpha channels (RGBA, LA, PA) and palette/grey/RGB "transparency" entries all become
        # RGBA here; the transparent parts become white, like a product photo background.
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    # P, L, 1, CMYK, YCbCr ...; convert() always returns a new, loaded image (also for RGB),
    # so the caller never holds a reference into the decoder's file object.
    return img.convert("RGB")


def load_image(
    source: bytes | str | Path,
    *,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    draft: tuple[int, int] | None = None,
) -> Image.Image:
    """Validate and decode an untrusted image into a loaded, EXIF-oriented RGB image.

    `source` is the raw bytes or a path (str or Path). Limits default to the settings'
    `upload_max_bytes` / `upload_max_pixels`. Raises `ImageRejected` with a readable sentence.
    `draft=(width, height)`: a JPEG may decode at a reduced scale that still covers that size
    (for a model with a small input); other formats decode in full.
    """
    if max_bytes is None or max_pixels is None:
        settings = get_settings()
        max_bytes = settings.upload_max_bytes if max_bytes is None else max_bytes
        max_pixels = settings.upload_max_pixels if max_pixels is None else max_pixels
    return _decode(_read_source(source, max_bytes), max_pixels, draft)


def covering_size(*sizes: tuple[int, int] | None) -> tuple[int, int] | None:
    """The smallest (width, height) that covers every given size (None: no need), for one
    decode that serves several readers of the same pixels."""
    given = [s for s in sizes if s is not None]
    if not given:
        return None
    return (max(w for w, _ in given), max(h for _, h in given))


def reduced_to_cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` shrunk by the largest whole factor that still covers `size` both ways (what JPEG
    draft mode does while decoding, for a PNG or WebP that decoded in full); `image` itself
    when no factor of 2 or more fits."""
    factor = min(image.width // max(size[0], 1), image.height // max(size[1], 1))
    return image.reduce(factor) if factor >= 2 else image


# --- the store of accepted uploads -----------------------------------------------------------


class ImageStore:
    """Accepted uploads on disk, named by the sha256 of their original bytes.

    Content addressing makes a repeated upload free and makes ids unguessable from each other;
    only ids of exactly 64 lowercase hex characters ever become file names, so an id can never
    walk out of `root`.
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path(self, image_id: str) -> Path:
        if not isinstance(image_id, str) or not _IMAGE_ID.fullmatch(image_id):
            raise ImageRejected(UNKNOWN_ID)
        return self.root / image_id

    def __contains__(self, image_id: object) -> bool:
        try:
            return self.path(image_id).is_file()  # type: ignore[arg-type]
        except ImageRejected:
            return False

    def put(self, data: bytes) -> str:
        """Validate `data` with `load_image`, store it once and return its id."""
        # The pixels are thrown away, so a JPEG is checked at the smallest draft scale (every
        # byte is still decoded).
        return self.put_decoded(data, VALIDATION_DRAFT)[0]

    def put_decoded(
        self, data: bytes, draft: tuple[int, int] | None = None
    ) -> tuple[str, Image.Image]:
        """`put`, also returning the decoded photo (at `draft` scale, see `load_image`): a
        caller about to use the pixels (the encoder) decodes the upload once, not twice."""
        data = bytes(data)
        # Raises ImageRejected; nothing is written for a refused upload.
        image = load_image(data, draft=draft)
        return self._write(data), image

    def _write(self, data: bytes) -> str:
        image_id = hashlib.sha256(data).hexdigest()
        target = self.path(image_id)
        if target.is_file():
            return image_id  # same bytes, same id: already stored
        # Atomic (readers never see half a file; concurrent puts of the same bytes replace
        # identical content) and durable: a photo a person sent survives a crash right after.
        atomic_write_bytes(target, data, durable=True)
        return image_id

    def open(self, image_id: str, draft: tuple[int, int] | None = None) -> Image.Image:
        """The stored photo as RGB, re-validated through `load_image` (`draft`: see there)."""
        path = self.path(image_id)
        if not path.is_file():
            raise ImageRejected(MISSING)
        return load_image(path, draft=draft)


_STORES: ReloadingCache[ImageStore] = ReloadingCache(maxsize=8)


def get_image_store() -> ImageStore:
    """The process-wide store in `settings.uploads_dir` (a new one when that directory changes)."""
    # Resolve so a relative data_dir keeps meaning the directory it meant at first use.
    root = get_settings().uploads_dir.resolve()
    return _STORES.get(root, lambda: ImageStore(root))
