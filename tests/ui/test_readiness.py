"""The chat's start notice: it names what is not built, and the index only counts with items."""

from __future__ import annotations

import shutil

import pytest

from stylist.settings import StyleSettings
from stylist.ui.readiness import readiness_notice


def _empty_store(settings: StyleSettings, how: str) -> None:
    """A Chroma directory that holds no catalog items, in the ways one really happens."""
    settings.chroma_path.mkdir(parents=True)
    if how == "empty dir":
        return
    from stylist.vectorstore.client import get_chroma_client

    client = get_chroma_client(settings)  # writes chroma.sqlite3 at once
    if how == "empty collection":
        client.get_or_create_collection(settings.chroma_collection, embedding_function=None)


@pytest.mark.parametrize("how", ["empty dir", "opened store", "empty collection"])
def test_an_empty_index_is_named_as_not_built(use_demo_world, tmp_path, how):
    # Everything else built (a copy of the demo world's catalog and models), the index empty.
    settings = use_demo_world.model_copy(update={"data_dir": tmp_path / "copy"})
    for part in (use_demo_world.items_path.parent, use_demo_world.models_dir):
        shutil.copytree(part, settings.data_dir / part.relative_to(use_demo_world.data_dir))
    _empty_store(settings, how)
    notice = readiness_notice(settings)
    assert notice is not None
    assert "the search index is not built yet" in notice
    assert "catalog" not in notice.split("Run")[0]  # only the index is named


def test_a_built_demo_needs_no_notice(use_demo_world):
    assert readiness_notice(use_demo_world) is None


def test_a_fresh_data_dir_names_every_part(tmp_path):
    notice = readiness_notice(StyleSettings(data_dir=tmp_path / "fresh"))
    assert notice.startswith(
        "Heads-up: the product catalog, the image encoder, the attribute model and the search "
        "index are not built yet"
    )
