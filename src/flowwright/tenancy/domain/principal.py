"""Who is calling: the authenticated user, acting in one tenant with one role."""

from __future__ import annotations

from dataclasses import dataclass

from flowwright.kernel.errors import PermissionDenied
from flowwright.tenancy.domain.roles import Permission, Role, can


@dataclass(frozen=True)
class Principal:
    user_id: str
    tenant_id: str
    role: Role
    is_admin: bool
    via: str  # "token" or "api_key"
    api_key_id: str | None = None

    def allows(self, permission: Permission) -> bool:
        return can(self.role, permission)

    def require(self, permission: Permission) -> None:
        if not self.allows(permission):
            raise PermissionDenied(
                f"role '{self.role}' lacks permission '{permission}'",
                details={"permission": str(permission), "role": str(self.role)},
            )

    def require_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("only installation administrators may do this")
