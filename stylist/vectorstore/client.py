"""The Chroma client: embedded (PersistentClient in the data dir) or a server (HttpClient) when
settings.chroma_url is set. Everything else talks to Chroma through `get_chroma_client`, so the
two deployments run the same code."""

from __future__ import annotations

from urllib.parse import urlparse

from stylist.process_cache import ReloadingCache
from stylist.settings import StyleSettings, get_settings
from stylist.vectorstore.errors import SearchError

# One client per location; a few locations at once (an embedded store beside a server).
_CLIENTS: ReloadingCache[object] = ReloadingCache(maxsize=4)


def chroma_settings():
    from chromadb.config import Settings

    # Telemetry would try the network; resets let --rebuild drop collections cleanly.
    return Settings(anonymized_telemetry=False, allow_reset=True)


def get_chroma_client(settings: StyleSettings | None = None):
    """One client per location per process (Chroma's embedded client is heavy to open)."""
    settings = settings or get_settings()
    key = settings.chroma_url or str(settings.chroma_path.resolve())
    return _CLIENTS.get(key, lambda: _connect(settings))


def _connect(settings: StyleSettings):
    import chromadb

    if settings.chroma_url:
        url = urlparse(
            settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}"
        )
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings(),
            )
        except Exception as err:  # connection refused, DNS, TLS: one sentence
            raise SearchError(
                f"Cannot reach the Chroma server at {settings.chroma_url} ({type(err).__name__}). "
                "Start it with `chroma run --path DIR --port P`, or unset STYLIST_CHROMA_URL to "
                "use the embedded store."
            ) from None
    settings.chroma_path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings())


def forget_clients() -> None:
    """Drop cached clients (tests that delete a data dir or stop a server)."""
    _CLIENTS.clear()
