"""One command from a Kaggle-layout folder to a searchable install (`stylist demo --catalog`),
and STYLIST_ATTRIBUTE_MODEL=cnn honoured by every build (`build_demo` and `build_from_catalog`
share their model stages)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from stylist.settings import StyleSettings

# A generated demo catalog stands in for "a real catalog": same layout, made in seconds.
N_ITEMS = 160
MIN_CLASS_COUNT = 5


@pytest.fixture(scope="module")
def kaggle_folder(tmp_path_factory):
    from stylist.catalog.demo import generate_demo_catalog

    folder = tmp_path_factory.mktemp("my-shop")
    generate_demo_catalog(folder, n=N_ITEMS, seed=3, progress=False)
    return folder


def _mtimes(data_dir):
    return {p: p.stat().st_mtime_ns for p in data_dir.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_a_catalog_folder_becomes_a_searchable_install_once(kaggle_folder, tmp_path):
    from stylist.layout import InstallLayout
    from stylist.pipeline import build_from_catalog, catalog_data_dir
    from stylist.vectorstore import get_index

    base = StyleSettings(data_dir=tmp_path / "base", min_class_count=MIN_CLASS_COUNT)
    settings = base.model_copy(
        update={
            "data_dir": catalog_data_dir(base.data_dir, kaggle_folder),
            "attribute_model": "cnn",
        }
    )
    assert settings.data_dir != base.data_dir and not settings.demo_catalog_dir.exists()
    log: list[str] = []
    build_from_catalog(kaggle_folder, settings, quick=True, progress=False, log=log.append)
    layout = InstallLayout.of(settings)
    # The CNN is what the settings asked for, so it is trained and the heads are not.
    assert layout.tagger_present() and layout.cnn_path.is_file()
    assert not layout.heads_path.exists()
    index = get_index(settings)
    results = index.search("shirt", k=5)
    assert len(results) == 5
    assert {p.id for p in results} <= set(index.catalog.items["id"].astype(int))

    before = _mtimes(settings.data_dir)
    again: list[str] = []
    build_from_catalog(kaggle_folder, settings, quick=True, progress=False, log=again.append)
    assert again and all(line.endswith("(already built)") for line in again)
    assert _mtimes(settings.data_dir) == before


@pytest.mark.slow
def test_build_demo_trains_the_cnn_when_the_settings_choose_it(tmp_path):
    from stylist.layout import InstallLayout
    from stylist.models.cnn import CNNTagger
    from stylist.models.taggers import load_tagger
    from stylist.pipeline import build_demo

    settings = StyleSettings(
        data_dir=tmp_path / "demo",
        min_class_count=MIN_CLASS_COUNT,
        attribute_model="cnn",
        real_photo_tagger="off",
    )
    log: list[str] = []
    build_demo(settings, n=120, quick=True, progress=False, log=log.append)
    layout = InstallLayout.of(settings)
    assert layout.cnn_path.is_file() and not layout.heads_path.exists()
    assert "✓ attribute CNN" in " ".join(log)
    assert isinstance(load_tagger(settings), CNNTagger)


def test_demo_catalog_option_refuses_a_folder_that_is_not_a_catalog(tmp_path):
    from stylist.cli import app

    result = CliRunner().invoke(app, ["demo", "--build-only", "--catalog", str(tmp_path)])
    assert result.exit_code == 2
    assert "needs styles.csv and an images/ folder" in result.output
    assert "Traceback" not in result.output


def test_demo_catalog_option_says_what_it_builds_and_how_long_it_takes(
    kaggle_folder, tmp_path, monkeypatch
):
    import stylist.pipeline
    from stylist.cli import app
    from stylist.settings import get_settings

    built = {}
    monkeypatch.setattr(
        stylist.pipeline,
        "build_from_catalog",
        lambda folder, settings, **kw: built.update(folder=folder, data_dir=settings.data_dir),
    )
    monkeypatch.setenv("STYLIST_DATA_DIR", str(tmp_path / "base"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["demo", "--build-only", "--catalog", str(kaggle_folder)])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"First run for the {N_ITEMS}-item catalog" in result.output
    assert "minute" in result.output
    assert built["folder"] == kaggle_folder
    assert built["data_dir"] == stylist.pipeline.catalog_data_dir(tmp_path / "base", kaggle_folder)
