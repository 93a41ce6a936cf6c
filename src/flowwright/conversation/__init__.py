"""Conversation: design conversations with the designer agent, messages and drafts."""
