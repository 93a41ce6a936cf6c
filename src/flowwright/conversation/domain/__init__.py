"""Domain layer of the conversation context."""
