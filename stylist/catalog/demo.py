"""The synthetic demo catalog: a small fashion catalog in the Kaggle "Fashion Product Images" layout.

`generate_demo_catalog` writes `styles.csv` and `images/<id>.jpg` (120x160 portrait JPEGs drawn
procedurally), so that every part of Stylist can be exercised end to end without the real
download. Each picture shows all seven attributes, strongly enough for a small model trained
from scratch to learn them:

- articleType (and so masterCategory / subCategory) by the silhouette, `SILHOUETTES`;
- baseColour by the fill colour of the product, `demo_vocab.json` "colours";
- season by the fabric, `FABRICS`: Summer fine horizontal threads and a hairline outline,
  Fall vertical corduroy ribs, Spring diagonal twill, Winter a mottled boucle and a heavy
  outline;
- usage by the details, `_draw_usage` (placed on `MARK_REGIONS`): Sports contrast side
  stripes (slanted stripes on shoes), Formal a placket with buttons and a sheen, Ethnic gold
  embroidered bands, Party sparkles all over, Casual a patch pocket;
- gender by the cut (width, waist) and the hem trim along every lower edge, `GENDER_CUTS`:
  Men a solid contrast band, Women a scalloped edge, Unisex a plain hem.

Position, scale, rotation, background, lighting and noise vary from picture to picture. The
vocabularies (types and their categories, gender / usage / season weights, colours, brands,
name descriptors) are data in `demo_vocab.json`; the silhouettes are data below.

Everything is derived from the seed: the same seed gives a byte-identical styles.csv and
identical pictures.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageChops, ImageDraw, ImageFilter
from tqdm import tqdm

from stylist.catalog.schema import STYLES_COLUMNS

VOCAB_PATH = Path(__file__).with_name("demo_vocab.json")

IMAGE_SIZE = (120, 160)  # (width, height): 2x the real catalog's 60x80 thumbnails
JPEG_QUALITY = 90
COMMA_NAME_FRACTION = 0.02  # names such as "Puma Men Black, Grey Sports Shoes"

_SS = 2  # pictures are drawn at 2x and downsampled, which anti-aliases every edge
_W, _H = IMAGE_SIZE[0] * _SS, IMAGE_SIZE[1] * _SS
_ROOT_SEED = 0x5CA7  # separates the image streams from the catalog stream of the same seed

Point = tuple[float, float]


@lru_cache(maxsize=1)
def load_vocab() -> dict[str, Any]:
    """The vocabularies of the demo catalog (types, colours, brands, descriptors)."""
    return json.loads(VOCAB_PATH.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------------------------
# Silhouettes. Object coordinates: x in [-50, 50] (right), y in [-70, 70] (down); one unit is
# one pixel of the 120x160 picture at scale 1. A type is a list of parts drawn in order; a part
# is (role, polygon) with role
#   fill   the product's colour, fabric texture and usage details,
#   shade  the product's colour, darker (linings, straps),
#   light / dark / metal   fixed trims (soles, dials, buckles),
#   hole   cut back to the background,
#   seam   a polyline stitched in the outline colour (then the polygon is an open line).
# --------------------------------------------------------------------------------------------


def _mirror(*half: Point) -> list[Point]:
    """A left-right symmetric polygon from its right half, listed from top centre to bottom centre."""
    return [*half, *[(-x, y) for x, y in reversed(half) if x != 0]]


def _flip(points: Sequence[Point]) -> list[Point]:
    return [(-x, y) for x, y in points]


def _shift(points: Sequence[Point], dx: float = 0.0, dy: float = 0.0) -> list[Point]:
    return [(x + dx, y + dy) for x, y in points]


def _ellipse(
    cx: float, cy: float, rx: float, ry: float, a0: float = 0, a1: float = 360, steps: int = 48
) -> list[Point]:
    angles = np.linspace(math.radians(a0), math.radians(a1), steps, endpoint=(a1 - a0) < 360)
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in angles]


def _rect(x0: float, y0: float, x1: float, y1: float, r: float = 0.0) -> list[Point]:
    if r <= 0:
        return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    pts: list[Point] = []
    for cx, cy, a0 in (
        (x1 - r, y0 + r, 270),
        (x1 - r, y1 - r, 0),
        (x0 + r, y1 - r, 90),
        (x0 + r, y0 + r, 180),
    ):
        pts += _ellipse(cx, cy, r, r, a0, a0 + 90, steps=6)[:-1] + [
            (cx + r * math.cos(math.radians(a0 + 90)), cy + r * math.sin(math.radians(a0 + 90)))
        ]
    return pts


def _smooth(points: Sequence[Point], rounds: int = 2) -> list[Point]:
    """Chaikin corner cutting: soft, organic outlines for shoes and soles."""
    pts = list(points)
    for _ in range(rounds):
        out: list[Point] = []
        for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1], strict=True):
            out += [
                (0.75 * x0 + 0.25 * x1, 0.75 * y0 + 0.25 * y1),
                (0.25 * x0 + 0.75 * x1, 0.25 * y0 + 0.75 * y1),
            ]
        pts = out
    return pts


def _foot(cx: float, waist: float) -> list[Point]:
    """A sole seen from above (left foot when cx < 0)."""
    half = [(12, -62), (16, -44), (waist, -8), (waist - 1, 12), (15, 38), (14, 56), (0, 64)]
    right = [(0, -64), *half]
    pts = [*right, *[(-x, y) for x, y in reversed(right[1:-1])]]
    return _smooth(_shift(pts if cx > 0 else _flip(pts), cx))


_SHIRT_COLLAR = [(1, -60), (13, -65), (16, -50), (2, -45)]
_BACKPACK_STRAP = [(28, -40), (44, -34), (47, 34), (38, 44), (34, 0)]

SILHOUETTES: dict[str, list[tuple[str, list[Point]]]] = {
    "Tshirts": [
        (
            "fill",
            _mirror(
                (0, -54),
                (9, -56),
                (15, -64),
                (33, -59),
                (50, -38),
                (41, -26),
                (32, -35),
                (32, 64),
                (0, 64),
            ),
        ),
        ("seam", [(32, -35), (33, -58)]),
        ("seam", [(-32, -35), (-33, -58)]),
    ],
    "Shirts": [
        (
            "fill",
            _mirror(
                (0, -54),
                (12, -62),
                (31, -58),
                (44, -34),
                (50, 34),
                (40, 36),
                (34, -16),
                (31, -20),
                (31, 60),
                (22, 66),
                (0, 68),
            ),
        ),
        ("fill", _SHIRT_COLLAR),
        ("fill", _flip(_SHIRT_COLLAR)),
        ("fill", [(40, 36), (50, 34), (49, 26), (39, 28)]),
        ("fill", [(-40, 36), (-50, 34), (-49, 26), (-39, 28)]),
    ],
    "Tops": [
        (
            "fill",
            _mirror(
                (0, -34),
                (13, -45),
                (14, -62),
                (22, -62),
                (23, -46),
                (30, -34),
                (25, 4),
                (42, 40),
                (0, 42),
            ),
        ),
        ("seam", [(-25, 4), (25, 4)]),
    ],
    "Sweaters": [
        (
            "fill",
            _mirror(
                (0, -56),
                (12, -62),
                (34, -58),
                (46, -48),
                (50, 44),
                (38, 46),
                (36, -26),
                (31, -22),
                (31, 54),
                (0, 54),
            ),
        ),
        ("fill", _rect(-32, 52, 32, 64, 2)),
        ("fill", [(38, 46), (50, 44), (50, 56), (38, 58)]),
        ("fill", [(-38, 46), (-50, 44), (-50, 56), (-38, 58)]),
        ("shade", _ellipse(0, -60, 12, 6, 0, 180, steps=12) + [(-12, -60)]),
    ],
    "Jackets": [
        ("fill", _ellipse(0, -54, 21, 17)),
        ("shade", _ellipse(0, -52, 12, 11)),
        (
            "fill",
            _mirror(
                (0, -42),
                (14, -50),
                (36, -50),
                (48, -24),
                (50, 50),
                (39, 52),
                (36, -8),
                (33, -10),
                (34, 62),
                (0, 62),
            ),
        ),
        ("seam", [(0, -42), (0, 62)]),
    ],
    "Kurtas": [
        (
            "fill",
            _mirror(
                (0, -60),
                (7, -64),
                (24, -60),
                (40, -34),
                (46, 14),
                (38, 16),
                (31, -24),
                (29, -22),
                (31, 42),
                (27, 48),
                (36, 70),
                (0, 70),
            ),
        ),
        ("fill", _rect(-7, -68, 7, -60)),
        ("seam", [(0, -60), (0, -30)]),
    ],
    "Dresses": [
        (
            "fill",
            _mirror(
                (0, -44),
                (9, -50),
                (11, -68),
                (15, -68),
                (17, -50),
                (22, -40),
                (17, -14),
                (46, 66),
                (24, 70),
                (0, 70),
            ),
        ),
        ("seam", [(-17, -14), (17, -14)]),
    ],
    "Jeans": [
        ("fill", _mirror((0, -58), (30, -58), (33, -36), (27, 68), (7, 68), (2, -18), (0, -20))),
        ("fill", _rect(-30, -66, 30, -57)),
        ("seam", [(30, -54), (24, -50), (18, -57)]),
        ("seam", [(-30, -54), (-24, -50), (-18, -57)]),
        ("seam", [(0, -57), (0, -28)]),
    ],
    "Trousers": [
        ("fill", _mirror((0, -58), (32, -58), (37, -36), (42, 68), (12, 68), (3, -16), (0, -18))),
        ("fill", _rect(-32, -66, 32, -57)),
        ("seam", [(21, -50), (27, 66)]),
        ("seam", [(-21, -50), (-27, 66)]),
    ],
    "Shorts": [
        ("fill", _mirror((0, -38), (34, -38), (38, -16), (44, 30), (8, 34), (3, 0), (0, -2))),
        ("fill", _rect(-34, -46, 34, -37)),
        ("seam", [(0, -37), (0, -12)]),
    ],
    "Skirts": [
        ("fill", _mirror((0, -40), (25, -40), (46, 46), (24, 50), (0, 51))),
        ("fill", _rect(-26, -48, 26, -39)),
        ("seam", [(9, -39), (14, 49)]),
        ("seam", [(-9, -39), (-14, 49)]),
    ],
    "Casual Shoes": [
        ("light", _smooth(_rect(-50, 16, 48, 30, 4), 1)),
        (
            "fill",
            _smooth(
                [
                    (-48, 18),
                    (-49, 6),
                    (-40, -2),
                    (-22, -8),
                    (-6, -18),
                    (4, -28),
                    (22, -32),
                    (32, -28),
                    (44, -26),
                    (48, -8),
                    (47, 18),
                ]
            ),
        ),
        ("seam", [(-30, -4), (-34, 18)]),
        ("seam", [(-8, -14), (0, -8)]),
        ("seam", [(-2, -20), (6, -13)]),
        ("seam", [(4, -25), (12, -19)]),
    ],
    "Formal Shoes": [
        ("dark", _rect(28, 16, 46, 30)),
        ("dark", [(-54, 16), (46, 16), (46, 22), (-52, 22)]),
        (
            "fill",
            _smooth(
                [
                    (-54, 17),
                    (-50, 6),
                    (-32, -4),
                    (-10, -14),
                    (6, -24),
                    (24, -28),
                    (40, -28),
                    (47, -22),
                    (46, 17),
                ]
            ),
        ),
        ("seam", [(-30, 1), (-32, 16)]),
        ("seam", [(-4, -12), (12, -10)]),
    ],
    "Sports Shoes": [
        ("light", _smooth([(-50, 12), (48, 12), (48, 32), (-44, 32), (-51, 24)], 1)),
        ("seam", [(-44, 24), (-28, 20), (-12, 26), (6, 20), (22, 26), (40, 20)]),
        (
            "fill",
            _smooth(
                [
                    (-50, 14),
                    (-47, 2),
                    (-32, -8),
                    (-12, -16),
                    (2, -30),
                    (20, -38),
                    (34, -36),
                    (40, -48),
                    (48, -46),
                    (48, 14),
                ]
            ),
        ),
        ("seam", [(-2, -24), (8, -18)]),
        ("seam", [(8, -30), (16, -24)]),
    ],
    "Heels": [
        (
            "fill",
            _smooth(
                [
                    (-50, 26),
                    (-50, 12),
                    (-40, 2),
                    (-20, -6),
                    (0, -12),
                    (40, -40),
                    (48, -36),
                    (46, -10),
                    (30, -2),
                    (0, 16),
                    (-22, 28),
                ],
                1,
            ),
        ),
        ("fill", [(35, -10), (46, -13), (42, 42), (38, 42)]),
        ("dark", _rect(37, 40, 43, 44)),
    ],
    "Flip Flops": [
        ("fill", _foot(-23, 11)),
        ("fill", _foot(23, 11)),
        ("shade", [(-23, -42), (-36, -6), (-33, -5), (-23, -38), (-13, -5), (-10, -6)]),
        ("shade", [(23, -42), (10, -6), (13, -5), (23, -38), (33, -5), (36, -6)]),
    ],
    "Sandals": [
        ("fill", _smooth(_rect(-40, -62, -8, 62, 12), 1)),
        ("fill", _smooth(_rect(8, -62, 40, 62, 12), 1)),
        ("fill", _rect(-45, -40, -3, -26, 4)),
        ("fill", _rect(3, -40, 45, -26, 4)),
        ("fill", _rect(-45, -8, -3, 6, 4)),
        ("fill", _rect(3, -8, 45, 6, 4)),
        ("fill", _rect(-44, 36, -4, 44, 3)),
        ("fill", _rect(4, 36, 44, 44, 3)),
        ("metal", _rect(-8, -4, -3, 2)),
        ("metal", _rect(40, -4, 45, 2)),
    ],
    "Handbags": [
        ("fill", _ellipse(0, -24, 25, 32)),
        ("hole", _ellipse(0, -24, 18, 25)),
        ("fill", [(-31, -22), (31, -22), (46, 48), (42, 52), (-42, 52), (-46, 48)]),
        ("fill", [(-31, -22), (31, -22), (34, 0), (0, 10), (-34, 0)]),
        ("metal", _rect(-4, 4, 4, 12, 1)),
    ],
    "Backpacks": [
        ("shade", _BACKPACK_STRAP),
        ("shade", _flip(_BACKPACK_STRAP)),
        ("fill", _ellipse(0, -54, 11, 11)),
        ("hole", _ellipse(0, -54, 6, 6)),
        ("fill", _rect(-35, -52, 35, 64, 20)),
        ("fill", _rect(-25, 14, 25, 56, 10)),
        ("seam", [(-22, 22), (22, 22)]),
    ],
    "Watches": [
        ("fill", _rect(-15, -70, 15, 70, 4)),
        ("fill", _ellipse(0, 0, 32, 32)),
        ("metal", _rect(31, -5, 37, 5, 1)),
        ("light", _ellipse(0, 0, 22, 22)),
        ("seam", [(0, -19), (0, -14)]),
        ("seam", [(19, 0), (14, 0)]),
        ("seam", [(0, 19), (0, 14)]),
        ("seam", [(-19, 0), (-14, 0)]),
        ("seam", [(0, 0), (0, -15)]),
        ("seam", [(0, 0), (10, 5)]),
    ],
    "Belts": [
        ("fill", _ellipse(0, 10, 47, 47)),
        ("hole", _ellipse(0, 10, 24, 24)),
        ("fill", [(-7, -20), (7, -20), (7, 12), (0, 20), (-7, 12)]),
        ("metal", _rect(-13, -48, 13, -28, 2)),
        ("hole", _rect(-8, -44, 8, -32)),
        ("seam", [(0, -38), (0, -32)]),
        ("dark", _ellipse(0, -6, 2, 2, steps=8)),
        ("dark", _ellipse(0, 4, 2, 2, steps=8)),
    ],
    "Caps": [
        ("fill", _ellipse(8, 14, 38, 48, 180, 360, steps=32)),
        ("fill", _smooth([(-28, 8), (-52, 18), (-50, 28), (-30, 24), (46, 18), (46, 12)], 1)),
        ("seam", [(8, -33), (-14, 12)]),
        ("seam", [(8, -33), (30, 13)]),
        ("metal", _ellipse(8, -34, 5, 3, steps=12)),
    ],
    "Sunglasses": [
        ("fill", [(-8, -22), (8, -22), (8, -14), (-8, -14)]),
        ("fill", _smooth([(-49, -22), (-5, -24), (-6, 12), (-14, 24), (-38, 24), (-47, 12)], 1)),
        ("fill", _smooth([(49, -22), (5, -24), (6, 12), (14, 24), (38, 24), (47, 12)], 1)),
        ("dark", _rect(-52, -24, -46, -16)),
        ("dark", _rect(46, -24, 52, -16)),
    ],
}

# Gender: the cut (width, a waist on garments that have one) and the hem trim along every
# lower edge of the product. Men: a solid contrast band; Women: a scalloped lace edge;
# Unisex: a plain hem.
GENDER_CUTS: dict[str, dict[str, Any]] = {
    "Men": {"width": 1.06, "waist": 0.0, "trim": "band"},
    "Women": {"width": 0.9, "waist": 0.14, "trim": "scallop"},
    "Unisex": {"width": 1.0, "waist": 0.0, "trim": None},
}
# y of the waist (object units) for the garments whose cut has one.
WAISTS: dict[str, float] = {
    "Tshirts": 10,
    "Shirts": 10,
    "Sweaters": 10,
    "Jackets": 10,
    "Kurtas": 0,
    "Tops": 0,
    "Dresses": -14,
}

# Season: the fabric. Texture period is in object units; the outline width too.
FABRICS: dict[str, dict[str, Any]] = {
    "Summer": {"texture": "fine_weave", "period": 7.0, "amplitude": 0.32, "outline": 0.8},
    "Fall": {"texture": "corduroy", "period": 9.0, "amplitude": 0.38, "outline": 2.4},
    "Winter": {"texture": "boucle", "period": 8.0, "amplitude": 0.42, "outline": 4.5},
    "Spring": {"texture": "twill", "period": 9.0, "amplitude": 0.36, "outline": 1.4},
}

_TRIM_COLOURS = {"light": (238, 236, 230), "dark": (48, 42, 40), "metal": (182, 182, 190)}
_GOLD = np.array([214, 172, 62], float)
_EMBROIDERY = np.array([150, 24, 40], float)


# --------------------------------------------------------------------------------------------
# Catalog metadata
# --------------------------------------------------------------------------------------------


def _pick(rng: np.random.Generator, weights: Mapping[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def _balanced(rng: np.random.Generator, values: Sequence[str], n: int) -> list[str]:
    """n values with every value as often as possible (counts differ by at most one), shuffled."""
    out = [values[i % len(values)] for i in range(n)]
    order = rng.permutation(n)
    return [out[i] for i in order]


def _product_name(rng: np.random.Generator, row: Mapping[str, Any], comma: bool) -> str:
    vocab = load_vocab()
    kind = vocab["types"][row["articleType"]]
    type_name = kind["name"]
    usage = row["usage"]
    brands = vocab["type_brands"].get(row["articleType"])
    if not brands or rng.random() < 0.25:
        brands = vocab["brands"][usage]
    brand = brands[int(rng.integers(len(brands)))]
    colour = row["baseColour"]
    if comma:  # a second colour, as in "Puma Men Black, Grey Sports Shoes"
        others = [c for c in vocab["colours"] if c != colour]
        colour = f"{colour}, {others[int(rng.integers(len(others)))]}"
    words = [brand, row["gender"], colour]
    if rng.random() < 0.5:
        fabric = vocab["descriptors"]["season"][row["season"]]
        words.append(fabric[int(rng.integers(len(fabric)))])
    described = vocab["descriptors"]["usage"][usage]
    descriptor = described[int(rng.integers(len(described)))]
    if not any(u in type_name for u in vocab["usages"]):  # not "Sports Sports Shoes"
        words.append(descriptor)
    words.append(type_name)
    return " ".join(words)


def sample_styles(n: int, seed: int = 0) -> pd.DataFrame:
    """The styles.csv table of a demo catalog of n items (no pictures)."""
    if n < 1:
        raise ValueError("A demo catalog needs at least one item.")
    vocab = load_vocab()
    rng = np.random.default_rng([_ROOT_SEED, seed, 1])
    types = _balanced(rng, list(vocab["types"]), n)
    colours = _balanced(rng, list(vocab["colours"]), n)
    ids = rng.choice(np.arange(1000, max(60000, 1000 + 20 * n)), size=n, replace=False)
    n_comma = max(1, round(COMMA_NAME_FRACTION * n)) if n >= 10 else 0
    comma_rows = set(rng.choice(n, size=n_comma, replace=False).tolist())
    y0, y1 = vocab["years"]
    rows = []
    for i in range(n):
        kind = vocab["types"][types[i]]
        row = {
            "id": int(ids[i]),
            "gender": _pick(rng, kind["gender"]),
            "masterCategory": kind["masterCategory"],
            "subCategory": kind["subCategory"],
            "articleType": types[i],
            "baseColour": colours[i],
            "season": _pick(rng, kind.get("season", vocab["default_season"])),
            "year": int(rng.integers(y0, y1 + 1)),
            "usage": _pick(rng, kind["usage"]),
        }
        row["productDisplayName"] = _product_name(rng, row, i in comma_rows)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(STYLES_COLUMNS))


# --------------------------------------------------------------------------------------------
# Pictures
# --------------------------------------------------------------------------------------------


class _Pose:
    """Object units -> supersampled pixels: gender cut, then scale, rotation, translation."""

    def __init__(self, rng: np.random.Generator, width: float, waist: float, waist_y: float | None):
        self.scale = rng.uniform(0.78, 0.92)
        self.angle = math.radians(rng.uniform(-7.0, 7.0))
        self.tx, self.ty = rng.uniform(-5.0, 5.0), rng.uniform(-5.0, 5.0)
        self.width, self.waist, self.waist_y = width, waist, waist_y
        self.cos, self.sin = math.cos(self.angle), math.sin(self.angle)
        self.px = self.scale * _SS  # supersampled pixels per object unit
        # The product is drawn on a crop of the supersampled canvas: its origin and size.
        self.origin: tuple[int, int] = (0, 0)
        self.size: tuple[int, int] = (_W, _H)

    def crop_to(self, pts: np.ndarray, margin: float) -> None:
        """Draw on the smallest even-aligned crop that holds these (uncropped) pixels."""
        x0 = max(0, int(math.floor((pts[:, 0].min() - margin) / _SS)) * _SS)
        y0 = max(0, int(math.floor((pts[:, 1].min() - margin) / _SS)) * _SS)
        x1 = min(_W, int(math.ceil((pts[:, 0].max() + margin) / _SS)) * _SS)
        y1 = min(_H, int(math.ceil((pts[:, 1].max() + margin) / _SS)) * _SS)
        self.origin, self.size = (x0, y0), (x1 - x0, y1 - y0)

    def __call__(self, points: Sequence[Point]) -> list[float]:
        """Points in object units -> a flat [x, y, x, y, ...] list of crop pixels (for PIL)."""
        return self.array(np.asarray(points, float)).ravel().tolist()

    def array(self, pts: np.ndarray) -> np.ndarray:
        """(n, 2) object units -> (n, 2) crop pixels."""
        x, y = pts[:, 0] * self.width, pts[:, 1]
        if self.waist_y is not None:
            x = x * (1.0 - self.waist * np.exp(-(((y - self.waist_y) / 22.0) ** 2)))
        px = IMAGE_SIZE[0] / 2 + self.tx + self.scale * (self.cos * x - self.sin * y)
        py = IMAGE_SIZE[1] / 2 + self.ty + self.scale * (self.sin * x + self.cos * y)
        return np.stack([px * _SS - self.origin[0], py * _SS - self.origin[1]], axis=1)

    def to_object(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, t) with (u, v) = A @ (X, Y) + t from supersampled pixels to object units
        (the waist of the cut is ignored)."""
        a = (
            np.array(
                [
                    [self.cos / (self.scale * self.width), self.sin / (self.scale * self.width)],
                    [-self.sin / self.scale, self.cos / self.scale],
                ]
            )
            / _SS
        )
        t = a @ (
            np.array(self.origin)
            - np.array([IMAGE_SIZE[0] / 2 + self.tx, IMAGE_SIZE[1] / 2 + self.ty]) * _SS
        )
        return a, t

    def sample(self, tile: Image.Image, origin: Point, per_unit: float) -> Image.Image:
        """A tile drawn in object units (origin = tile pixel of object (0, 0), per_unit pixels
        per unit) seen through this pose, at the supersampled size."""
        a, t = self.to_object()
        m = per_unit * a
        c = per_unit * t + np.array(origin)
        return tile.transform(
            self.size,
            Image.Transform.AFFINE,
            (m[0, 0], m[0, 1], c[0], m[1, 0], m[1, 1], c[1]),
            resample=Image.Resampling.NEAREST,
        )


def _luminance(rgb: Sequence[float]) -> float:
    return float(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])


def _rgb(values: Any) -> tuple[int, int, int]:
    r, g, b = (int(round(min(255.0, max(0.0, float(c))))) for c in values)
    return r, g, b


_TILE_UNITS = (160.0, 200.0)  # object units covered by a fabric tile (with room for a phase)
_TILE_RES = 4.0  # tile pixels per object unit


def _texture(kind: str, u: np.ndarray, v: np.ndarray, period: float) -> np.ndarray:
    """Fabric texture in [0, 1] over object coordinates."""
    if kind == "fine_weave":  # thin horizontal threads: a light summer weave
        return np.clip((np.sin(2 * np.pi * v / period) - 0.2) / 0.8, 0, 1)
    if kind == "corduroy":  # vertical ribs
        return 0.5 + 0.5 * np.sin(2 * np.pi * u / period)
    if kind == "twill":  # diagonal wale
        return 0.5 + 0.5 * np.sin(2 * np.pi * (u + v) / (period * math.sqrt(2)))
    if kind == "boucle":  # nubby loops: a heavy winter boucle / tweed, not periodic at all
        noise = np.random.default_rng(_ROOT_SEED).normal(128, 40, u.shape).clip(0, 255)
        blobs = np.asarray(
            Image.fromarray(noise.astype(np.uint8)).filter(
                ImageFilter.GaussianBlur(period / 4 * _TILE_RES)
            ),
            np.float64,
        )
        blobs -= blobs.mean()
        return 1 / (1 + np.exp(-blobs / (blobs.std() * 0.35)))
    raise ValueError(f"Unknown fabric texture {kind!r}.")


@cache
def _fabric_tile(season: str) -> Image.Image:
    """The season's texture over object units, as an "L" tile (255 = full texture)."""
    fabric = FABRICS[season]
    w, h = (round(n * _TILE_RES) for n in _TILE_UNITS)
    v, u = np.mgrid[0:h, 0:w] / _TILE_RES
    tex = _texture(fabric["texture"], u, v, fabric["period"])
    return Image.fromarray(np.round(tex * 255).astype(np.uint8))


@lru_cache(maxsize=1)
def _sheen_tile() -> Image.Image:
    """A soft highlight band across x (sigma 9 units at _TILE_RES), for the formal sheen."""
    x = (np.arange(512) - 256) / _TILE_RES
    band = np.exp(-((x / 9.0) ** 2))
    return Image.fromarray(np.round(np.tile(band, (4, 1)) * 255).astype(np.uint8))


@lru_cache(maxsize=64)
def _scale_lut(factor: float) -> list[int]:
    """A point() table that multiplies an "L" image by factor."""
    return [round(i * factor) for i in range(256)]


@lru_cache(maxsize=1)
def _noise_bank() -> np.ndarray:
    """Gaussian sensor noise to slice from (drawing fresh noise per picture is slow)."""
    return np.random.default_rng(_ROOT_SEED).standard_normal(1 << 20, dtype=np.float32)


@lru_cache(maxsize=1)
def _small_grid() -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0 : IMAGE_SIZE[1], 0 : IMAGE_SIZE[0]].astype(np.float32)
    return ys, xs


def _depth_above_edge(mask: np.ndarray, depth: int) -> np.ndarray:
    """For each pixel of mask, how many pixels of mask follow it straight down (capped at
    depth): 0 on a lower edge. Meaningless outside mask."""
    h = mask.shape[0]
    rows = np.arange(h, dtype=np.int32)[:, None]
    next_gap = np.minimum.accumulate(np.where(mask, h, rows)[::-1], axis=0)[::-1]
    return np.minimum(next_gap - rows - 1, depth)


def _region(parts: Sequence[tuple[str, list[Point]]]) -> tuple[float, float, float, float]:
    pts = np.array([p for role, poly in parts if role == "fill" for p in poly])
    return (
        float(pts[:, 0].min()),
        float(pts[:, 1].min()),
        float(pts[:, 0].max()),
        float(pts[:, 1].max()),
    )


# Where the usage details go (object units, x0, y0, x1, y1), when not the bounding box of the
# fill parts: the flat, visible panels of each product; pairs and glasses get one per piece.
MARK_REGIONS: dict[str, list[tuple[float, float, float, float]]] = {
    "Jackets": [(-50, -42, 50, 62)],
    "Casual Shoes": [(-40, -10, 46, 17)],
    "Formal Shoes": [(-42, -10, 45, 16)],
    "Sports Shoes": [(-40, -12, 46, 13)],
    "Heels": [(-44, -6, 22, 16)],
    "Jeans": [(-33, -58, -2, 68), (2, -58, 33, 68)],
    "Trousers": [(-40, -58, -4, 68), (4, -58, 40, 68)],
    "Shorts": [(-42, -38, -3, 30), (3, -38, 42, 30)],
    "Flip Flops": [(-39, -64, -7, 64), (7, -64, 39, 64)],
    "Sandals": [(-40, -62, -8, 62), (8, -62, 40, 62)],
    "Handbags": [(-44, 8, 44, 52)],
    "Backpacks": [(-35, -52, 35, 64)],
    "Watches": [(-15, -70, 15, 70)],
    "Belts": [(8, -37, 47, 57)],
    "Sunglasses": [(-49, -24, -5, 24), (5, -24, 49, 24)],
}


@cache
def _silhouette_points(article: str) -> tuple[np.ndarray, list[int]]:
    """All the points of a silhouette in one array, and where each part's points start."""
    polys = [np.asarray(poly, float) for _, poly in SILHOUETTES[article]]
    return np.concatenate(polys), np.cumsum([len(p) for p in polys])[:-1].tolist()


def _draw_usage(
    usage: str,
    article: str,
    pose: _Pose,
    fill: np.ndarray,
    tone: np.ndarray,
    rng: np.random.Generator,
    fill_mask: np.ndarray,
) -> Image.Image:
    """The usage details on an RGBA layer (clipped to the product's fill parts later)."""
    layer = Image.new("RGBA", pose.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    px = pose.px

    def line(points: Sequence[Point], width: float, colour: tuple[int, ...]) -> None:
        draw.line(pose(points), fill=colour, width=max(1, round(width * px)), joint="curve")

    def dot(x: float, y: float, r: float, colour: tuple[int, ...]) -> None:
        qx, qy = pose([(x, y)])
        rr = r * px
        draw.ellipse([qx - rr, qy - rr, qx + rr, qy + rr], fill=colour)

    if usage == "Party":  # sparkles: little four-point stars all over the product
        ys_, xs_ = np.nonzero(fill_mask[::4, ::4])
        count = int(np.clip(len(xs_) * 16 / (px * px) / 150, 12, 45))
        # A bright star on a dark halo shows on any colour.
        arm, rr, lw = 4.2 * px, 1.6 * px, max(1, round(1.1 * px))
        halo = max(1, round(0.9 * px))
        for k in rng.choice(len(xs_), size=min(count, len(xs_)), replace=False):
            qx, qy = xs_[k] * 4 + 2, ys_[k] * 4 + 2
            for colour, grow in (((40, 32, 20), halo), ((252, 248, 228), 0)):
                a, r = arm + grow, rr + grow
                draw.line([(qx - a, qy), (qx + a, qy)], fill=colour, width=lw + 2 * grow)
                draw.line([(qx, qy - a), (qx, qy + a)], fill=colour, width=lw + 2 * grow)
                draw.ellipse([qx - r, qy - r, qx + r, qy + r], fill=colour)
        return layer

    contrast = _rgb(tone)
    # Embroidery: gold on a band, or the other way round on gold-like colours.
    band, thread = _GOLD, _EMBROIDERY
    if np.abs(fill - _GOLD).sum() < 150:
        band, thread = _EMBROIDERY, _GOLD
    for x0, y0, x1, y1 in MARK_REGIONS.get(article) or [_region(SILHOUETTES[article])]:
        w, h = x1 - x0, y1 - y0
        cx = (x0 + x1) / 2
        horizontal = w > 1.15 * h
        if usage == "Sports":  # contrast side stripes (upright products), or slanted stripes
            if horizontal:
                for k in (-1, 0, 1):
                    line(
                        [(cx + 12 * k - 0.3 * h, y1 + 4), (cx + 12 * k + 0.3 * h, y0 - 4)],
                        5.0,
                        contrast,
                    )
            else:
                for side in (-1, 1):
                    xs = cx + side * 0.3 * w
                    for off in (-3.4, 3.4):
                        line([(xs + off, y0 - 5), (xs + off, y1 + 5)], 3.6, contrast)
        elif usage == "Formal":  # a placket with buttons (the sheen is added with the fabric)
            placket = _rgb(0.4 * tone + 0.6 * fill)
            button = _rgb(tone)
            if horizontal:
                ys = y0 + 0.45 * h
                line([(cx - 0.36 * w, ys), (cx + 0.36 * w, ys)], min(10.0, 0.45 * h), placket)
                for k in range(4):
                    dot(cx - 0.27 * w + k * 0.18 * w, ys, min(4.5, 0.22 * h), button)
            else:
                line([(cx, y0 + 0.04 * h), (cx, y1 - 0.02 * h)], min(10.0, 0.45 * w), placket)
                for k in range(5):
                    dot(cx, y0 + (0.14 + 0.16 * k) * h, min(4.5, 0.22 * w), button)
        elif usage == "Ethnic":  # embroidered borders: gold bands with a zigzag and dots
            for yc, bh in ((y0 + 0.74 * h, min(15.0, 0.3 * h)), (y0 + 0.16 * h, min(9.0, 0.2 * h))):
                quad = [
                    (x0 - 6, yc - bh / 2),
                    (x1 + 6, yc - bh / 2),
                    (x1 + 6, yc + bh / 2),
                    (x0 - 6, yc + bh / 2),
                ]
                draw.polygon(pose(quad), fill=_rgb(band))
                step = max(3.0, bh * 0.9)
                zig = [
                    (x0 - 6 + k * step, yc + (0.3 if k % 2 else -0.3) * bh)
                    for k in range(int((w + 12) / step) + 2)
                ]
                line(zig, max(1.0, bh * 0.14), _rgb(thread))
                for x, _ in zig[1::2]:
                    dot(x, yc - 0.28 * bh, max(0.8, bh * 0.1), _rgb(thread))
        elif usage == "Casual":  # a patch pocket with contrast stitching
            pw, ph = min(30.0, 0.5 * w), min(27.0, 0.45 * h)
            if horizontal:
                pcx, pcy = cx + rng.uniform(-0.1, 0.1) * w, y0 + 0.5 * h
            else:
                pcx, pcy = cx + rng.choice([-1, 1]) * 0.2 * w, y0 + 0.34 * h
            patch = _rect(pcx - pw / 2, pcy - ph / 2, pcx + pw / 2, pcy + ph / 2, 2.5)
            draw.polygon(pose(patch), fill=_rgb(0.3 * tone + 0.7 * fill))
            line([*patch, patch[0]], 1.8, contrast)
            line(
                [
                    (pcx - pw / 2 + 2.5, pcy - ph / 2 + min(5.0, ph / 3)),
                    (pcx + pw / 2 - 2.5, pcy - ph / 2 + min(5.0, ph / 3)),
                ],
                1.2,
                contrast,
            )
        else:
            raise ValueError(f"Unknown usage {usage!r}.")
    return layer


def render_item(item: Mapping[str, Any], seed: int = 0) -> Image.Image:
    """The 120x160 RGB picture of one catalog row (needs id, gender, articleType, baseColour,
    season, usage). Deterministic for (seed, row)."""
    vocab = load_vocab()
    article, usage, season = item["articleType"], item["usage"], item["season"]
    rng = np.random.default_rng([_ROOT_SEED, seed, 2, int(item["id"])])
    cut = GENDER_CUTS[item["gender"]]
    fabric = FABRICS[season]
    parts = SILHOUETTES[article]
    waist_y = WAISTS.get(article)
    pose = _Pose(rng, cut["width"], cut["waist"] if waist_y is not None else 0.0, waist_y)

    # Colours: the product's fill with a little jitter, and a contrast tone for its details.
    fill = np.array(vocab["colours"][item["baseColour"]], float)
    fill = np.clip(fill + rng.normal(0, 3.5, size=3).clip(-7, 7), 0, 255)
    dark_fill = _luminance(fill) < 120
    tone = np.array([250.0, 250, 250] if dark_fill else [22.0, 22, 26])
    shade = 0.72 * fill if not dark_fill else 0.8 * fill + 0.2 * 110
    outline = 0.42 * fill if not dark_fill else 0.55 * fill + 0.45 * 120
    stroke = max(1, round(fabric["outline"] * pose.px))
    seam = max(1, round(max(1.0, fabric["outline"] * 0.6) * pose.px))

    points, splits = _silhouette_points(article)
    pose.crop_to(pose.array(points), margin=stroke + 2)
    polys = np.split(pose.array(points), splits)
    size = pose.size

    # The visible fill parts (usage details and the hem trim go there only).
    fill_img = Image.new("L", size, 0)
    fdraw = ImageDraw.Draw(fill_img)
    for (role, _), poly in zip(parts, polys, strict=True):
        if role != "seam":
            fdraw.polygon(poly.ravel().tolist(), fill=255 if role == "fill" else 0)
    fill_mask = np.asarray(fill_img) > 0

    # Season: the fabric texture, seen through the pose, with a random phase.
    period = fabric["period"]
    origin = (
        _TILE_RES * (_TILE_UNITS[0] / 2 + rng.uniform(0, period)),
        _TILE_RES * (_TILE_UNITS[1] / 2 + rng.uniform(0, period)),
    )
    texture = pose.sample(_fabric_tile(season), origin, _TILE_RES)
    amp = fabric["amplitude"] * (0.8 if dark_fill else 1.0)
    texture = texture.point(_scale_lut(amp))
    toned = Image.new("RGB", size, _rgb(tone))
    fabric_rgb = Image.composite(toned, Image.new("RGB", size, _rgb(fill)), texture)
    shade_rgb = (
        Image.composite(toned, Image.new("RGB", size, _rgb(shade)), texture)
        if any(role == "shade" for role, _ in parts)
        else None
    )
    if usage == "Formal":  # a sheen: a soft diagonal highlight
        a, t = pose.to_object()
        k = _TILE_RES * 0.7
        c = rng.uniform(-20, 20)
        glow = _sheen_tile().transform(
            size,
            Image.Transform.AFFINE,
            (
                k * (a[0, 0] - a[1, 0]),
                k * (a[0, 1] - a[1, 1]),
                k * (t[0] - t[1]) - _TILE_RES * c + 256,
                0,
                0,
                2,
            ),
            resample=Image.Resampling.NEAREST,
        )
        fabric_rgb = Image.composite(
            Image.new("RGB", size, (255, 255, 255)), fabric_rgb, glow.point(_scale_lut(0.4))
        )

    # Usage: stripes, a placket with buttons, embroidered bands, sparkles, a pocket.
    details = _draw_usage(usage, article, pose, fill, tone, rng, fill_mask)
    details_alpha = details.getchannel("A")

    # Paint the parts in order (later parts cover earlier ones), each with its outline, whose
    # weight is the season's.
    canvas = Image.new("RGB", size, (0, 0, 0))
    cover = Image.new("L", size, 0)
    draw, cdraw = ImageDraw.Draw(canvas), ImageDraw.Draw(cover)
    sources = {"fill": fabric_rgb, "shade": shade_rgb, **_TRIM_COLOURS}
    for (role, _), poly in zip(parts, polys, strict=True):
        if role == "seam":
            draw.line(poly.ravel().tolist(), fill=_rgb(outline), width=seam, joint="curve")
            continue
        (bx0, by0), (bx1, by1) = poly.min(axis=0), poly.max(axis=0)
        box = (
            max(0, int(bx0)),
            max(0, int(by0)),
            min(size[0], int(bx1) + 2),
            min(size[1], int(by1) + 2),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        mask = Image.new("L", (box[2] - box[0], box[3] - box[1]), 0)
        ImageDraw.Draw(mask).polygon((poly - box[:2]).ravel().tolist(), fill=255)
        if role == "hole":
            canvas.paste((0, 0, 0), box, mask)
            cover.paste(0, box, mask)
        else:
            src = sources[role]
            canvas.paste(src if isinstance(src, tuple) else src.crop(box), box, mask)
            cover.paste(255, box, mask)
            if role == "fill":
                canvas.paste(
                    details.crop(box), box, ImageChops.multiply(mask, details_alpha.crop(box))
                )
        ring = np.concatenate([poly, poly[:1]]).ravel().tolist()
        draw.line(ring, fill=_rgb(outline), width=stroke, joint="curve")
        cdraw.line(ring, fill=255, width=stroke, joint="curve")

    # Gender: the hem trim along every lower edge of the fill parts.
    trim = cut["trim"]
    if trim:
        depth = round(8.0 * pose.px)
        run = _depth_above_edge(fill_mask, depth)
        edge = fill_mask & (run < depth)
        if trim == "scallop":  # half discs standing on the hem
            a, t = pose.to_object()
            ys, xs = np.nonzero(edge)
            u = a[0, 0] * xs + a[0, 1] * ys + t[0]
            scallop = 13.0
            du = np.mod(u, scallop) - scallop / 2
            dv = run[ys, xs] / pose.px
            edge[ys, xs] = du**2 + dv**2 < (scallop * 0.48) ** 2
        canvas.paste(
            _rgb(0.9 * tone + 0.1 * fill), mask=Image.fromarray(edge.astype(np.uint8) * 255)
        )

    # Downsample, then compose on a light grey / off-white gradient background with a soft
    # shadow; lighting and sensor noise over the whole picture.
    w, h = IMAGE_SIZE
    small = (size[0] // _SS, size[1] // _SS)
    at = (pose.origin[0] // _SS, pose.origin[1] // _SS)
    cover_small = Image.new("L", IMAGE_SIZE, 0)
    cover_small.paste(cover.resize(small, Image.Resampling.BOX), at)
    product_small = Image.new("RGB", IMAGE_SIZE, (0, 0, 0))
    product_small.paste(canvas.resize(small, Image.Resampling.BOX), at)
    # The shadow is blurry anyway: blur it at half size.
    half = (w // 2, h // 2)
    shadow = Image.new("L", half, 0)
    shadow.paste(cover_small.resize(half, Image.Resampling.BOX), (1, 2))
    shadow = shadow.filter(ImageFilter.GaussianBlur(2)).resize(
        IMAGE_SIZE, Image.Resampling.BILINEAR
    )
    ys, xs = _small_grid()
    ga = rng.uniform(0, 2 * np.pi)
    level = rng.uniform(212, 246)
    tint = rng.uniform(-4, 4, size=3).astype(np.float32)
    grad = (math.cos(ga) * (xs / w - 0.5) + math.sin(ga) * (ys / h - 0.5)) * rng.uniform(0, 24)
    keep = 1.0 - np.asarray(cover_small, np.float32) / np.float32(255)  # background showing
    lit = 1.0 - np.asarray(shadow, np.float32) * np.float32(0.13 / 255)
    gain = np.float32(rng.uniform(0.93, 1.06))
    background = ((grad + np.float32(level)) * lit * keep * gain)[..., None]
    out = np.asarray(product_small, np.float32) * gain  # premultiplied by its cover
    out += background
    out += tint * (keep * gain)[..., None]
    bank = _noise_bank()
    start = int(rng.integers(0, bank.size - out.size))
    out += bank[start : start + out.size].reshape(out.shape) * np.float32(rng.uniform(1.5, 4.0))
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8))


def generate_demo_catalog(
    out_dir: Path, n: int = 3000, seed: int = 0, progress: bool = True
) -> Path:
    """Write a synthetic catalog in the Kaggle layout: out_dir/styles.csv and
    out_dir/images/<id>.jpg. Returns the path of styles.csv. Deterministic for a seed."""
    out_dir = Path(out_dir)
    images = out_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    styles = sample_styles(n, seed)
    rows = styles.to_dict("records")
    for row in tqdm(rows, desc="Drawing demo catalog", unit="item", disable=not progress):
        render_item(row, seed).save(
            images / f"{row['id']}.jpg", "JPEG", quality=JPEG_QUALITY, subsampling=0
        )
    path = out_dir / "styles.csv"
    styles.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


__all__ = [
    "IMAGE_SIZE",
    "SILHOUETTES",
    "generate_demo_catalog",
    "load_vocab",
    "render_item",
    "sample_styles",
]
