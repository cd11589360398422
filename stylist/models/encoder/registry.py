"""Model configs known to open_clip's factory: Stylist's own (model_configs/*.json, data, not
code) and the configs that a checkpoint or a local directory carries.

open_clip builds a model only from a registered config name, and its public way to register
one is `add_model_config(path)`, which reads the JSON files at `path` into its registry. A
config that arrives as a dict is therefore written to a private temporary directory, registered,
and the directory removed straight away: the registry keeps the parsed config (a later rescan
skips paths that are gone), and nothing is left behind in the temp dir.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import open_clip

from stylist.models import towers  # noqa: F401 - registers the demo towers with timm

MODEL_CONFIGS_DIR = Path(__file__).resolve().parent.parent / "model_configs"

_LOCK = threading.RLock()


def register_model_configs() -> None:
    """Make the configs kept as data in stylist/models/model_configs known to open_clip."""
    with _LOCK:
        if "stylist-demo" not in open_clip.list_models():
            open_clip.add_model_config(MODEL_CONFIGS_DIR)


def register_config(model_cfg: dict[str, Any]) -> str:
    """Register a model config held in a file or checkpoint; its name is its content hash.

    Naming configs by content means two different configs never collide and the same config
    registers once per process.
    """
    blob = json.dumps(model_cfg, sort_keys=True)
    name = "stylist-cfg-" + hashlib.sha256(blob.encode()).hexdigest()[:12]
    with _LOCK:
        if name not in open_clip.list_models():
            with tempfile.TemporaryDirectory(prefix="stylist-open-clip-config-") as folder:
                path = Path(folder) / f"{name}.json"
                path.write_text(blob)
                open_clip.add_model_config(path)
    return name


@contextmanager
def quiet_open_clip() -> Iterator[None]:
    """open_clip logs expected events (random init, found weights) as warnings and a failed
    download as an error on the root logger; the caller turns failures into one sentence, so
    keep those lines out of the user's terminal while the factory runs."""
    previous = logging.root.manager.disable
    logging.disable(logging.ERROR)
    try:
        yield
    finally:
        logging.disable(previous)
