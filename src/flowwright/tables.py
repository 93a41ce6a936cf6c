"""Imports every context's tables so they are registered on the shared metadata."""

from flowwright.kernel.adapters import outbox_table
from flowwright.tenancy.adapters import tables as tenancy_tables

__all__ = ["outbox_table", "tenancy_tables"]
