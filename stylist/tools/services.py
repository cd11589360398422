"""Heavy objects the tools share, loaded once per process (and reloaded when their files change).

Each getter delegates to the owning module's own cache where it has one (encoder, tagger,
catalog), so the tools, the API and the CLI all hold the same instances.
"""

from __future__ import annotations

from stylist.catalog.store import Catalog, get_catalog
from stylist.layout import InstallLayout
from stylist.models.encoder import Encoder, get_encoder
from stylist.models.fewshot import FewShotHead, load_fewshot_head
from stylist.models.taggers import load_tagger
from stylist.models.tagging import AttributeTagger
from stylist.process_cache import ReloadingCache, file_stamp
from stylist.settings import get_settings

# One trained few-shot head: rebuilt when fewshot.pt is rewritten or the encoder changes.
_FEWSHOT: ReloadingCache[FewShotHead] = ReloadingCache()


def catalog() -> Catalog:
    return get_catalog(get_settings())


def tagger() -> AttributeTagger:
    return load_tagger(get_settings())


def encoder() -> Encoder:
    return get_encoder(get_settings())


def fewshot_head() -> FewShotHead:
    """The trained few-shot head (a shared instance: callers must not teach it in place)."""
    settings = get_settings()
    enc = encoder()
    key = (file_stamp(InstallLayout.of(settings).fewshot_path), enc.fingerprint)
    # ModelMissing says what to run when the file is not there.
    return _FEWSHOT.get(key, lambda: load_fewshot_head(settings, encoder=enc))
