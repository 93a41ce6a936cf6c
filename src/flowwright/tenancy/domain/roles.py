"""Roles and what each may do.

Roles are ordered: each one can do everything the roles below it can. Authorization checks ask for
a permission, never for a role, so a role's meaning lives in exactly one table (``_GRANTS``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    OPERATOR = "operator"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank

    @staticmethod
    def lowest(first: Role, second: Role) -> Role:
        return first if first.rank <= second.rank else second


_RANKS = {Role.VIEWER: 1, Role.OPERATOR: 2, Role.EDITOR: 3, Role.ADMIN: 4, Role.OWNER: 5}


class Permission(StrEnum):
    TENANT_READ = "tenant.read"
    TENANT_MANAGE = "tenant.manage"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    API_KEYS_OWN = "api_keys.own"
    API_KEYS_MANAGE = "api_keys.manage"
    WORKFLOWS_READ = "workflows.read"
    WORKFLOWS_WRITE = "workflows.write"
    RUNS_READ = "runs.read"
    RUNS_OPERATE = "runs.operate"
    APPROVALS_DECIDE = "approvals.decide"
    SECRETS_READ = "secrets.read"  # secret names and dates; values are never readable
    SECRETS_MANAGE = "secrets.manage"
    LLM_READ = "llm.read"  # model catalog, budget, breakers, usage and cost
    LLM_USE = "llm.use"  # call models
    LLM_MANAGE = "llm.manage"  # providers, aliases, prices, budgets


_VIEWER = {
    Permission.TENANT_READ,
    Permission.MEMBERS_READ,
    Permission.API_KEYS_OWN,
    Permission.WORKFLOWS_READ,
    Permission.RUNS_READ,
    Permission.LLM_READ,
}
_OPERATOR = _VIEWER | {Permission.RUNS_OPERATE, Permission.APPROVALS_DECIDE}
_EDITOR = _OPERATOR | {Permission.WORKFLOWS_WRITE, Permission.SECRETS_READ, Permission.LLM_USE}
_ADMIN = _EDITOR | {
    Permission.MEMBERS_MANAGE,
    Permission.API_KEYS_MANAGE,
    Permission.SECRETS_MANAGE,
    Permission.LLM_MANAGE,
}
_OWNER = _ADMIN | {Permission.TENANT_MANAGE}

_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset(_VIEWER),
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.EDITOR: frozenset(_EDITOR),
    Role.ADMIN: frozenset(_ADMIN),
    Role.OWNER: frozenset(_OWNER),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return _GRANTS[role]


def can(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]
