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
