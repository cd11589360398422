"""Heavy objects the tools share, loaded once per process (and reloaded when their files change).

Each getter delegates to the owning module's own cache where it has one (encoder, tagger,
catalog), so the tools, the API and the CLI all hold the same instances.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from stylist.settings import get_settings

_lock = threading.Lock()
_fewshot_cache: dict[tuple[str, float, str], Any] = {}


def catalog():
    from stylist.catalog.store import get_catalog

    return get_catalog(get_settings())


def tagger():
    from stylist.models.taggers import load_tagger

    return load_tagger(get_settings())


def encoder():
    from stylist.models.encoder import get_encoder

    return get_encoder(get_settings())


def fewshot_path() -> Path:
    return get_settings().models_dir / "fewshot.pt"


def fewshot_head():
    """The trained few-shot head (a shared instance: callers must not teach it in place)."""
    from stylist.models.fewshot import load_fewshot_head

    path = fewshot_path()
    enc = encoder()
    key = (str(path.resolve()), path.stat().st_mtime if path.exists() else 0.0, enc.fingerprint)
    with _lock:
        head = _fewshot_cache.get(key)
        if head is None:
            head = load_fewshot_head(get_settings(), encoder=enc)  # ModelMissing says what to run
            _fewshot_cache.clear()
            _fewshot_cache[key] = head
    return head
