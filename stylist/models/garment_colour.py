"""The colour of a garment, read from its own pixels.

Catalog photos show one product on a flat, usually white, background. We drop the background
(pixels close to the colour of the image border, and near-white pixels), convert what is left to
CIE Lab, give each garment pixel to the nearest reference colour (`colour_references.json`), and
rank the colour names by their share of the garment. Lab, not RGB, because distances there follow
what people call "the same colour".

Each name has its nominal sRGB value and, where enough labelled photos were there to measure it,
the colour as catalog photos show it (`photo_lab`, measured by `bench/calibrate_garment_colours.py`:
the median garment colour of photos labelled with that name). A pixel goes to the name with the
nearest of either. Small, JPEG-compressed product photos with shading render a "Blue" shirt far
greyer than nominal blue, so nominal values alone call half of all catalog garments Grey; photo
values alone would call a vivid red garment "Rust", the nearest name only measured nominally.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

REFERENCES_PATH = Path(__file__).with_name("colour_references.json")

# Pixels are counted on a thumbnail: colour shares do not need every pixel.
THUMBNAIL_SIDE = 96
# A pixel this close (Lab distance) to the border's colour is background.
BACKGROUND_DISTANCE = 12.0
# A garment smaller than this share of the photo is not trusted to be the garment: a white
# garment on white leaves almost nothing after the background is removed, and the photo's own
# colour (the garment's) is then read from all its non-border pixels.
MIN_GARMENT_SHARE = 0.03
# Lightness counts less than hue and chroma when matching a pixel to a name: shading moves a
# pixel's lightness across the garment, its hue much less.
LIGHTNESS_WEIGHT = 0.3


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB (..., 3) uint8 or [0, 255] floats → CIE Lab (D65)."""
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    to_xyz = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = linear @ to_xyz.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


@lru_cache(maxsize=1)
def reference_colours() -> dict[str, tuple[tuple[float, float, float], ...]]:
    """Every catalog colour name with its reference Lab values: nominal, then as photos show it."""
    table = json.loads(REFERENCES_PATH.read_text(encoding="utf-8"))["colours"]
    references = {}
    for name, entry in table.items():
        nominal = tuple(srgb_to_lab(np.array(entry["rgb"])).tolist())
        photo = entry.get("photo_lab")
        references[name] = (nominal, tuple(photo)) if photo else (nominal,)
    return references


@dataclass(frozen=True)
class ColourPalette:
    """The colour names a catalog uses, with their reference values in Lab."""

    names: tuple[str, ...]
    lab: np.ndarray  # (n_references, 3)
    owner: np.ndarray  # (n_references,) index into names

    @classmethod
    def for_names(cls, names: Iterable[str] | None = None) -> ColourPalette:
        """The references for `names` (names without a reference are skipped); all when None."""
        references = reference_colours()
        kept = tuple(n for n in (references if names is None else names) if n in references)
        if not kept:
            raise ValueError("None of the catalog's colour names has a reference colour.")
        pairs = [(i, lab) for i, name in enumerate(kept) for lab in references[name]]
        return cls(kept, np.array([lab for _, lab in pairs]), np.array([i for i, _ in pairs]))


def garment_pixels(image: Image.Image) -> np.ndarray:
    """The (n, 3) Lab values of the pixels that belong to the garment, not the background."""
    thumb = image.convert("RGB")
    thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    lab = srgb_to_lab(np.asarray(thumb))
    border = np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]])
    background = np.median(border, axis=0)
    distance = np.linalg.norm(lab - background, axis=-1)
    near_white = (lab[..., 0] > 94) & (np.hypot(lab[..., 1], lab[..., 2]) < 4)
    garment = (distance > BACKGROUND_DISTANCE) & ~near_white
    if garment.mean() < MIN_GARMENT_SHARE:
        garment = distance > BACKGROUND_DISTANCE / 3
    if garment.mean() < MIN_GARMENT_SHARE:
        # Nothing stands out from the border: the whole photo is one colour, the garment's.
        return lab.reshape(-1, 3)
    return lab[garment]


def colour_shares(image: Image.Image, palette: ColourPalette) -> list[tuple[str, float]]:
    """Every palette colour with its share of the garment's pixels, largest first."""
    weight = np.array([LIGHTNESS_WEIGHT, 1.0, 1.0])
    pixels = garment_pixels(image) * weight
    references = palette.lab * weight
    nearest = palette.owner[
        np.argmin(np.linalg.norm(pixels[:, None, :] - references[None, :, :], axis=-1), axis=1)
    ]
    counts = np.bincount(nearest, minlength=len(palette.names)) / len(nearest)
    order = np.argsort(-counts, kind="stable")
    return [(palette.names[i], float(counts[i])) for i in order]


def name_colours(
    images: Sequence[Image.Image], palette: ColourPalette, top_k: int = 3
) -> list[list[tuple[str, float]]]:
    """Per image, the top_k colour names with their shares of the garment."""
    return [colour_shares(image, palette)[:top_k] for image in images]


# The garment's colour as a fixed-length feature for a learned colour head: a joint histogram of
# its pixels in Lab (lightness × a × b bins). Unlike `colour_shares` it needs no palette, so the
# same features serve any catalog's colour names; the head learns which bins each name covers.
HISTOGRAM_BINS: tuple[int, int, int] = (4, 6, 6)
_HISTOGRAM_RANGE = ((0.0, 100.0), (-60.0, 60.0), (-60.0, 60.0))
COLOUR_FEATURE_DIM = int(np.prod(HISTOGRAM_BINS))


def colour_histogram(image: Image.Image) -> np.ndarray:
    """(COLOUR_FEATURE_DIM,) float32: the square root of the garment pixels' share per Lab bin
    (the background left out). The square root (Hellinger) lets a small share of a second colour
    count, and gives every photo a unit-length vector."""
    lab = garment_pixels(image)
    clipped = np.clip(
        lab, [r[0] for r in _HISTOGRAM_RANGE], [r[1] - 1e-6 for r in _HISTOGRAM_RANGE]
    )
    counts, _ = np.histogramdd(clipped, bins=HISTOGRAM_BINS, range=_HISTOGRAM_RANGE)
    shares = counts.ravel() / max(len(lab), 1)
    return np.sqrt(shares).astype(np.float32)
