"""The synthetic demo catalog: Kaggle layout, determinism, coverage, names, and visible attributes."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from stylist.catalog.demo import (
    IMAGE_SIZE,
    generate_demo_catalog,
    load_vocab,
    render_item,
    sample_styles,
)
from stylist.catalog.schema import ATTRIBUTES, STYLES_COLUMNS

N = 300

# articleType -> (masterCategory, subCategory) as in the real Kaggle catalog.
KAGGLE_CATEGORIES = {
    "Tshirts": ("Apparel", "Topwear"),
    "Shirts": ("Apparel", "Topwear"),
    "Kurtas": ("Apparel", "Topwear"),
    "Dresses": ("Apparel", "Dress"),
    "Jeans": ("Apparel", "Bottomwear"),
    "Skirts": ("Apparel", "Bottomwear"),
    "Casual Shoes": ("Footwear", "Shoes"),
    "Heels": ("Footwear", "Shoes"),
    "Flip Flops": ("Footwear", "Flip Flops"),
    "Sandals": ("Footwear", "Sandal"),
    "Handbags": ("Accessories", "Bags"),
    "Watches": ("Accessories", "Watches"),
    "Belts": ("Accessories", "Belts"),
    "Caps": ("Accessories", "Headwear"),
    "Sunglasses": ("Accessories", "Eyewear"),
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    out = tmp_path_factory.mktemp("demo")
    styles = generate_demo_catalog(out, n=N, seed=0, progress=False)
    return styles, pd.read_csv(styles)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _foreground(img: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """(pixels, mask): the product's pixels, told from the light background by their distance
    to the background colour (median of the picture's border)."""
    a = np.asarray(img, np.float32)
    border = np.concatenate(
        [
            a[:4].reshape(-1, 3),
            a[-4:].reshape(-1, 3),
            a[:, :4].reshape(-1, 3),
            a[:, -4:].reshape(-1, 3),
        ]
    )
    mask = np.abs(a - np.median(border, axis=0)).max(axis=2) > 45
    return a[mask], mask


# --- layout and schema ---------------------------------------------------------------------


def test_writes_the_kaggle_layout(catalog):
    styles, df = catalog
    assert styles.name == "styles.csv"
    assert tuple(df.columns) == STYLES_COLUMNS
    assert len(df) == N
    images = styles.parent / "images"
    assert sorted(p.name for p in images.iterdir()) == sorted(f"{i}.jpg" for i in df["id"])
    for item_id in df["id"].head(20):
        with Image.open(images / f"{item_id}.jpg") as img:
            assert img.format == "JPEG"
            assert img.mode == "RGB"
            assert img.size == IMAGE_SIZE == (120, 160)


def test_ids_and_years_look_like_the_real_catalog(catalog):
    _, df = catalog
    assert df["id"].dtype.kind == "i"
    assert (df["id"] > 0).all()
    assert df["id"].is_unique
    assert df["id"].max() - df["id"].min() + 1 > len(df)  # not a contiguous block
    assert df["year"].dtype.kind == "i"
    assert df["year"].between(2010, 2018).all()
    for attribute in ATTRIBUTES:
        assert df[attribute].notna().all() and (df[attribute].str.len() > 0).all()


def test_categories_follow_the_article_type(catalog):
    _, df = catalog
    pairs = df.groupby("articleType")[["masterCategory", "subCategory"]].nunique()
    assert (pairs == 1).all().all()  # one category pair per type
    seen = df.drop_duplicates("articleType").set_index("articleType")
    for article, (master, sub) in KAGGLE_CATEGORIES.items():
        assert (seen.loc[article, "masterCategory"], seen.loc[article, "subCategory"]) == (
            master,
            sub,
        )
    women_only = df[df["articleType"].isin(["Heels", "Skirts", "Dresses", "Handbags"])]
    assert set(women_only["gender"]) == {"Women"}


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_catalog(tmp_path, catalog):
    styles, _ = catalog
    again = generate_demo_catalog(tmp_path / "again", n=N, seed=0, progress=False)
    assert again.read_bytes() == styles.read_bytes()
    assert _digest(again.parent / "images") == _digest(styles.parent / "images")

    other = generate_demo_catalog(tmp_path / "other", n=40, seed=1, progress=False)
    small = generate_demo_catalog(tmp_path / "small", n=40, seed=0, progress=False)
    assert other.read_bytes() != small.read_bytes()
    assert set(_digest(other.parent / "images").values()).isdisjoint(
        _digest(small.parent / "images").values()
    )


def test_render_item_is_deterministic_and_seed_dependent(catalog):
    _, df = catalog
    row = df.iloc[0].to_dict()
    first = np.asarray(render_item(row, seed=0))
    assert np.array_equal(first, np.asarray(render_item(row, seed=0)))
    assert not np.array_equal(first, np.asarray(render_item(row, seed=1)))


def test_progress_bar_only_when_asked(tmp_path, capsys):
    generate_demo_catalog(tmp_path / "quiet", n=3, seed=0, progress=False)
    assert "Drawing demo catalog" not in capsys.readouterr().err
    generate_demo_catalog(tmp_path / "loud", n=3, seed=0, progress=True)
    assert "Drawing demo catalog" in capsys.readouterr().err


def test_rejects_an_empty_catalog(tmp_path):
    with pytest.raises(ValueError):
        generate_demo_catalog(tmp_path, n=0, progress=False)


# --- coverage and balance ------------------------------------------------------------------


def test_attribute_coverage(catalog):
    _, df = catalog
    assert df["articleType"].nunique() >= 15
    assert set(df["masterCategory"]) == {"Apparel", "Footwear", "Accessories"}
    for master in ("Apparel", "Footwear", "Accessories"):
        assert df.loc[df["masterCategory"] == master, "articleType"].nunique() >= 4
    assert df["baseColour"].nunique() >= 12
    assert set(df["usage"]) == {"Casual", "Formal", "Sports", "Ethnic", "Party"}
    assert set(df["season"]) == {"Summer", "Fall", "Winter", "Spring"}
    assert set(df["gender"]) == {"Men", "Women", "Unisex"}


def test_every_class_has_enough_items_at_full_size():
    df = sample_styles(3000, seed=0)  # metadata only: no pictures drawn
    for attribute in ATTRIBUTES:
        counts = df[attribute].value_counts()
        assert counts.min() >= 60, (attribute, counts.idxmin(), counts.min())
    usages = df.groupby("usage")["articleType"].nunique()
    assert (usages >= 5).all()  # every usage appears on several types
    assert df["usage"].value_counts(normalize=True).max() < 0.5


def test_usage_is_correlated_with_type():
    df = sample_styles(3000, seed=0)
    share = pd.crosstab(df["articleType"], df["usage"], normalize="index")
    assert share.loc["Formal Shoes", "Formal"] > 0.7
    assert share.loc["Sports Shoes", "Sports"] > 0.7
    assert share.loc["Kurtas", "Ethnic"] > 0.6


# --- names ---------------------------------------------------------------------------------


def test_names_carry_gender_colour_and_type(catalog):
    _, df = catalog
    vocab = load_vocab()
    brands = {b for names in vocab["brands"].values() for b in names}
    brands |= {b for names in vocab["type_brands"].values() for b in names}
    for row in df.itertuples():
        name = row.productDisplayName
        assert row.baseColour in name
        assert vocab["types"][row.articleType]["name"] in name
        assert f" {row.gender} " in name
        assert any(name.startswith(brand + " ") for brand in brands)


def test_comma_names_round_trip_through_csv_quoting(catalog):
    styles, df = catalog
    commas = df[df["productDisplayName"].str.contains(",")]
    assert 1 <= len(commas) <= 0.05 * len(df)
    text = styles.read_text(encoding="utf-8")
    for name in commas["productDisplayName"]:
        assert f'"{name}"' in text  # quoted in the file, so a plain CSV reader keeps it whole
    with styles.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert all(len(r) == len(STYLES_COLUMNS) for r in rows)
    assert [r[-1] for r in rows[1:]] == df["productDisplayName"].tolist()


# --- the attributes are visible -------------------------------------------------------------


def test_fill_colour_is_visible(catalog):
    styles, df = catalog
    images = styles.parent / "images"
    rules = {
        "Red": lambda p: (p[:, 0] > p[:, 1] + 50) & (p[:, 0] > p[:, 2] + 50),
        "Blue": lambda p: (p[:, 2] > p[:, 0] + 50) & (p[:, 2] > p[:, 1] + 20),
        "Green": lambda p: (p[:, 1] > p[:, 0] + 30) & (p[:, 1] > p[:, 2] + 20),
        "Yellow": lambda p: (p[:, 0] > p[:, 2] + 80) & (p[:, 1] > p[:, 2] + 60),
        "Black": lambda p: p.max(axis=1) < 110,
    }
    garments = df[df["masterCategory"] == "Apparel"]  # the largest fill regions
    for colour, rule in rules.items():
        rows = garments[garments["baseColour"] == colour]
        assert len(rows) >= 3
        for item_id in rows["id"]:
            pixels, _ = _foreground(Image.open(images / f"{item_id}.jpg"))
            assert rule(pixels).mean() > 0.5, (colour, item_id)


def test_navy_is_not_black_and_maroon_is_not_red(catalog):
    styles, df = catalog
    images = styles.parent / "images"

    def median_fill(colour: str) -> np.ndarray:
        ids = df.loc[df["baseColour"] == colour, "id"]
        return np.array(
            [np.median(_foreground(Image.open(images / f"{i}.jpg"))[0], axis=0) for i in ids]
        )

    navy, black = median_fill("Navy Blue"), median_fill("Black")
    assert ((navy[:, 2] - navy[:, 0]) > 35).mean() > 0.9  # navy stays blue
    assert ((black[:, 2] - black[:, 0]) < 20).mean() > 0.9
    maroon, red = median_fill("Maroon"), median_fill("Red")
    assert maroon[:, 0].max() < red[:, 0].min()  # maroon stays darker than any red


def test_silhouette_shows_the_type(catalog):
    styles, df = catalog
    images = styles.parent / "images"

    def aspect(item_id: int) -> float:
        _, mask = _foreground(Image.open(images / f"{item_id}.jpg"))
        ys, xs = np.nonzero(mask)
        return (ys.max() - ys.min() + 1) / (xs.max() - xs.min() + 1)

    wide = df[df["articleType"].isin(["Casual Shoes", "Formal Shoes", "Sunglasses"])]
    tall = df[df["articleType"].isin(["Kurtas", "Dresses", "Trousers", "Watches"])]
    assert len(wide) >= 5 and len(tall) >= 5
    assert max(aspect(i) for i in wide["id"]) < 0.9
    assert min(aspect(i) for i in tall["id"]) > 1.2


@pytest.mark.parametrize("attribute", ["articleType", "baseColour", "season", "usage", "gender"])
def test_each_attribute_changes_the_picture(attribute):
    base = {
        "id": 12345,
        "gender": "Men",
        "articleType": "Shirts",
        "baseColour": "Blue",
        "season": "Summer",
        "usage": "Casual",
    }
    other = {
        "articleType": "Kurtas",
        "baseColour": "Green",
        "season": "Winter",
        "usage": "Sports",
        "gender": "Unisex",
    }
    a = np.asarray(render_item(base), np.float32)
    b = np.asarray(render_item({**base, attribute: other[attribute]}), np.float32)
    changed = np.abs(a - b).max(axis=2) > 40
    assert changed.mean() > 0.02, attribute
