"""The names of the roles a process can play (kept apart so the CLI loads fast)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    API = "api"
    WORKER = "worker"
    SCHEDULER = "scheduler"
    ALL = "all"
