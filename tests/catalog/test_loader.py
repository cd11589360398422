"""The Kaggle styles.csv reader keeps and counts exactly what it should."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from stylist.catalog.loader import CatalogError, read_styles
from stylist.catalog.schema import STYLES_COLUMNS

HEADER = ",".join(STYLES_COLUMNS)


def _photo(images: Path, item_id: int) -> None:
    Image.new("RGB", (60, 80), (200, 30, 30)).save(images / f"{item_id}.jpg")


@pytest.fixture
def messy_catalog(tmp_path: Path) -> tuple[Path, Path]:
    """A styles.csv with every kind of damage the real file has, plus missing/broken photos."""
    images = tmp_path / "images"
    images.mkdir()
    rows = [
        "15970,Men,Apparel,Topwear,Shirts,Navy Blue,Fall,2011,Casual,Turtle Check Men Navy Blue Shirt",
        # unquoted commas in the name: kept, name rejoined
        "39386,Men,Apparel,Bottomwear,Jeans,Blue,Summer,2012,Casual,Peter England Men Party Blue, Black Jeans",
        "59263,Women,Accessories,Watches,Watches,Silver,Winter,2016,Casual,Titan Women Silver, Gold, Watch ",
        # quoted comma (the shared subset quotes them): kept as is
        '21379,Men,Apparel,Bottomwear,Track Pants,Black,Fall,2011,Casual,"Manchester United Men, Black Track Pants"',
        # empty year: kept, year missing
        "53759,Men,Apparel,Topwear,Tshirts,Grey,Summer,,Casual,Puma Men Grey T-shirt",
        # broken rows: skipped and counted
        "1855,Men,Apparel,Topwear",  # too few fields
        "abc,Men,Apparel,Topwear,Tshirts,Grey,Summer,2012,Casual,Bad Id Tee",  # id not a number
        "30805,Men,Apparel,Topwear,Shirts,Green,Summer,2012,,No Usage Shirt",  # missing usage
        "26960,Women,Apparel,Topwear,Shirts,Purple,Summer,twenty,Casual,Odd Year Shirt",
        "15970,Men,Apparel,Topwear,Shirts,Navy Blue,Fall,2011,Casual,Duplicate Of First",
        # sound rows whose photo is missing / unreadable
        "1163,Men,Apparel,Topwear,Tshirts,Blue,Summer,2011,Sports,Nike Sahara Team India Tshirt",
        "29114,Men,Accessories,Socks,Socks,Navy Blue,Summer,2012,Casual,Puma Men Pack of 3 Socks",
        "",
    ]
    (tmp_path / "styles.csv").write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    for item_id in (15970, 39386, 59263, 21379, 53759, 30805, 26960):
        _photo(images, item_id)
    (images / "29114.jpg").write_bytes(b"this is not a jpeg")  # 1163 has no photo at all
    return tmp_path / "styles.csv", images


def test_reader_keeps_repairs_and_counts(messy_catalog):
    styles, images = messy_catalog
    report = read_styles(styles, images, progress=False)

    assert sorted(report.items["id"]) == [15970, 21379, 39386, 53759, 59263]
    assert report.rows_read == 12
    assert report.names_rejoined == 2
    assert dict(report.skipped) == {
        "too few fields": 1,
        "id is not a number": 1,
        "missing usage": 1,
        "year is not a number": 1,
        "duplicate id": 1,
        "image missing": 1,
        "image unreadable": 1,
    }
    assert report.rows_skipped == 7

    names = report.items.set_index("id")["productDisplayName"]
    assert names[39386] == "Peter England Men Party Blue, Black Jeans"
    assert names[59263] == "Titan Women Silver, Gold, Watch"  # trailing space stripped
    assert names[21379] == "Manchester United Men, Black Track Pants"
    assert report.items.set_index("id")["year"].isna()[53759]


def test_items_carry_price_and_absolute_image_path(messy_catalog):
    styles, images = messy_catalog
    items = read_styles(styles, images, progress=False).items
    assert (items["price"] > 0).all()
    for path in items["image"]:
        assert Path(path).is_absolute() and Path(path).is_file()


def test_class_counts_cover_all_seven_attributes(messy_catalog):
    styles, images = messy_catalog
    counts = read_styles(styles, images, progress=False).class_counts()
    assert set(counts) == {
        "gender",
        "masterCategory",
        "subCategory",
        "articleType",
        "baseColour",
        "season",
        "usage",
    }
    assert counts["gender"] == {"Men": 4, "Women": 1}


def test_wrong_header_is_a_sentence(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "styles.csv").write_text("name,colour\nshirt,red\n")
    with pytest.raises(CatalogError, match="does not have the Kaggle columns"):
        read_styles(tmp_path / "styles.csv", tmp_path / "images", progress=False)


def test_missing_files_are_sentences(tmp_path):
    with pytest.raises(CatalogError, match="no styles file"):
        read_styles(tmp_path / "styles.csv", tmp_path, progress=False)
    (tmp_path / "styles.csv").write_text(HEADER + "\n")
    with pytest.raises(CatalogError, match="no images folder"):
        read_styles(tmp_path / "styles.csv", tmp_path / "nope", progress=False)
