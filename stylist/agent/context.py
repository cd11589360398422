"""Run-scoped context for one turn (not checkpointed): which chat model to use and the limits."""

from __future__ import annotations

from dataclasses import dataclass

from stylist.agent.providers import ProviderConfig


@dataclass(frozen=True)
class StylistContext:
    provider: ProviderConfig
    max_steps: int = 8
    # Products per search for this chat; None falls back to settings.results_k.
    results_k: int | None = None
    # The signed-in person this turn acts for (the app database's user id), or None for an
    # anonymous chat (CLI, demo without accounts). Tools that read or write owned data
    # (wardrobe, style profile) take it from here, never from the model's arguments.
    user_id: str | None = None
