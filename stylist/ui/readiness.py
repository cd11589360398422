"""What is not built yet, in words, so the chat can say it on start instead of failing later."""

from __future__ import annotations

from stylist.install_status import missing_parts
from stylist.settings import StyleSettings
from stylist.wording import in_words


def readiness_notice(settings: StyleSettings | None = None) -> str | None:
    """A sentence naming what is missing and how to build it, or None when all is there."""
    missing = missing_parts(settings)
    if not missing:
        return None
    return (
        f"Heads-up: {in_words(missing)} {'is' if len(missing) == 1 else 'are'} not built yet, "
        "so I can chat but not tag photos or search. Run `make demo` (or `stylist demo`) to "
        "build the demo, or `stylist ingest`, `stylist train` and `stylist index` for your own "
        "catalog."
    )
