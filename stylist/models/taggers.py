"""The configured attribute tagger (settings.attribute_model): the heads on encoder embeddings
("heads", the default) or the pixel CNN ("cnn"), loaded once per process and loaded again when
its checkpoint, the encoder or the catalog changes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stylist.catalog.store import CatalogMissing, get_catalog
from stylist.layout import InstallLayout
from stylist.models.checkpoints import read_checkpoint
from stylist.models.cnn import evaluate_cnn, load_cnn_tagger
from stylist.models.encoder import get_encoder
from stylist.models.heads import HEADS_KIND, HOW_TO_MAKE_HEADS, evaluate_heads, load_heads_tagger
from stylist.models.tagging import AttributeTagger
from stylist.process_cache import ReloadingCache, file_stamp
from stylist.settings import StyleSettings, get_settings

if TYPE_CHECKING:
    from stylist.catalog.store import Catalog

# One tagger per process: a stale one goes with its memory.
_TAGGERS: ReloadingCache[AttributeTagger] = ReloadingCache()


def _current_catalog(settings: StyleSettings) -> Catalog | None:
    """The ingested catalog, to check a checkpoint against; None when there is none yet (a
    tagger can still tag photos without a catalog)."""
    try:
        return get_catalog(settings)
    except CatalogMissing:
        return None


def load_tagger(settings: StyleSettings | None = None) -> AttributeTagger:
    """The configured tagger (settings.attribute_model), loaded once per process and loaded
    again when its checkpoint file, the encoder or the catalog changes."""
    settings = settings or get_settings()
    layout = InstallLayout.of(settings)
    catalog_stamp = file_stamp(layout.items_path)
    if settings.attribute_model == "cnn":
        path = layout.cnn_path
        key = ("cnn", file_stamp(path), catalog_stamp, settings.device)
        return _TAGGERS.get(
            key, lambda: load_cnn_tagger(path, settings, _current_catalog(settings))
        )
    path = layout.heads_path
    if not path.is_file():  # say how to make it before loading an encoder for nothing
        read_checkpoint(path, HEADS_KIND, HOW_TO_MAKE_HEADS)
    encoder = get_encoder(settings)
    key = ("heads", file_stamp(path), catalog_stamp, encoder.fingerprint)
    return _TAGGERS.get(
        key,
        lambda: load_heads_tagger(
            settings, encoder=encoder, catalog=_current_catalog(settings), path=path
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
