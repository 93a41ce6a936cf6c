"""What executing a step produced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Succeeded:
    output: Any
    details: dict[str, Any] = field(default_factory=dict)  # recorded in the history (usage)


@dataclass(frozen=True)
class Failed:
    code: str
    message: str
    retryable: bool = False
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Waiting:
    """The step waits: until ``wake_at`` (timers, approval timeouts) or for a signal."""

    wake_at: datetime | None
    state: dict[str, Any] = field(default_factory=dict)
    history_type: str | None = None


Outcome = Succeeded | Failed | Waiting
