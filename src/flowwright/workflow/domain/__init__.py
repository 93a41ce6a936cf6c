"""Domain layer of the workflow context."""
