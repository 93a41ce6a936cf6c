"""Adapters layer of the workflow context."""
