"""Application layer of the agents context."""
