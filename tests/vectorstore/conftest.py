"""Search fixtures: a small generated catalog with a tiny random open_clip encoder, indexed once
per run into embedded Chroma and into a real `chroma run` server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

WORLD_ITEMS = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_world(data_dir: Path, n: int = WORLD_ITEMS, seed: int = 0) -> Path:
    """Catalog + ingest + tiny encoder saved as the demo encoder (no index yet)."""
    import torch

    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import ingest
    from stylist.models.encoder import build_encoder, save_encoder
    from stylist.settings import StyleSettings

    torch.set_num_threads(1)
    settings = StyleSettings(data_dir=data_dir)
    styles = generate_demo_catalog(settings.demo_catalog_dir, n=n, seed=seed, progress=False)
    ingest(styles, settings.demo_catalog_dir / "images", settings, progress=False)
    save_encoder(build_encoder("stylist-tiny", seed=0), settings.models_dir / "encoder")
    return data_dir


@pytest.fixture(scope="session")
def make_world():
    """Build a small catalog + tiny demo encoder in a folder: make_world(dir, n=..., seed=...)."""
    return _make_world


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory) -> Path:
    """A 500-item demo catalog indexed into embedded Chroma (read-only for tests)."""
    from stylist.settings import StyleSettings
    from stylist.vectorstore.index import build_index

    data_dir = _make_world(tmp_path_factory.mktemp("search-world"))
    build_index(StyleSettings(data_dir=data_dir), progress=False)
    return data_dir


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free local port."""
    import httpx

    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the Chroma server did not start")
        time.sleep(0.3)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server_world(world_dir, chroma_server) -> tuple[Path, str]:
    """The same catalog indexed into the Chroma server."""
    from stylist.settings import StyleSettings
    from stylist.vectorstore.index import build_index

    build_index(StyleSettings(data_dir=world_dir, chroma_url=chroma_server), progress=False)
    return world_dir, chroma_server


@pytest.fixture
def world(world_dir, monkeypatch):
    """Settings pointing at the embedded-Chroma world."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_DATA_DIR", str(world_dir))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture(params=["embedded", "server"])
def backend(request, world_dir, monkeypatch):
    """Settings for the world on each store: embedded PersistentClient and a Chroma server."""
    from stylist.settings import get_settings

    monkeypatch.setenv("STYLIST_DATA_DIR", str(world_dir))
    if request.param == "server":
        _, url = request.getfixturevalue("server_world")
        monkeypatch.setenv("STYLIST_CHROMA_URL", url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
