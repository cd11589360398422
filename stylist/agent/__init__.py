"""The stylist agent: LangGraph graph, state, prompts, chat-model providers, offline stylist.

Public API (see docs/architecture.md, "Agent"): `StylistSession`, `TurnEvent`, `TurnResult`,
`ProviderOverrides`, `get_agent`.
"""

from stylist.agent.events import TurnEvent, TurnResult
from stylist.agent.providers import ProviderOverrides
from stylist.agent.runner import StylistSession, get_agent

__all__ = ["ProviderOverrides", "StylistSession", "TurnEvent", "TurnResult", "get_agent"]
