"""`stylist demo-data` goes through the same ingest path as a real catalog, losing nothing."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stylist.catalog.schema import ATTRIBUTES
from stylist.catalog.store import Catalog
from stylist.cli import app


def test_demo_data_then_ingest_keeps_every_row(isolated_settings):
    result = CliRunner().invoke(app, ["demo-data", "--n", "150", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Items kept: 150" in result.output
    assert "Rows skipped: 0" in result.output
    for attribute in ATTRIBUTES:
        assert f"{attribute} (" in result.output  # class counts for all 7 attributes

    summary = json.loads((isolated_settings.items_path.parent / "ingest-summary.json").read_text())
    assert summary["items_kept"] == 150 and summary["rows_skipped"] == {}
    assert set(summary["class_counts"]) == set(ATTRIBUTES)

    catalog = Catalog.load(isolated_settings)
    assert len(catalog) == 150
    assert set(catalog.items["split"]) == {"train", "test"}
    assert 25 <= len(catalog.test) <= 35
    assert catalog.items["price"].gt(0).all()
    # a second ingest of the same folder through the plain command gives the same table
    demo_dir = isolated_settings.demo_catalog_dir
    again = CliRunner().invoke(
        app,
        ["ingest", "--styles", str(demo_dir / "styles.csv"), "--images", str(demo_dir / "images")],
    )
    assert again.exit_code == 0, again.output
    assert Catalog.load(isolated_settings).items.equals(catalog.items)


def test_ingest_of_a_missing_folder_is_a_sentence(tmp_path):
    result = CliRunner().invoke(
        app, ["ingest", "--styles", str(tmp_path / "nope.csv"), "--images", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "There is no styles file" in result.output


def test_catalog_missing_says_how_to_make_one(isolated_settings):
    import pytest

    from stylist.catalog.store import CatalogMissing

    with pytest.raises(CatalogMissing, match="stylist demo-data"):
        Catalog.load(isolated_settings)


def test_get_catalog_is_shared_until_a_new_ingest_rewrites_the_table(isolated_settings):
    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import get_catalog, ingest

    small = generate_demo_catalog(isolated_settings.data_dir / "small", n=40, progress=False)
    ingest(small, small.parent / "images", isolated_settings, progress=False)
    first = get_catalog(isolated_settings)
    assert get_catalog(isolated_settings) is first  # loaded once per process

    larger = generate_demo_catalog(isolated_settings.data_dir / "larger", n=60, progress=False)
    ingest(larger, larger.parent / "images", isolated_settings, progress=False)
    assert len(get_catalog(isolated_settings)) == 60  # the new table, without a restart
    written = {p.name for p in isolated_settings.items_path.parent.iterdir()}
    assert written == {"items.csv", "ingest-summary.json"}  # no temp file left behind
