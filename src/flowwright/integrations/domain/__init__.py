"""Domain layer of the integrations context."""
