"""Shared kernel: ids, clock, errors, domain events, message bus, unit of work, outbox."""
