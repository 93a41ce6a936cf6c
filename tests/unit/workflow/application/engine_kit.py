"""Helpers for the workflow use-case tests: sources, publishing, leasing, a scripted executor."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flowwright.kernel.clock import FixedClock
from flowwright.workflow.adapters.memory import (
    InMemoryEngineUnitOfWorkFactory,
    InMemoryRunQueue,
)
from flowwright.workflow.application.ports import StepCall
from flowwright.workflow.application.versions import Installation, Pushed, push
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.local_steps import LOCAL_TYPES
from flowwright.workflow.domain.runs.outcome import Outcome
from flowwright.workflow.domain.runs.queue import Lease

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
INSTALLATION = Installation(available_step_types=LOCAL_TYPES | {"subworkflow", "http", "llm"})
REMOTE = frozenset({"http", "llm"})


def source(name: str, body: str) -> str:
    """A workflow document named ``name`` whose fields after ``metadata`` are ``body``."""
    header = f"apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {{name: {name}}}\n"
    return header + textwrap.dedent(body)


async def publish(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    caller: Caller,
    name: str,
    body: str,
) -> Pushed:
    return await push(
        source(name, body),
        caller=caller,
        uow_factory=uow_factory,
        installation=INSTALLATION,
        clock=clock,
    )


async def lease_all(
    queue: InMemoryRunQueue, clock: FixedClock, *, owner: str = "worker-1", limit: int = 50
) -> list[Lease]:
    now = clock.now()
    return await queue.lease(
        owner=owner,
        now=now,
        until=now + timedelta(seconds=30),
        limit=limit,
        types=REMOTE,
        tenant_step_cap=32,
    )


async def lease_one(queue: InMemoryRunQueue, clock: FixedClock, key: str) -> Lease:
    leases = await lease_all(queue, clock)
    found = [lease for lease in leases if lease.key == key]
    assert len(found) == 1, [lease.key for lease in leases]
    return found[0]


Script = Callable[[StepCall], Awaitable[Outcome]]


@dataclass
class ScriptedExecutor:
    """An executor that answers each call with the next scripted reply, recording the calls."""

    replies: list[Outcome | Exception | Script] = field(default_factory=list)
    calls: list[StepCall] = field(default_factory=list)
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    async def execute(self, call: StepCall) -> Outcome:
        self.calls.append(call)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            try:
                return await reply(call)
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
        return reply


async def forever(call: StepCall) -> Outcome:
    """A script that never answers (until it is cancelled)."""
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def owner_of(tenant_id: str) -> Caller:
    return Caller(tenant_id, f"{tenant_id}-owner", "owner")
