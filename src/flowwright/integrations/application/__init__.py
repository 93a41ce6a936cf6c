"""Application layer of the integrations context."""
