"""The stylist agent: LangGraph graph, state, prompts, chat-model providers, offline stylist."""
