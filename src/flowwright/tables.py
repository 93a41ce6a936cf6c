"""Imports every context's tables so they are registered on the shared metadata."""

from flowwright.agents.adapters import tables as agents_tables
from flowwright.conversation.adapters import tables as conversation_tables
from flowwright.kernel.adapters import outbox_table
from flowwright.tenancy.adapters import tables as tenancy_tables
from flowwright.workflow.adapters import run_tables
from flowwright.workflow.adapters import tables as workflow_tables

__all__ = [
    "agents_tables",
    "conversation_tables",
    "outbox_table",
    "run_tables",
    "tenancy_tables",
    "workflow_tables",
]
