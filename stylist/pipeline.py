"""Build the offline demo end to end: catalog → models → index, skipping what exists.

`make demo` and the test suite's `demo_world` fixture both come through here, so the demo a
person runs is the one the tests check.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from stylist.layout import InstallLayout, has_content
from stylist.settings import StyleSettings, get_settings


def _stage(name: str, done: bool, run: Callable[[], object], log: Callable[[str], None]) -> None:
    if done:
        log(f"✓ {name} (already built)")
        return
    started = time.perf_counter()
    log(f"… {name}")
    run()
    log(f"✓ {name} ({time.perf_counter() - started:.0f} s)")


def build_demo(
    settings: StyleSettings | None = None,
    *,
    n: int = 3000,
    quick: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
) -> None:
    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import Catalog, ingest
    from stylist.models.encoder_training import train_encoder
    from stylist.models.fewshot import train_fewshot
    from stylist.models.heads import train_attribute_heads
    from stylist.vectorstore.index import build_index, index_is_current

    settings = settings or get_settings()
    layout = InstallLayout.of(settings)
    catalog_dir = settings.demo_catalog_dir
    styles = catalog_dir / "styles.csv"
    _stage(
        "demo catalog",
        has_content(styles),
        lambda: generate_demo_catalog(catalog_dir, n=n, progress=progress),
        log,
    )
    _stage(
        "ingest",
        layout.catalog_present(),
        lambda: ingest(styles, catalog_dir / "images", settings, progress=progress),
        log,
    )
    catalog = Catalog.load(settings)
    if settings.encoder == "demo":
        _stage(
            "encoder",
            layout.encoder_present(),
            lambda: train_encoder(catalog, settings, quick=quick, progress=progress),
            log,
        )
    _stage(
        "attribute heads",
        has_content(layout.heads_path),  # the demo trains heads, whatever the tagger setting
        lambda: train_attribute_heads(catalog, settings, quick=quick, progress=progress),
        log,
    )
    _stage(
        "few-shot head",
        layout.fewshot_present(),
        lambda: train_fewshot(catalog, settings, quick=quick, progress=progress),
        log,
    )
    _stage(
        "search index",
        index_is_current(settings),
        lambda: build_index(settings, progress=progress),
        log,
    )
