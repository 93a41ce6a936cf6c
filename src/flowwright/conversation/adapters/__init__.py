"""Adapters layer of the conversation context."""
