"""Building the index: contents, resuming (including after SIGKILL), encoder checks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from stylist.catalog.store import Catalog
from stylist.settings import StyleSettings
from stylist.vectorstore.client import forget_clients, get_chroma_client
from stylist.vectorstore.errors import EncoderMismatch, IndexMissing
from stylist.vectorstore.index import build_index, index_is_current, stored_ids

SMALL = 120


@pytest.fixture
def small_world(tmp_path, make_world):
    forget_clients()
    settings = StyleSettings(data_dir=make_world(tmp_path / "data", n=SMALL, seed=3))
    yield settings
    forget_clients()


def test_index_holds_every_item_with_metadata_and_encoder(world):
    from stylist.catalog.store import get_catalog
    from stylist.models.encoder import get_encoder

    catalog = get_catalog(world)
    client = get_chroma_client(world)
    main = client.get_collection(world.chroma_collection)
    images = client.get_collection(world.chroma_collection + "-images")
    assert main.count() == images.count() == len(catalog)
    assert index_is_current(world)
    assert main.metadata["encoder_fingerprint"] == get_encoder(world).fingerprint
    item = catalog.items.iloc[0]
    got = main.get(ids=[str(item["id"])], include=["metadatas", "embeddings"])
    meta = got["metadatas"][0]
    for field in ("gender", "articleType", "baseColour", "season", "usage"):
        assert meta[field] == item[field]
    assert meta["name"] == item["productDisplayName"] and meta["image"] == item["image"]
    assert meta["price"] == pytest.approx(item["price"])
    assert len(got["embeddings"][0]) == get_encoder(world).dim


def test_rerun_adds_nothing_and_new_items_are_added(small_world):
    first = build_index(small_world, progress=False)
    assert first["added"] == SMALL and first["total"] == SMALL
    again = build_index(small_world, progress=False)
    assert again["added"] == 0 and again["encode_seconds"] == 0 and again["total"] == SMALL

    # Remove a few items from the index: the next run embeds exactly those.
    main = get_chroma_client(small_world).get_collection(small_world.chroma_collection)
    gone = main.get(limit=5, include=[])["ids"]
    main.delete(ids=gone)
    assert not index_is_current(small_world)
    resumed = build_index(small_world, progress=False)
    assert resumed["added"] == 5 and resumed["total"] == SMALL
    assert index_is_current(small_world)


def test_another_encoder_is_refused_until_rebuild(small_world):
    from stylist.models.encoder import build_encoder, save_encoder
    from stylist.vectorstore.search import CatalogIndex

    build_index(small_world, progress=False)
    # Retrain (here: re-initialise) the demo encoder: new weights, new fingerprint.
    save_encoder(build_encoder("stylist-tiny", seed=1), small_world.models_dir / "encoder")
    assert not index_is_current(small_world)
    with pytest.raises(EncoderMismatch) as err:
        CatalogIndex(small_world).search("red dress")
    assert "stylist index --rebuild" in str(err.value)
    with pytest.raises(EncoderMismatch):
        build_index(small_world, progress=False)
    rebuilt = build_index(small_world, rebuild=True, progress=False)
    assert rebuilt["added"] == SMALL and index_is_current(small_world)
    assert CatalogIndex(small_world).search("red dress", k=3)


def test_missing_index_is_a_sentence(small_world):
    from stylist.vectorstore.search import CatalogIndex

    with pytest.raises(IndexMissing) as err:
        CatalogIndex(small_world).search("red dress")
    assert str(err.value) == "The catalog index is empty; run `stylist index` to build it."
    assert not index_is_current(small_world)


CHILD = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    from stylist.settings import StyleSettings
    from stylist.vectorstore.index import build_index

    def report_chunk(n_items):
        print("chunk", flush=True)  # the parent kills us after a few of these
    build_index(
        StyleSettings(data_dir=sys.argv[1]),
        progress=False,
        chunk_size=10,
        on_chunk_written=report_chunk,
    )
    print("finished", flush=True)
""")


def test_sigkill_mid_run_then_resume_without_duplicates(small_world):
    env = {**os.environ, "STYLIST_DATA_DIR": str(small_world.data_dir)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(small_world.data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    chunks = 0
    try:
        for line in child.stdout:
            if line.startswith("chunk"):
                chunks += 1
                if chunks == 3:
                    os.kill(child.pid, signal.SIGKILL)
                    break
            assert not line.startswith("finished"), "the child finished before it was killed"
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL

    forget_clients()
    main = get_chroma_client(small_world).get_collection(small_world.chroma_collection)
    before = main.count()
    assert 30 <= before < SMALL  # three chunks of ten (and maybe part of the fourth) survived
    resumed = build_index(small_world, progress=False)
    assert resumed["added"] == SMALL - before  # nothing stored was embedded again
    assert resumed["total"] == SMALL
    assert stored_ids(main) == set(int(i) for i in Catalog.load(small_world).items["id"])
    assert index_is_current(small_world)


def test_unreachable_chroma_server_is_a_sentence(world, monkeypatch):
    from stylist.settings import get_settings
    from stylist.vectorstore.errors import SearchError
    from stylist.vectorstore.search import CatalogIndex

    monkeypatch.setenv("STYLIST_CHROMA_URL", f"http://127.0.0.1:{unused_port()}")
    get_settings.cache_clear()
    forget_clients()
    with pytest.raises(SearchError) as err:
        CatalogIndex(get_settings()).search("red dress")
    assert str(err.value).startswith("Cannot reach the Chroma server at http://127.0.0.1:")
    forget_clients()


def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_stopping_mid_session_is_a_sentence(small_world, tmp_path):
    import httpx

    from stylist.vectorstore.errors import SearchError
    from stylist.vectorstore.search import CatalogIndex

    port = unused_port()
    chroma = os.path.join(os.path.dirname(sys.executable), "chroma")
    server = subprocess.Popen(
        [
            chroma,
            "run",
            "--path",
            str(tmp_path / "srv"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        settings = small_world.model_copy(update={"chroma_url": f"http://127.0.0.1:{port}"})
        build_index(settings, progress=False)
        index = CatalogIndex(settings)
        assert index.search("red dress", k=3)
    finally:
        server.kill()
        server.wait(timeout=30)
    index._checked_at = 0.0  # the next query asks the store again
    with pytest.raises(SearchError) as err:
        index.search("red dress", k=3)
    assert "could not be read" in str(err.value) and "Traceback" not in str(err.value)
