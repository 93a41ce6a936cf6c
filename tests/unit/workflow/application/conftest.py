"""The workflow ports in memory for the use-case tests: one store, a held clock, tenant acme."""

from __future__ import annotations

import pytest
from engine_kit import T0, owner_of

from flowwright.kernel.clock import FixedClock
from flowwright.workflow.adapters.memory import (
    InMemoryEngineUnitOfWorkFactory,
    InMemoryRunQueue,
    InMemoryWorkflowStore,
)
from flowwright.workflow.application.engine import Engine, EngineSettings
from flowwright.workflow.application.signals import RunSignals
from flowwright.workflow.domain.caller import Caller


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store() -> InMemoryWorkflowStore:
    return InMemoryWorkflowStore()


@pytest.fixture
def uow_factory(store: InMemoryWorkflowStore, clock: FixedClock) -> InMemoryEngineUnitOfWorkFactory:
    return InMemoryEngineUnitOfWorkFactory(store, clock)


@pytest.fixture
def queue(store: InMemoryWorkflowStore) -> InMemoryRunQueue:
    return InMemoryRunQueue(store)


@pytest.fixture
def settings() -> EngineSettings:
    return EngineSettings()


@pytest.fixture
def engine(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, settings: EngineSettings
) -> Engine:
    return Engine(uow_factory, clock, RunSignals(), settings)


@pytest.fixture
def owner() -> Caller:
    """The owner of tenant acme."""
    return owner_of("acme")
