"""Application layer of the conversation context."""
