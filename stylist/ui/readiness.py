"""What is not built yet, in words, so the chat can say it on start instead of failing later."""

from __future__ import annotations

from stylist.settings import StyleSettings, get_settings


def missing_parts(settings: StyleSettings | None = None) -> list[str]:
    s = settings or get_settings()
    models = s.models_dir
    missing = []
    if not s.items_path.is_file():
        missing.append("the product catalog")
    if s.encoder == "demo" and not (models / "encoder").is_dir():
        missing.append("the image encoder")
    heads = "attribute-heads.pt" if s.attribute_model == "heads" else "attribute-cnn.pt"
    if not (models / heads).is_file():
        missing.append("the attribute model")
    if not s.chroma_url and not s.chroma_path.is_dir():
        missing.append("the search index")
    return missing


def in_words(parts: list[str]) -> str:
    """["a", "b", "c"] -> "a, b and c"."""
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1]


def readiness_notice(settings: StyleSettings | None = None) -> str | None:
    """A sentence naming what is missing and how to build it, or None when all is there."""
    missing = missing_parts(settings)
    if not missing:
        return None
    listed = in_words(missing)
    return (
        f"Heads-up: {listed} {'is' if len(missing) == 1 else 'are'} not built yet, so I can "
        "chat but not tag photos or search. Run `make demo` (or `stylist demo`) to build the "
        "demo, or `stylist ingest`, `stylist train` and `stylist index` for your own catalog."
    )
