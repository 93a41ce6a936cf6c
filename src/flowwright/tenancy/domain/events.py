"""Events of the tenancy context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from flowwright.kernel.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class TenantCreated(DomainEvent):
    name: ClassVar[str] = "tenancy.TenantCreated"
    slug: str
    created_by: str | None


@dataclass(frozen=True, kw_only=True)
class MemberAdded(DomainEvent):
    name: ClassVar[str] = "tenancy.MemberAdded"
    user_id: str
    role: str
    added_by: str | None


@dataclass(frozen=True, kw_only=True)
class MemberRoleChanged(DomainEvent):
    name: ClassVar[str] = "tenancy.MemberRoleChanged"
    user_id: str
    role: str
    changed_by: str


@dataclass(frozen=True, kw_only=True)
class MemberRemoved(DomainEvent):
    name: ClassVar[str] = "tenancy.MemberRemoved"
    user_id: str
    removed_by: str


@dataclass(frozen=True, kw_only=True)
class ApiKeyCreated(DomainEvent):
    name: ClassVar[str] = "tenancy.ApiKeyCreated"
    api_key_id: str
    prefix: str
    role: str
    created_by: str


@dataclass(frozen=True, kw_only=True)
class ApiKeyRevoked(DomainEvent):
    name: ClassVar[str] = "tenancy.ApiKeyRevoked"
    api_key_id: str
    revoked_by: str


@dataclass(frozen=True, kw_only=True)
class SecretSet(DomainEvent):
    """A secret was created or replaced (the event never carries its value)."""

    name: ClassVar[str] = "tenancy.SecretSet"
    secret: str
    created: bool
    set_by: str


@dataclass(frozen=True, kw_only=True)
class SecretDeleted(DomainEvent):
    name: ClassVar[str] = "tenancy.SecretDeleted"
    secret: str
    deleted_by: str
