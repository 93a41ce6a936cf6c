"""Tenants, users, memberships and API keys.

A user is a person's identity across the installation; a membership gives that user a role in
one tenant. Installation administrators manage tenants but, without a membership, see none of a
tenant's data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flowwright.kernel.errors import ValidationFailed
from flowwright.tenancy.domain.roles import Role

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
MIN_PASSWORD_LENGTH = 10


class TenantStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


@dataclass
class Tenant:
    id: str
    slug: str
    name: str
    created_at: datetime
    status: TenantStatus = TenantStatus.ACTIVE


@dataclass
class User:
    id: str
    email: str
    display_name: str
    created_at: datetime
    password_hash: str | None = None
    is_admin: bool = False
    disabled: bool = False


@dataclass
class Membership:
    id: str
    tenant_id: str
    user_id: str
    role: Role
    created_at: datetime


@dataclass
class ApiKey:
    id: str
    tenant_id: str
    user_id: str
    name: str
    prefix: str
    secret_hash: str
    role: Role
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def is_usable(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > now


def normalize_slug(value: str) -> str:
    slug = value.strip().lower()
    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            f"invalid tenant slug {value!r}: use 2-63 lowercase letters, digits and '-', "
            "starting with a letter",
            details={"field": "slug"},
        )
    return slug


def normalize_email(value: str) -> str:
    email = value.strip().lower()
    if not EMAIL_RE.match(email):
        raise ValidationFailed(f"invalid email address {value!r}", details={"field": "email"})
    return email


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"password too short: at least {MIN_PASSWORD_LENGTH} characters",
            details={"field": "password"},
        )
    if len(password) > 1024:
        raise ValidationFailed(
            "password too long: at most 1024 characters", details={"field": "password"}
        )
