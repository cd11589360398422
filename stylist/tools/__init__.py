"""LangChain tools: thin adapters from the agent to models/ and vectorstore/."""
