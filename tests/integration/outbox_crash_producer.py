"""Commits an event through a unit of work, then dies before any relay could deliver it.

Run as a separate process by test_outbox.py: ``python outbox_crash_producer.py DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy.ext.asyncio import async_sessionmaker

from flowwright.kernel.adapters.database import SYSTEM, create_engine
from flowwright.kernel.adapters.unit_of_work import SqlUnitOfWork
from flowwright.kernel.clock import SystemClock
from flowwright.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class CrashProbe(DomainEvent):
    name: ClassVar[str] = "test.CrashProbe"
    marker: str


async def main(url: str, marker: str) -> None:
    engine = create_engine(url)
    async with SqlUnitOfWork(
        async_sessionmaker(engine), scope=SYSTEM, clock=SystemClock(), app_role="flowwright_app"
    ) as uow:
        uow.emit(CrashProbe(marker=marker))
        await uow.commit()
    print("committed", flush=True)
    os._exit(137)  # no cleanup, no relay: as if killed right after the commit


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
