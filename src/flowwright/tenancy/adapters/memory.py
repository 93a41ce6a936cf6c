"""The tenancy ports in memory, with the semantics of the SQL adapters.

* A unit of work is scoped to one tenant, or to the system when its tenant id is None.
  Repositories of tenant-owned rows (memberships, API keys) only see and write rows of that tenant
  and raise ``RuntimeError`` in the system scope; the ``*_any_tenant`` methods raise
  ``RuntimeError`` outside the system scope.
* Writes are staged in the unit of work: reads inside it see them, other units of work see them
  only once it commits, and leaving it without a commit discards them.
* Events emitted inside a unit of work reach the store's outbox on commit only.
* The unique and foreign-key constraints of the tables are checked on every write and again on
  commit; a violation raises :class:`IntegrityViolation`, as the database would refuse the row.
* Rows are copied in and out, so changing an object read from a repository changes nothing until
  it is passed to ``update``.
"""

from __future__ import annotations

import builtins
import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Generic, Self, TypeVar

from flowwright.kernel.clock import Clock
from flowwright.kernel.events import DomainEvent, EventEnvelope
from flowwright.kernel.memory import InMemoryOutboxStore
from flowwright.tenancy.application.ports import (
    ApiKeyRepository,
    MembershipRepository,
    TenancyUnitOfWork,
    TenancyUnitOfWorkFactory,
    TenantRepository,
    UserRepository,
)
from flowwright.tenancy.domain.model import ApiKey, Membership, Tenant, User


class IntegrityViolation(RuntimeError):
    """A write broke a unique or foreign-key constraint of the tenancy tables."""


@dataclass
class InMemoryTenancyStore:
    """The committed state shared by every unit of work of one factory."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    memberships: dict[str, Membership] = field(default_factory=dict)
    api_keys: dict[str, ApiKey] = field(default_factory=dict)
    outbox: list[EventEnvelope] = field(default_factory=list)
    # When given, committed envelopes are also added here, for a relay to deliver.
    outbox_store: InMemoryOutboxStore | None = None

    def events_named(self, name: str) -> list[EventEnvelope]:
        return [envelope for envelope in self.outbox if envelope.name == name]

    def event_names(self) -> list[str]:
        return [envelope.name for envelope in self.outbox]


_RowT = TypeVar("_RowT", Tenant, User, Membership, ApiKey)


class _Table(Generic[_RowT]):
    """One table as a unit of work sees it: the committed rows under its staged changes."""

    def __init__(self, committed: dict[str, _RowT]) -> None:
        self._committed: dict[str, _RowT] = committed
        self._staged: dict[str, _RowT | None] = {}  # None marks a deleted row

    def get(self, row_id: str) -> _RowT | None:
        row = self._staged[row_id] if row_id in self._staged else self._committed.get(row_id)
        return copy.copy(row) if row is not None else None

    def rows(self) -> list[_RowT]:
        """Every visible row, ordered by id (creation order for UUIDv7 ids)."""
        merged: dict[str, _RowT | None] = {**self._committed, **self._staged}
        return [copy.copy(row) for _, row in sorted(merged.items()) if row is not None]

    def put(self, row: _RowT) -> None:
        self._staged[row.id] = copy.copy(row)

    def delete(self, row_id: str) -> None:
        if self.get(row_id) is not None:
            self._staged[row_id] = None

    def apply(self) -> None:
        for row_id, row in self._staged.items():
            if row is None:
                self._committed.pop(row_id, None)
            else:
                self._committed[row_id] = row
        self._staged.clear()

    def discard(self) -> None:
        self._staged.clear()


@dataclass(frozen=True)
class _Tables:
    tenants: _Table[Tenant]
    users: _Table[User]
    memberships: _Table[Membership]
    api_keys: _Table[ApiKey]

    def all(self) -> tuple[_Table[Tenant], _Table[User], _Table[Membership], _Table[ApiKey]]:
        return self.tenants, self.users, self.memberships, self.api_keys


class InMemoryTenancyUnitOfWork:
    """Satisfies :class:`flowwright.tenancy.application.ports.TenancyUnitOfWork`."""

    tenants: TenantRepository
    users: UserRepository
    memberships: MembershipRepository
    api_keys: ApiKeyRepository

    def __init__(self, store: InMemoryTenancyStore, *, tenant_id: str | None, clock: Clock) -> None:
        self.store = store
        self.tenant_id = tenant_id
        self.clock = clock
        self.rows = _Tables(
            tenants=_Table(store.tenants),
            users=_Table(store.users),
            memberships=_Table(store.memberships),
            api_keys=_Table(store.api_keys),
        )
        self._events: list[DomainEvent] = []
        self._open = False
        self.tenants = InMemoryTenantRepository(self)
        self.users = InMemoryUserRepository(self)
        self.memberships = InMemoryMembershipRepository(self)
        self.api_keys = InMemoryApiKeyRepository(self)

    async def __aenter__(self) -> Self:
        self._discard()
        self._open = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._discard()
        self._open = False

    def emit(self, event: DomainEvent) -> None:
        self._events.append(event)

    async def commit(self) -> None:
        self.require_open()
        self.check_integrity()
        for table in self.rows.all():
            table.apply()
        if self._events:
            now = self.clock.now()
            envelopes = [
                EventEnvelope(
                    name=event.name,
                    payload=event.payload(),
                    tenant_id=event.tenant_id or self.tenant_id,
                    occurred_at=now,
                )
                for event in self._events
            ]
            self.store.outbox.extend(envelopes)
            if self.store.outbox_store is not None:
                self.store.outbox_store.add(*envelopes)
        self._events = []

    async def rollback(self) -> None:
        self._discard()

    # Used by the repositories.

    def require_open(self) -> None:
        if not self._open:
            raise RuntimeError("the unit of work is not open: use it in 'async with'")

    def require_tenant(self) -> str:
        self.require_open()
        if self.tenant_id is None:
            raise RuntimeError("tenant-owned data needs a tenant-scoped unit of work")
        return self.tenant_id

    def require_system(self) -> None:
        self.require_open()
        if self.tenant_id is not None:
            raise RuntimeError("cross-tenant lookups need the system scope")

    def check_integrity(self) -> None:
        """Raise IntegrityViolation when the visible rows break a table constraint."""
        tenants = self.rows.tenants.rows()
        users = self.rows.users.rows()
        tenant_ids = {t.id for t in tenants}
        user_ids = {u.id for u in users}
        _unique("tenants.slug", [t.slug for t in tenants])
        _unique("users.email", [u.email for u in users])
        memberships = self.rows.memberships.rows()
        _unique(
            "memberships(tenant_id, user_id)", [f"{m.tenant_id}/{m.user_id}" for m in memberships]
        )
        api_keys = self.rows.api_keys.rows()
        _unique("api_keys.prefix", [k.prefix for k in api_keys])
        owned: list[Membership | ApiKey] = [*memberships, *api_keys]
        for row in owned:
            if row.tenant_id not in tenant_ids:
                raise IntegrityViolation(f"{row.id}: no tenant {row.tenant_id}")
            if row.user_id not in user_ids:
                raise IntegrityViolation(f"{row.id}: no user {row.user_id}")

    def _discard(self) -> None:
        for table in self.rows.all():
            table.discard()
        self._events = []


def _unique(constraint: str, values: list[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise IntegrityViolation(f"duplicate value {value!r} for {constraint}")
        seen.add(value)


class InMemoryTenancyUnitOfWorkFactory:
    """Satisfies :class:`flowwright.tenancy.application.ports.TenancyUnitOfWorkFactory`."""

    def __init__(self, store: InMemoryTenancyStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def __call__(self, tenant_id: str | None) -> InMemoryTenancyUnitOfWork:
        return InMemoryTenancyUnitOfWork(self.store, tenant_id=tenant_id, clock=self.clock)


class _Repository:
    def __init__(self, uow: InMemoryTenancyUnitOfWork) -> None:
        self._uow = uow

    def _write(self) -> None:
        """Check the constraints after a write, as the database does on each statement."""
        self._uow.check_integrity()


class InMemoryTenantRepository(_Repository):
    async def add(self, tenant: Tenant) -> None:
        self._uow.require_open()
        table = self._uow.rows.tenants
        if table.get(tenant.id) is not None:
            raise IntegrityViolation(f"duplicate tenant id {tenant.id}")
        table.put(tenant)
        self._write()

    async def get(self, tenant_id: str) -> Tenant | None:
        self._uow.require_open()
        return self._uow.rows.tenants.get(tenant_id)

    async def get_by_slug(self, slug: str) -> Tenant | None:
        self._uow.require_open()
        return next((t for t in self._uow.rows.tenants.rows() if t.slug == slug), None)

    async def list(self, *, ids: Sequence[str] | None = None) -> builtins.list[Tenant]:
        self._uow.require_open()
        rows = self._uow.rows.tenants.rows()
        if ids is None:
            return rows
        wanted = set(ids)
        return [t for t in rows if t.id in wanted]

    async def update(self, tenant: Tenant) -> None:
        self._uow.require_open()
        table = self._uow.rows.tenants
        if table.get(tenant.id) is not None:
            table.put(tenant)
            self._write()


class InMemoryUserRepository(_Repository):
    async def add(self, user: User) -> None:
        self._uow.require_open()
        table = self._uow.rows.users
        if table.get(user.id) is not None:
            raise IntegrityViolation(f"duplicate user id {user.id}")
        table.put(user)
        self._write()

    async def get(self, user_id: str) -> User | None:
        self._uow.require_open()
        return self._uow.rows.users.get(user_id)

    async def get_by_email(self, email: str) -> User | None:
        self._uow.require_open()
        return next((u for u in self._uow.rows.users.rows() if u.email == email), None)

    async def count(self) -> int:
        self._uow.require_open()
        return len(self._uow.rows.users.rows())

    async def update(self, user: User) -> None:
        self._uow.require_open()
        table = self._uow.rows.users
        if table.get(user.id) is not None:
            table.put(user)
            self._write()


class InMemoryMembershipRepository(_Repository):
    async def add(self, membership: Membership) -> None:
        tenant_id = self._uow.require_tenant()
        if membership.tenant_id != tenant_id:
            raise RuntimeError("membership belongs to another tenant")
        table = self._uow.rows.memberships
        if table.get(membership.id) is not None:
            raise IntegrityViolation(f"duplicate membership id {membership.id}")
        table.put(membership)
        self._write()

    async def get(self, membership_id: str) -> Membership | None:
        tenant_id = self._uow.require_tenant()
        row = self._uow.rows.memberships.get(membership_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    async def get_for_user(self, user_id: str) -> Membership | None:
        return next((m for m in await self.list() if m.user_id == user_id), None)

    async def list(self) -> builtins.list[Membership]:
        tenant_id = self._uow.require_tenant()
        return [m for m in self._uow.rows.memberships.rows() if m.tenant_id == tenant_id]

    async def count_with_role(self, role: str) -> int:
        return sum(1 for m in await self.list() if m.role.value == role)

    async def update(self, membership: Membership) -> None:
        current = await self.get(membership.id)
        if current is not None:
            current.role = membership.role  # the only column an update writes
            self._uow.rows.memberships.put(current)
            self._write()

    async def delete(self, membership_id: str) -> None:
        if await self.get(membership_id) is not None:
            self._uow.rows.memberships.delete(membership_id)

    async def list_for_user_any_tenant(self, user_id: str) -> builtins.list[Membership]:
        self._uow.require_system()
        return [m for m in self._uow.rows.memberships.rows() if m.user_id == user_id]


class InMemoryApiKeyRepository(_Repository):
    async def add(self, key: ApiKey) -> None:
        tenant_id = self._uow.require_tenant()
        if key.tenant_id != tenant_id:
            raise RuntimeError("API key belongs to another tenant")
        table = self._uow.rows.api_keys
        if table.get(key.id) is not None:
            raise IntegrityViolation(f"duplicate API key id {key.id}")
        table.put(key)
        self._write()

    async def get(self, key_id: str) -> ApiKey | None:
        tenant_id = self._uow.require_tenant()
        row = self._uow.rows.api_keys.get(key_id)
        return row if row is not None and row.tenant_id == tenant_id else None

    async def list(self, *, user_id: str | None = None) -> builtins.list[ApiKey]:
        tenant_id = self._uow.require_tenant()
        return [
            k
            for k in self._uow.rows.api_keys.rows()
            if k.tenant_id == tenant_id and (user_id is None or k.user_id == user_id)
        ]

    async def update(self, key: ApiKey) -> None:
        current = await self.get(key.id)
        if current is not None:
            # The columns an update writes; the rest of a key never changes.
            current.revoked_at = key.revoked_at
            current.last_used_at = key.last_used_at
            current.name = key.name
            self._uow.rows.api_keys.put(current)
            self._write()

    async def get_by_prefix_any_tenant(self, prefix: str) -> ApiKey | None:
        self._uow.require_system()
        return next((k for k in self._uow.rows.api_keys.rows() if k.prefix == prefix), None)


if TYPE_CHECKING:  # mypy proves the fakes keep satisfying the ports

    def _satisfies_ports(
        factory: InMemoryTenancyUnitOfWorkFactory, uow: InMemoryTenancyUnitOfWork
    ) -> tuple[TenancyUnitOfWorkFactory, TenancyUnitOfWork]:
        return factory, uow
