"""Agents: agent definitions and the LLM gateway (providers, routing, budgets, usage)."""
