"""Adapters layer of the agents context."""
