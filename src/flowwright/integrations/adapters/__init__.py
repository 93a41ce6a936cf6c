"""Adapters layer of the integrations context."""
