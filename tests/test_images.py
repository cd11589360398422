"""The untrusted-image loader and the upload store, against a corpus of odd and hostile files.

Every file is generated here (Pillow or raw bytes); nothing is downloaded or checked in.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import threading
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image, ImageFile

from stylist import images
from stylist.images import ImageRejected, ImageStore, get_image_store, load_image
from stylist.settings import get_settings

NOT_AN_IMAGE = "That file is not an image I can read (JPEG, PNG, WebP or GIF)."
CORRUPT = "That image seems truncated or corrupt; please upload it again."
EMPTY = "That file is empty; please upload a photo (JPEG, PNG, WebP or GIF)."
UNKNOWN_ID = "That is an unknown photo id; please upload the photo again."
MISSING = "I no longer have that photo; please upload it again."

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)


# --- building the corpus -------------------------------------------------------------------


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **params)
    return buf.getvalue()


def noise(size=(64, 48), seed=0) -> Image.Image:
    """Incompressible pixels, so encoded files are big enough to truncate meaningfully."""
    w, h = size
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(w * h * 3))


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A ~60-byte PNG whose header claims width x height 1-bit pixels (a decompression bomb)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def gif_declaring(width: int, height: int) -> bytes:
    """A tiny real GIF with its logical-screen and frame sizes patched (little-endian)."""
    data = bytearray(encode(Image.new("P", (2, 2)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    frame = data.index(b",")  # image descriptor: ',' left top width height
    data[frame + 5 : frame + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def jpeg_declaring(width: int, height: int) -> bytes:
    """A tiny real JPEG with the SOF0 frame size patched (big-endian height, width)."""
    data = bytearray(encode(Image.new("RGB", (8, 8)), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def rgb(img: Image.Image, xy) -> tuple[int, int, int]:
    return img.getpixel(xy)


def near(a, b, tol=12) -> bool:
    """JPEG/WebP are lossy: compare colours with a tolerance."""
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def reject_message(source, **limits) -> str:
    with pytest.raises(ImageRejected) as err:
        load_image(source, **limits)
    # A sentence for people: no chained Pillow exception, no internals in the text.
    error = err.value
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert "PIL" not in str(err.value) and "Error" not in str(err.value)
    return str(err.value)


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch, tmp_path):
    """Default limits from a clean environment, data dir in tmp_path."""
    for name in ("STYLIST_UPLOAD_MAX_BYTES", "STYLIST_UPLOAD_MAX_PIXELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("STYLIST_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# --- images we accept ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "params", "lossy"),
    [
        ("JPEG", {"quality": 95}, True),
        ("PNG", {}, False),
        ("WEBP", {"lossless": True}, False),
        ("WEBP", {"quality": 90}, True),
        ("GIF", {}, False),
    ],
)
def test_accepts_the_allowed_formats(fmt, params, lossy):
    src = Image.new("RGB", (40, 30), BLUE)
    src.paste(RED, (0, 0, 20, 30))
    out = load_image(encode(src, fmt, **params))
    assert out.mode == "RGB" and out.size == (40, 30)
    if lossy:
        assert near(rgb(out, (5, 15)), RED) and near(rgb(out, (35, 15)), BLUE)
    else:
        assert rgb(out, (5, 15)) == RED and rgb(out, (35, 15)) == BLUE


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animation_gives_the_first_frame(fmt):
    frames = [Image.new("RGB", (16, 16), colour) for colour in (RED, GREEN, BLUE)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 3  # really animated
    out = load_image(data)
    assert out.mode == "RGB" and near(rgb(out, (8, 8)), RED, tol=4)


def test_exif_orientation_is_applied():
    # Stored 40 wide x 20 high with a red marker top-left; orientation 6 means "rotate 90°
    # clockwise to display", so the photo shows 20 x 40 with the marker top-right.
    src = Image.new("RGB", (40, 20), BLUE)
    src.paste(RED, (0, 0, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = load_image(encode(src, "JPEG", quality=95, exif=exif.tobytes()))
    assert out.size == (20, 40)
    assert near(rgb(out, (15, 4)), RED)  # top-right
    assert near(rgb(out, (4, 4)), BLUE)  # top-left is background now


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize(
    "exif",
    [
        pytest.param(b"Exif\x00\x00garbage-garbage", id="garbage"),
        pytest.param(b"Exif\x00\x00II*\x00\xff\xff\xff\x7f", id="offset-past-end"),
        pytest.param(
            b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01"
            b"\x00\x09\x00\x00",
            id="orientation-9",
        ),
    ],
)
def test_broken_exif_does_not_cost_the_photo(exif):
    out = load_image(encode(Image.new("RGB", (12, 8), RED), "JPEG", exif=exif))
    assert out.size == (12, 8) and near(rgb(out, (6, 4)), RED)


def test_multi_picture_jpeg_from_a_phone_gives_the_first_picture():
    first, second = Image.new("RGB", (16, 16), RED), Image.new("RGB", (16, 16), BLUE)
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    assert near(rgb(load_image(data), (8, 8)), RED)


def test_palette_png_with_transparency_becomes_white():
    src = Image.new("P", (4, 1))
    src.putpalette(list(RED) + list(GREEN) + [0] * 762)
    src.putpixel((0, 0), 0)
    src.putpixel((1, 0), 1)
    data = encode(src, "PNG", transparency=0)  # palette entry 0 (red) is transparent
    assert Image.open(io.BytesIO(data)).mode == "P"
    out = load_image(data)
    assert rgb(out, (0, 0)) == WHITE and rgb(out, (1, 0)) == GREEN


def test_palette_png_with_per_entry_alpha():
    src = Image.new("P", (3, 1))
    src.putpalette(list(RED) + list(GREEN) + list(BLUE) + [0] * 759)
    for x in range(3):
        src.putpixel((x, 0), x)
    out = load_image(encode(src, "PNG", transparency=bytes([0, 255, 0])))
    assert [rgb(out, (x, 0)) for x in range(3)] == [WHITE, GREEN, WHITE]


def test_greyscale_with_alpha_la():
    src = Image.new("LA", (3, 1))
    src.putpixel((0, 0), (0, 0))  # black, fully transparent
    src.putpixel((1, 0), (0, 255))  # black, opaque
    src.putpixel((2, 0), (0, 128))  # black, half transparent -> mid grey
    out = load_image(encode(src, "PNG"))
    assert rgb(out, (0, 0)) == WHITE and rgb(out, (1, 0)) == BLACK
    assert near(rgb(out, (2, 0)), (127, 127, 127), tol=2)


def test_rgba_transparent_pixels_become_white():
    src = Image.new("RGBA", (3, 1), (255, 0, 0, 0))
    src.putpixel((1, 0), (0, 0, 255, 255))
    src.putpixel((2, 0), (0, 0, 0, 128))
    for fmt in ("PNG", "WEBP"):
        out = load_image(encode(src, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
        assert rgb(out, (0, 0)) == WHITE and rgb(out, (1, 0)) == BLUE
        assert near(rgb(out, (2, 0)), (127, 127, 127), tol=2)


def test_greyscale_and_rgb_with_a_transparent_colour():
    grey = Image.new("L", (2, 1), 0)
    grey.putpixel((1, 0), 100)
    out = load_image(encode(grey, "PNG", transparency=0))
    assert rgb(out, (0, 0)) == WHITE and rgb(out, (1, 0)) == (100, 100, 100)

    colour = Image.new("RGB", (2, 1), RED)
    colour.putpixel((1, 0), GREEN)
    out = load_image(encode(colour, "PNG", transparency=RED))
    assert rgb(out, (0, 0)) == WHITE and rgb(out, (1, 0)) == GREEN


def test_16_bit_greyscale_png_is_scaled_not_clipped():
    src = Image.new("I;16", (3, 1))
    for x, value in enumerate((65535, 32768, 300)):
        src.putpixel((x, 0), value)
    data = encode(src, "PNG")
    assert Image.open(io.BytesIO(data)).mode in ("I;16", "I")
    out = load_image(data)
    assert [rgb(out, (x, 0)) for x in range(3)] == [WHITE, (128, 128, 128), (1, 1, 1)]


@pytest.mark.parametrize(
    ("mode", "colour", "fmt", "expected"),
    [
        ("CMYK", (0, 255, 255, 0), "JPEG", RED),
        ("L", 200, "JPEG", (200, 200, 200)),
        ("L", 200, "PNG", (200, 200, 200)),
        ("1", 1, "PNG", WHITE),
        ("RGB", GREEN, "PNG", GREEN),
    ],
)
def test_other_modes_become_rgb(mode, colour, fmt, expected):
    data = encode(Image.new(mode, (16, 16), colour), fmt)
    assert Image.open(io.BytesIO(data)).mode == mode
    out = load_image(data)
    assert out.mode == "RGB" and near(rgb(out, (8, 8)), expected, tol=3)


def test_palette_with_alpha_in_memory_mode_pa():
    # PNG cannot store "PA", so check the conversion step on its own.
    src = Image.new("PA", (2, 1))
    src.putpalette(list(RED) + list(GREEN) + [0] * 762)
    src.putpixel((0, 0), (0, 0))
    src.putpixel((1, 0), (1, 255))
    out = images._to_rgb(src)
    assert rgb(out, (0, 0)) == WHITE and rgb(out, (1, 0)) == GREEN


def test_result_is_loaded_and_independent_of_the_source():
    out = load_image(encode(noise(), "PNG"))
    assert not isinstance(out, ImageFile.ImageFile)  # a plain, fully decoded image
    out.copy().load()


# --- the format comes from the bytes, never from the name --------------------------------------


@pytest.mark.parametrize(
    ("fmt", "name"),
    [("PNG", "photo.jpg"), ("JPEG", "photo.png"), ("WEBP", "photo.gif"), ("GIF", "noextension")],
)
def test_format_is_decided_from_the_content(tmp_path, fmt, name):
    path = tmp_path / name
    path.write_bytes(encode(Image.new("RGB", (8, 8), RED), fmt))
    for source in (path, str(path)):
        out = load_image(source)
        assert out.size == (8, 8) and near(rgb(out, (4, 4)), RED)


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("photo.jpg", b"not really")
    return buf.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)
EXE = b"MZ\x90\x00\x03" + bytes(59) + b"PE\x00\x00" + bytes(200)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(random.Random(1).randbytes(4096), id="random-bytes"),
        pytest.param(b"Hello, this is a text file.\n" * 10, id="text"),
        pytest.param(b"<!DOCTYPE html><html><body><img src=x></body></html>", id="html"),
        pytest.param(
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" '
            b'height="10"><rect width="10" height="10"/></svg>',
            id="svg",
        ),
        pytest.param(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", id="pdf"),
        pytest.param(zip_bytes(), id="zip"),
        pytest.param(ELF, id="elf"),
        pytest.param(EXE, id="windows-exe"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="png-signature-only"),
        pytest.param(b"\xff\xd8\xff", id="jpeg-soi-only"),
        pytest.param(b"GIF89a", id="gif-magic-only"),
    ],
)
def test_not_an_image(tmp_path, data):
    assert reject_message(data) == NOT_AN_IMAGE
    renamed = tmp_path / "photo.jpg"  # a disguise does not help
    renamed.write_bytes(data)
    assert reject_message(renamed) == NOT_AN_IMAGE


def test_zero_bytes(tmp_path):
    assert reject_message(b"") == EMPTY
    (tmp_path / "empty.png").write_bytes(b"")
    assert reject_message(tmp_path / "empty.png") == EMPTY


@pytest.mark.parametrize(
    ("fmt", "params", "name"),
    [
        ("BMP", {}, "BMP"),
        ("TIFF", {}, "TIFF"),
        ("TIFF", {"compression": "tiff_lzw"}, "TIFF"),
        ("ICO", {}, "icon (ICO)"),
    ],
)
def test_known_but_refused_formats_are_named(tmp_path, fmt, params, name):
    data = encode(Image.new("RGB", (16, 16), RED), fmt, **params)
    expected = f"That is a {name} image, which I can't use; please send a JPEG, PNG, WebP or GIF."
    assert reject_message(data) == expected
    disguised = tmp_path / "photo.jpg"
    disguised.write_bytes(data)
    assert reject_message(disguised) == expected


# --- truncated and corrupt ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_files(fmt, keep):
    data = encode(noise((96, 96)), fmt)
    assert reject_message(data[: int(len(data) * keep)]) == CORRUPT


def test_corrupt_png_data():
    data = bytearray(encode(noise(), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 10 : idat + 60] = bytes(50)  # scribble over the compressed stream (CRC fails)
    assert reject_message(bytes(data)) == CORRUPT


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_declaring(64, 64), id="too-little-pixel-data"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n"
            + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 16, 16, 1, 0, 0, 0, 0))
            + png_chunk(b"IEND", b""),
            id="no-pixel-data",
        ),
    ],
)
def test_png_header_without_enough_pixels(data):
    assert reject_message(data) == CORRUPT


# --- size limits -------------------------------------------------------------------------------


def test_too_many_bytes():
    data = encode(noise((64, 64)), "PNG")  # ~12 KB of incompressible pixels
    assert len(data) > 10 * 1024
    size_kb = -(-len(data) * 10 // 1024) / 10  # rounded up to a tenth
    assert reject_message(data, max_bytes=10 * 1024) == (
        f"That image is too large ({size_kb:g} KB); the limit is 10 KB."
    )
    assert load_image(data, max_bytes=len(data)).size == (64, 64)  # the limit is inclusive


def test_byte_limit_comes_from_settings(monkeypatch):
    data = encode(noise((64, 64)), "PNG")
    monkeypatch.setenv("STYLIST_UPLOAD_MAX_BYTES", "2048")
    get_settings.cache_clear()
    assert "the limit is 2 KB." in reject_message(data)


def test_huge_file_on_disk_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.jpg"
    with path.open("wb") as f:
        f.truncate(12 * 1024**3)  # sparse: 12 GB claimed, nothing allocated; reading would hang
    assert reject_message(path) == "That image is too large (12 GB); the limit is 10 MB."


def test_device_that_never_ends_is_read_only_up_to_the_limit():
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    assert reject_message("/dev/zero", max_bytes=4096) == (
        "That image is larger than the 4 KB limit."
    )


def test_missing_and_unreadable_paths(tmp_path):
    assert reject_message(tmp_path / "nope.jpg") == "I could not find that image file."
    assert reject_message(tmp_path) == "I could not read that image file."


def test_wrong_argument_type_is_a_programming_error():
    with pytest.raises(TypeError):
        load_image(12345)  # type: ignore[arg-type]


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail loudly if anything starts decoding pixels (the bomb must be refused before)."""
    calls = []
    real_load = ImageFile.ImageFile.load

    def spy(self):
        calls.append(self.size)
        return real_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    yield calls
    assert calls == [], "pixels were decoded"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # Within Pillow's own limits: our check names the dimensions.
        (png_declaring(7000, 7000), "That photo is 7000×7000 pixels; the limit is 40 megapixels."),
        (gif_declaring(9000, 5000), "That photo is 9000×5000 pixels; the limit is 40 megapixels."),
        (jpeg_declaring(8000, 6000), "That photo is 8000×6000 pixels; the limit is 40 megapixels."),
        # Far beyond them (20000 x 20000 = 400 MP): Pillow refuses before telling the size.
        (
            png_declaring(20000, 20000),
            "That image has too many pixels; the limit is 40 megapixels.",
        ),
        (
            jpeg_declaring(65535, 65535),
            "That image has too many pixels; the limit is 40 megapixels.",
        ),
    ],
    ids=["png-49MP", "gif-45MP", "jpeg-48MP", "png-400MP", "jpeg-4GP"],
)
def test_decompression_bombs_are_refused_before_decoding(no_decoding, data, expected):
    assert len(data) < 1000  # a tiny file ...
    assert reject_message(data) == expected  # ... that is refused from its header alone


def test_pixel_limit_is_an_argument_and_a_setting(monkeypatch, no_decoding):
    data = png_declaring(3000, 1000)
    assert reject_message(data, max_pixels=2_000_000) == (
        "That photo is 3000×1000 pixels; the limit is 2 megapixels."
    )
    monkeypatch.setenv("STYLIST_UPLOAD_MAX_PIXELS", "2500000")
    get_settings.cache_clear()
    assert reject_message(data) == "That photo is 3000×1000 pixels; the limit is 2.5 megapixels."


def test_pillows_warning_zone_is_refused_even_with_a_higher_limit(no_decoding):
    # 10000 x 10000 = 100 MP: over Pillow's MAX_IMAGE_PIXELS (~89.5 MP), where it only warns.
    # Asking for a 150 MP limit does not let it through; Pillow's limit still applies.
    with pytest.warns(Image.DecompressionBombWarning):
        message = reject_message(png_declaring(10000, 10000), max_pixels=150_000_000)
    assert message == "That photo is 10000×10000 pixels; the limit is 89.5 megapixels."


def test_exactly_at_the_pixel_limit_is_accepted():
    assert load_image(encode(noise((50, 20)), "PNG"), max_pixels=1000).size == (50, 20)
    assert "50×20" in reject_message(encode(noise((50, 20)), "PNG"), max_pixels=999)


# --- the store -------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path) -> ImageStore:
    return ImageStore(tmp_path / "uploads")


def test_store_put_and_open(store):
    data = encode(noise(), "PNG")
    image_id = store.put(data)
    assert image_id == hashlib.sha256(data).hexdigest()
    assert image_id in store
    assert store.path(image_id) == store.root / image_id
    assert store.path(image_id).read_bytes() == data  # the original bytes, untouched
    out = store.open(image_id)
    assert out.mode == "RGB" and out.tobytes() == noise().tobytes()


def test_store_keeps_one_copy(store):
    data = encode(noise(), "JPEG")
    first = store.put(data)
    stamp = store.path(first).stat().st_mtime_ns
    assert store.put(data) == first
    assert store.path(first).stat().st_mtime_ns == stamp  # a no-op, not a rewrite
    assert [p.name for p in store.root.iterdir()] == [first]


def test_store_concurrent_puts(store):
    # 12 threads, 3 distinct photos, all released at once to race on the same files.
    blobs = [encode(noise(seed=i % 3), "PNG") for i in range(12)]
    barrier = threading.Barrier(len(blobs))

    def put(blob):
        barrier.wait(timeout=5)
        return store.put(blob)

    with ThreadPoolExecutor(len(blobs)) as pool:
        ids = list(pool.map(put, blobs))
    assert len(set(ids)) == 3
    assert sorted(p.name for p in store.root.iterdir()) == sorted(set(ids))  # no temp files left


def test_store_refuses_bad_uploads_and_writes_nothing(store):
    with pytest.raises(ImageRejected, match="not an image"):
        store.put(b"<html>hi</html>")
    with pytest.raises(ImageRejected, match="pixels"):
        store.put(png_declaring(20000, 20000))
    assert not store.root.exists() or not any(store.root.iterdir())


@pytest.mark.parametrize(
    "bad_id",
    [
        "",
        "abc",
        "../../etc/passwd",
        "../" + "a" * 61,
        "/etc/passwd",
        "A" * 64,  # upper case is not how we write ids
        "g" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 64 + "\n",
        "a" * 32 + "/" + "a" * 31,
        "a" * 64 + "/../x",
        None,
        42,
    ],
)
def test_store_bad_ids(store, bad_id):
    for call in (store.path, store.open):
        with pytest.raises(ImageRejected) as err:
            call(bad_id)
        assert str(err.value) == UNKNOWN_ID
    assert bad_id not in store


def test_store_missing_id(store):
    with pytest.raises(ImageRejected) as err:
        store.open("0" * 64)
    assert str(err.value) == MISSING
    assert "0" * 64 not in store


def test_store_reopen_still_validates(store):
    image_id = store.put(encode(noise(), "PNG"))
    store.path(image_id).write_bytes(b"tampered")
    with pytest.raises(ImageRejected, match="not an image"):
        store.open(image_id)


def test_get_image_store_follows_the_settings(monkeypatch, tmp_path):
    first = get_image_store()
    assert first.root == (tmp_path / "data" / "uploads").resolve()
    assert get_image_store() is first  # cached
    monkeypatch.setenv("STYLIST_DATA_DIR", str(tmp_path / "elsewhere"))
    get_settings.cache_clear()
    second = get_image_store()
    assert second is not first and second.root == (tmp_path / "elsewhere" / "uploads").resolve()
    image_id = second.put(encode(noise(), "GIF"))
    assert (tmp_path / "elsewhere" / "uploads" / image_id).is_file()
