"""Persistence adapters of the shared kernel: database engine, unit of work, outbox store."""
