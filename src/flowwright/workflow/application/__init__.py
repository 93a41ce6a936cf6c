"""Application layer of the workflow context."""
