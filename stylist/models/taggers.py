"""The configured attribute tagger (settings.attribute_model): the heads on encoder embeddings
("heads", the default) or the pixel CNN ("cnn"), loaded once per process and loaded again when
its checkpoint, the encoder or the catalog changes; mixed with the real-photo tagger
(`combined_tagger.py`) when settings.real_photo_tagger says so (by default in the demo install,
whose trained tagger has only seen drawings)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from stylist.catalog.store import CatalogMissing, get_catalog, ingested_from
from stylist.layout import InstallLayout
from stylist.models.checkpoints import read_checkpoint
from stylist.models.cnn import evaluate_cnn, load_cnn_tagger
from stylist.models.combined_tagger import CombinedTagger
from stylist.models.encoder import get_encoder
from stylist.models.heads import HEADS_KIND, HOW_TO_MAKE_HEADS, evaluate_heads, load_heads_tagger
from stylist.models.imagenet_tags import CatalogVocabulary, ImageNetTagger
from stylist.models.tagging import AttributeTagger
from stylist.process_cache import ReloadingCache, file_stamp
from stylist.settings import StyleSettings, get_settings

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog

# The real-photo tagger's weight per attribute in the mix, against the trained tagger's 1.0
# (bench/eval_combined_tagger.py, 1,000 real photos + 300 demo drawings, demo heads of a quick
# build): at 2.0 real photos score masterCategory 0.905, subCategory 0.753, baseColour 0.545 (at
# 1.0: 0.891 / 0.748 / 0.524) while the drawings' masterCategory stays near the heads' own (0.57
# against 0.62; 5.0, which the calibration sample picked, gives 0.915 real but 0.53 drawings).
# Season and usage stay at 1.0: the ImageNet side only has the catalog's mix for them.
PHOTO_RELIABILITY: dict[str, float] = dict.fromkeys(
    ("masterCategory", "subCategory", "articleType", "baseColour", "gender"), 2.0
)

# One tagger per process: a stale one goes with its memory.
_TAGGERS: ReloadingCache[AttributeTagger] = ReloadingCache()


def _current_catalog(settings: StyleSettings) -> Catalog | None:
    """The ingested catalog, to check a checkpoint against; None when there is none yet (a
    tagger can still tag photos without a catalog)."""
    try:
        return get_catalog(settings)
    except CatalogMissing:
        return None


def _trained_tagger(settings: StyleSettings) -> tuple[tuple, Callable[[], AttributeTagger]]:
    """(cache key, loader) of the configured catalog-trained tagger."""
    layout = InstallLayout.of(settings)
    catalog_stamp = file_stamp(layout.items_path)
    if settings.attribute_model == "cnn":
        path = layout.cnn_path
        key = ("cnn", file_stamp(path), catalog_stamp, settings.device)
        return key, lambda: load_cnn_tagger(path, settings, _current_catalog(settings))
    path = layout.heads_path
    if not path.is_file():  # say how to make it before loading an encoder for nothing
        read_checkpoint(path, HEADS_KIND, HOW_TO_MAKE_HEADS)
    encoder = get_encoder(settings)
    key = ("heads", file_stamp(path), catalog_stamp, encoder.fingerprint)
    return key, lambda: load_heads_tagger(
        settings, encoder=encoder, catalog=_current_catalog(settings), path=path
    )


def real_photo_tagger_on(settings: StyleSettings) -> bool:
    """settings.real_photo_tagger: "on", "off", or "auto" = on for the demo install, whose
    trained tagger has only seen the synthetic catalog's drawings."""
    if settings.real_photo_tagger != "auto":
        return settings.real_photo_tagger == "on"
    source = ingested_from(settings)
    return source is not None and source == (settings.demo_catalog_dir / "styles.csv").resolve()


def _photo_vocabulary(settings: StyleSettings) -> CatalogVocabulary:
    """The labels the real-photo tagger answers in: the demo's own vocabulary for the demo
    install, otherwise the ingested catalog's."""
    source = ingested_from(settings)
    if source is not None and source == (settings.demo_catalog_dir / "styles.csv").resolve():
        return CatalogVocabulary.demo()
    return CatalogVocabulary.from_items(get_catalog(settings).items)


def load_tagger(settings: StyleSettings | None = None) -> AttributeTagger:
    """The configured tagger (settings.attribute_model), with the real-photo tagger mixed in
    when settings.real_photo_tagger says so; loaded once per process and loaded again when its
    checkpoint file, the encoder or the catalog changes."""
    settings = settings or get_settings()
    key, load_trained = _trained_tagger(settings)
    if not real_photo_tagger_on(settings):
        return _TAGGERS.get(key, load_trained)
    return _TAGGERS.get(
        ("combined", *key),
        lambda: CombinedTagger(
            load_trained(), ImageNetTagger(_photo_vocabulary(settings)), PHOTO_RELIABILITY
        ),
    )


def evaluate_attributes(
    catalog: Catalog,
    settings: StyleSettings | None = None,
    *,
    model: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """`stylist eval attributes`: the trained heads or CNN on the test split, same report."""
    settings = settings or get_settings()
    model = model or settings.attribute_model
    if model == "cnn":
        return evaluate_cnn(
            load_cnn_tagger(settings=settings, catalog=catalog),
            catalog,
            settings,
            progress=progress,
        )
    if model != "heads":
        raise ValueError(f'The attribute model must be "heads" or "cnn", not "{model}".')
    tagger = load_heads_tagger(settings, catalog=catalog)
    return evaluate_heads(catalog, settings, tagger, progress=progress)
