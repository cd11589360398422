"""Build an install end to end: catalog → models → index, skipping what exists.

Two entry points share every model stage (`build_models`), so a setting such as
STYLIST_ATTRIBUTE_MODEL=cnn or STYLIST_ENCODER changes what is built the same way everywhere:

- `build_demo`: the offline demo (synthetic catalog drawn here). `make demo` and the test
  suite's `demo_world` fixture both come through here, so the demo a person runs is the one the
  tests check.
- `build_from_catalog`: any Kaggle-layout folder (styles.csv + images/) in its own data dir
  (`stylist demo --catalog DIR`), with training budgets that keep a 35,000-item catalog within
  about 25 minutes on 2 CPU cores.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stylist.layout import InstallLayout, has_content
from stylist.settings import StyleSettings, get_settings

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog

Log = Callable[[str], None]

# The demo encoder's training, in image passes: its 20 epochs over the 3,000-item demo's 2,400
# training photos. A larger catalog gets fewer epochs for about the same work (at least 2), so
# that its build time grows with the index, not with catalog size x epochs.
ENCODER_IMAGE_PASSES = 48_000
MIN_ENCODER_EPOCHS = 2


# What a real catalog's install uses unless the environment (or .env) says otherwise, from the
# real-catalog evaluation (docs/evaluation.md, "Which models each install uses"): the packaged
# towers (ImageNet Lite0 + MiniLM) as the encoder, and the attribute heads on its embedding as
# the tagger. The pretrained Lite0 CNN tags better (0.872 against 0.821 average weighted F1 on
# the 34,525-item real catalog) but costs 34 more minutes of training on 2 cores, and the
# one-command build must open the chat within 25 minutes: it is one setting away
# (STYLIST_ATTRIBUTE_MODEL=cnn). The demo catalog keeps StyleSettings' own defaults (the small
# demo encoder and heads, trained on its drawings in minutes).
REAL_CATALOG_DEFAULTS: dict[str, str] = {
    "encoder": "packaged:lite0-minilm",
    "attribute_model": "heads",
}


def real_catalog_settings(settings: StyleSettings, catalog_dir: Path) -> StyleSettings:
    """The settings of a Kaggle-layout folder's install: its own data dir (catalog_data_dir),
    and REAL_CATALOG_DEFAULTS for what the user did not set (STYLIST_ENCODER,
    STYLIST_ATTRIBUTE_MODEL in the environment or .env, or given explicitly, win)."""
    update: dict[str, Any] = {"data_dir": catalog_data_dir(settings.data_dir, catalog_dir)}
    for name, value in REAL_CATALOG_DEFAULTS.items():
        if name not in settings.model_fields_set:
            update[name] = value
    return settings.model_copy(update=update)


def model_choice_env(settings: StyleSettings) -> dict[str, str]:
    """The model choices as STYLIST_* variables, for a process started for this install (the
    chat) to load what the build made."""
    return {
        "STYLIST_ENCODER": settings.encoder,
        "STYLIST_ATTRIBUTE_MODEL": settings.attribute_model,
    }


def _stage(name: str, done: bool, run: Callable[[], object], log: Log) -> None:
    if done:
        log(f"✓ {name} (already built)")
        return
    started = time.perf_counter()
    log(f"… {name}")
    run()
    log(f"✓ {name} ({time.perf_counter() - started:.0f} s)")


@dataclass(frozen=True)
class TrainingBudget:
    """How long the trainers may run: None = each trainer's own default."""

    encoder_epochs: int | None = None
    cnn_options: dict[str, Any] | None = None

    @classmethod
    def for_catalog(cls, train_items: int) -> TrainingBudget:
        """Epochs for a catalog of `train_items` training photos (see ENCODER_IMAGE_PASSES)."""
        epochs = max(MIN_ENCODER_EPOCHS, min(20, round(ENCODER_IMAGE_PASSES / max(train_items, 1))))
        return cls(encoder_epochs=epochs)


def build_cnn_options(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The CNN a build trains when STYLIST_ATTRIBUTE_MODEL=cnn: the pretrained Lite0 serving
    every attribute (packaged weights, nothing downloaded), with its measured fine-tuning recipe
    (cnn.PRETRAINED_LITE0_RECIPE) and the garment-colour branch on the colour head (on a
    6,000-item real slice a linear probe scored baseColour weighted F1 0.52 on the garment's Lab
    histogram against 0.36 on the frozen Lite0 features: the histogram holds colour the pooled
    ImageNet features lose)."""
    from stylist.catalog.schema import ATTRIBUTES
    from stylist.models.cnn import LITE0

    return {
        "routing": {LITE0: list(ATTRIBUTES)},
        "pretrained": True,
        "colour_features": True,
        **(extra or {}),
    }


def build_models(
    catalog: Catalog,
    settings: StyleSettings,
    *,
    quick: bool = False,
    progress: bool = True,
    log: Log = print,
    budget: TrainingBudget | None = None,
) -> None:
    """Every model the settings call for, then the search index; what exists is kept.

    The encoder is trained when the layout says the configured spec needs building here (the
    demo encoder; a pretrained spec brings its weights). The attribute tagger is the one
    settings.attribute_model names: the heads on encoder embeddings, or the pixel CNN."""
    from stylist.models.encoder_training import EncoderTrainOptions, train_encoder
    from stylist.models.fewshot import train_fewshot
    from stylist.vectorstore.index import build_index, index_is_current

    budget = budget or TrainingBudget()
    layout = InstallLayout.of(settings)

    def encoder() -> object:
        from stylist.models.encoder.packaged import is_packaged_spec

        options = None
        # The epoch budget is the demo encoder's; a packaged encoder's projections train on
        # cached tower features with their own defaults (the towers' pass is the cost).
        packaged = is_packaged_spec(settings.encoder)
        if budget.encoder_epochs is not None and not quick and not packaged:
            options = EncoderTrainOptions.from_options(epochs=budget.encoder_epochs)
        return train_encoder(catalog, settings, quick=quick, progress=progress, options=options)

    _stage("encoder", layout.encoder_present(), encoder, log)
    if settings.attribute_model == "cnn":
        from stylist.models.cnn import train_cnn

        _stage(
            "attribute CNN",
            has_content(layout.cnn_path),
            lambda: train_cnn(
                catalog,
                settings,
                quick=quick,
                progress=progress,
                log_fn=log,
                **build_cnn_options(budget.cnn_options),
            ),
            log,
        )
    else:
        from stylist.models.heads import train_attribute_heads

        _stage(
            "attribute heads",
            has_content(layout.heads_path),
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


def build_demo(
    settings: StyleSettings | None = None,
    *,
    n: int = 3000,
    quick: bool = False,
    progress: bool = True,
    log: Log = print,
) -> None:
    from stylist.catalog.demo import generate_demo_catalog
    from stylist.catalog.store import Catalog, ingest

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
    build_models(Catalog.load(settings), settings, quick=quick, progress=progress, log=log)


# --- a catalog of one's own -----------------------------------------------------------------


def catalog_data_dir(base: Path, catalog_dir: Path) -> Path:
    """The data dir of a Kaggle-layout folder: base/catalogs/<folder name>-<hash of its path>,
    so two folders never share models and the demo's own data stays untouched."""
    resolved = Path(catalog_dir).resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:8]
    return Path(base) / "catalogs" / f"{resolved.name or 'catalog'}-{digest}"


def check_catalog_dir(catalog_dir: Path) -> None:
    """A clear sentence when the folder is not a Kaggle-layout catalog."""
    catalog_dir = Path(catalog_dir)
    if not (catalog_dir / "styles.csv").is_file() or not (catalog_dir / "images").is_dir():
        raise ValueError(
            f"{catalog_dir} is not a catalog folder: it needs styles.csv and an images/ folder "
            "(images/<id>.jpg), the Kaggle fashion-product-images layout."
        )


def build_from_catalog(
    catalog_dir: Path,
    settings: StyleSettings,
    *,
    quick: bool = False,
    progress: bool = True,
    log: Log = print,
) -> None:
    """Ingest a Kaggle-layout folder into settings.data_dir (its own), then `build_models` with
    the budget for its size. A second run finds everything built and returns at once."""
    from stylist.catalog.store import Catalog, ingest

    check_catalog_dir(catalog_dir)
    catalog_dir = Path(catalog_dir)
    layout = InstallLayout.of(settings)
    _stage(
        "ingest",
        layout.catalog_present(),
        lambda: ingest(
            catalog_dir / "styles.csv", catalog_dir / "images", settings, progress=progress
        ),
        log,
    )
    catalog = Catalog.load(settings)
    build_models(
        catalog,
        settings,
        quick=quick,
        progress=progress,
        log=log,
        budget=TrainingBudget.for_catalog(len(catalog.train)),
    )


# --- what a build costs ---------------------------------------------------------------------

# What each stage costs on 2 idle CPU cores, in seconds per 1,000 catalog items (the encoder per
# 1,000 photo passes, since its epochs shrink as the catalog grows). Derived from measured runs:
# the 3,000-item demo build (encoder ~180 s for its 48,000 passes, heads + few-shot ~50 s, index
# ~10 s); the one-command build of the 34,525-item real catalog (ingest 8 s, packaged encoder
# 462 s, heads 69 s, few-shot 10 s, index 23 s: 9.6 min in all); and the pretrained-Lite0 CNN
# with its colour branch on that catalog (eval-real, channels-last, an idle machine: 2,022 s
# for 4 epochs, decoding, colour histograms and the test evaluation).
SECONDS_PER_1000_ITEMS: dict[str, float] = {
    "ingest": 1.0,
    "attribute heads": 3.0,
    "attribute CNN": 59.0,
    "few-shot head": 2.0,
    "search index": 2.0,
}
ENCODER_SECONDS_PER_1000_PASSES = 3.75
# The packaged encoder: its frozen towers over every item, then its projections on the cached
# features. Measured on the 34,525-item real catalog: 462 s in `stylist demo --catalog` (whole
# build 9.6 min, on a machine busy with other work part of the time); 309 s in eval-real's
# encoder stage once the image networks ran channels-last (tower features 4.6 min, projections
# 33 s, an idle machine).
PACKAGED_ENCODER_SECONDS_PER_1000_ITEMS = 9.0
# Quick builds (tests, --quick) take seconds whatever the catalog.
QUICK_SECONDS = 60.0


def count_items(styles_csv: Path) -> int:
    """Rows of a styles.csv (header excluded): what a build will have to go through."""
    with open(styles_csv, "rb") as handle:
        return max(0, sum(1 for _ in handle) - 1)


def expected_seconds(items: int, settings: StyleSettings, *, quick: bool = False) -> float:
    """What building an install of `items` items costs on 2 idle CPU cores, for the stages the
    settings call for and that are not built yet."""
    if quick:
        return QUICK_SECONDS
    layout = InstallLayout.of(settings)
    tagger = "attribute CNN" if settings.attribute_model == "cnn" else "attribute heads"
    stages = {
        "ingest": not layout.catalog_present(),
        tagger: not layout.tagger_present(),
        "few-shot head": not layout.fewshot_present(),
        "search index": not layout.index_present(),
    }
    seconds = sum(SECONDS_PER_1000_ITEMS[s] * items / 1000 for s, todo in stages.items() if todo)
    from stylist.models.encoder.packaged import is_packaged_spec

    if not layout.encoder_present() and is_packaged_spec(settings.encoder):
        seconds += PACKAGED_ENCODER_SECONDS_PER_1000_ITEMS * items / 1000
    elif not layout.encoder_present():
        train_items = items * (1 - settings.test_fraction)
        epochs = TrainingBudget.for_catalog(round(train_items)).encoder_epochs or 20
        seconds += ENCODER_SECONDS_PER_1000_PASSES * epochs * train_items / 1000
    return seconds
