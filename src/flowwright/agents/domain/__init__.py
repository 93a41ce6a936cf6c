"""Domain layer of the agents context."""
