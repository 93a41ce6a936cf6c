"""In-process wake-ups: workers wake when work appears, live views when their run changes.

Other processes find the same changes by polling; these signals only cut the latency inside one
process (the embedded default runs every role in one).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class RunSignals:
    def __init__(self) -> None:
        self.work_available = asyncio.Event()
        self._watchers: dict[str, set[asyncio.Event]] = defaultdict(set)

    def work(self) -> None:
        self.work_available.set()

    def changed(self, run_id: str) -> None:
        for event in self._watchers.get(run_id, ()):
            event.set()

    def watch(self, run_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._watchers[run_id].add(event)
        return event

    def unwatch(self, run_id: str, event: asyncio.Event) -> None:
        watchers = self._watchers.get(run_id)
        if watchers is not None:
            watchers.discard(event)
            if not watchers:
                self._watchers.pop(run_id, None)
