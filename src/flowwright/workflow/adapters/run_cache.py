"""The steps of runs as this process last committed them, so that the next transition of a run
need not read and decode every step row again.

A transition still reads the run's row (under its lock), and reuses the cached steps only when
that row still carries the stamp this process wrote with them: the history sequence and the time
of the last update. Any other writer of a run's steps moves one of the two (a lease appends a
``step_started`` entry; a transition's save updates the row), so steps changed elsewhere are
always read again. An entry is taken out by the load that uses it and put back only after the
transition commits, so a transition that fails leaves nothing behind.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from flowwright.workflow.domain.runs.queue import Lease
from flowwright.workflow.domain.runs.state import Instance, RunState
from flowwright.workflow.domain.runs.status import StepStatus


@dataclass(frozen=True)
class CachedSteps:
    tenant_id: str
    history_seq: int
    updated_at: datetime
    instances: dict[str, Instance]

    def matches(self, tenant_id: str, history_seq: int, updated_at: datetime) -> bool:
        return (self.tenant_id, self.history_seq, self.updated_at) == (
            tenant_id,
            history_seq,
            updated_at,
        )


class RunCache:
    """At most ``size`` runs and ``max_steps`` steps in all, least recently kept first out. Runs
    with an output stored out of line (over 64 KiB) are not kept at all, so the memory it holds
    stays bounded by about ``max_steps`` times that size."""

    def __init__(self, size: int = 512, max_steps: int = 20_000) -> None:
        self._entries: OrderedDict[str, CachedSteps] = OrderedDict()
        self._size = size
        self._max_steps = max_steps
        self._steps = 0

    def take(self, run_id: str) -> CachedSteps | None:
        entry = self._entries.pop(run_id, None)
        if entry is not None:
            self._steps -= len(entry.instances)
        return entry

    def keep(self, state: RunState, updated_at: datetime) -> None:
        """Keep the steps of ``state`` as just committed, stamped with the run row's values."""
        self.take(state.run_id)
        if state.status.is_terminal or len(state.instances) > self._max_steps:
            return  # ended: its steps are rarely needed again
        self._put(
            CachedSteps(state.tenant_id, state.history_seq, updated_at, _detached(state.instances)),
            state.run_id,
        )

    def _put(self, entry: CachedSteps, run_id: str) -> None:
        self._entries[run_id] = entry
        self._steps += len(entry.instances)
        while len(self._entries) > self._size or self._steps > self._max_steps:
            _, oldest = self._entries.popitem(last=False)
            self._steps -= len(oldest.instances)

    def started(self, leases: Sequence[Lease], last_seq: int, at: datetime) -> None:
        """A lease pass of this process committed ``leases`` of one run, whose history now ends
        at ``last_seq``: bring its entry up to date if nothing else changed the run meanwhile."""
        entry = self.take(leases[0].run_id)
        if entry is None or entry.history_seq != last_seq - len(leases):
            return
        for lease in leases:
            instance = entry.instances.get(lease.key)
            if instance is None:
                return
            instance.status = StepStatus.RUNNING
            instance.attempt = lease.attempt
            instance.fencing = lease.fencing
            instance.started_at = at
        self._put(replace(entry, history_seq=last_seq), lease.run_id)

    def __len__(self) -> int:
        return len(self._entries)


def _detached(instances: dict[str, Instance]) -> dict[str, Instance]:
    """Copies the caller's ``RunState`` no longer shares: it may outlive the transition."""
    copies = {}
    for key, instance in instances.items():
        twin = copy.copy(instance)
        twin.state = dict(instance.state)
        copies[key] = twin
    return copies
