"""Alembic migrations for every context's tables, and a programmatic runner."""
