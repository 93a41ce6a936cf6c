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
    def __init__(self, size: int = 2048) -> None:
        self._entries: OrderedDict[str, CachedSteps] = OrderedDict()
        self._size = size

    def take(self, run_id: str) -> CachedSteps | None:
        return self._entries.pop(run_id, None)

    def keep(self, state: RunState, updated_at: datetime) -> None:
        """Keep the steps of ``state`` as just committed, stamped with the run row's values."""
        if state.status.is_terminal:
            self._entries.pop(state.run_id, None)  # ended: its steps are rarely needed again
            return
        self._entries[state.run_id] = CachedSteps(
            state.tenant_id, state.history_seq, updated_at, _detached(state.instances)
        )
        self._entries.move_to_end(state.run_id)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def started(self, leases: Sequence[Lease], last_seq: int, at: datetime) -> None:
        """A lease pass of this process committed ``leases`` of one run, whose history now ends
        at ``last_seq``: bring its entry up to date if nothing else changed the run meanwhile."""
        entry = self._entries.pop(leases[0].run_id, None)
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
        self._entries[lease.run_id] = replace(entry, history_seq=last_seq)

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
