"""A small shared world for the classifier tests: a demo catalog of a few hundred items and two
tiny randomly initialised open_clip encoders (built by open_clip's factory, saved in the
local-dir layout the real loader reads). Built once per test session, then only read.

Each test trains into its own data dir and points its settings at the world's catalog and
encoder, so tests never write into each other's files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

N_ITEMS = 260
# Small catalogs have few items per class; keep real classes instead of merging all into Other.
MIN_CLASS_COUNT = 5


@dataclass(frozen=True)
class World:
    root: Path
    items_csv: Path
    encoder: Path  # the encoder the models are trained with
    other_encoder: Path  # same architecture, other weights: a mismatching fingerprint

    def settings(self, data_dir: Path, **overrides):
        """Settings of one test's installation: its own data dir, the world's catalog table
        (copied in, so `Catalog.load` and the CLI find it) and the world's encoder."""
        from stylist.settings import StyleSettings

        settings = StyleSettings(
            data_dir=data_dir,
            encoder=str(self.encoder),
            min_class_count=MIN_CLASS_COUNT,
            device="cpu",
            **overrides,
        )
        if not settings.items_path.is_file():
            settings.items_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(self.items_csv, settings.items_path)
        return settings

    def env(self, data_dir: Path) -> dict[str, str]:
        """The same installation as environment variables (for CLI tests)."""
        self.settings(data_dir)
        return {
            "STYLIST_DATA_DIR": str(data_dir),
            "STYLIST_ENCODER": str(self.encoder),
            "STYLIST_MIN_CLASS_COUNT": str(MIN_CLASS_COUNT),
            "STYLIST_DEVICE": "cpu",
        }


@cache
def build_world(root: Path) -> World:
    import torch

    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import ingest
    from stylist.models.encoder import build_encoder, save_encoder
    from stylist.settings import StyleSettings

    torch.set_num_threads(1)  # the CI machine is small and shared
    settings = StyleSettings(data_dir=root / "catalog-home", min_class_count=MIN_CLASS_COUNT)
    styles = generate_demo_catalog(settings.demo_catalog_dir, n=N_ITEMS, seed=7, progress=False)
    ingest(styles, settings.demo_catalog_dir / "images", settings, progress=False)
    encoder = save_encoder(build_encoder("stylist-tiny", seed=0), root / "encoder-a")
    other = save_encoder(build_encoder("stylist-tiny", seed=1), root / "encoder-b")
    return World(root, settings.items_path, encoder, other)
