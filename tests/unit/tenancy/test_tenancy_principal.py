from __future__ import annotations

import pytest

from flowwright.kernel.errors import PermissionDenied
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission, Role


def principal(role: Role, *, is_admin: bool = False) -> Principal:
    return Principal(user_id="u1", tenant_id="t1", role=role, is_admin=is_admin, via="token")


def test_principal_allows_what_its_role_permits() -> None:
    editor = principal(Role.EDITOR)

    assert editor.allows(Permission.WORKFLOWS_WRITE)
    assert not editor.allows(Permission.MEMBERS_MANAGE)


def test_require_passes_silently_when_permitted() -> None:
    principal(Role.OPERATOR).require(Permission.APPROVALS_DECIDE)


def test_require_raises_permission_denied_naming_role_and_permission() -> None:
    with pytest.raises(PermissionDenied) as raised:
        principal(Role.VIEWER).require(Permission.WORKFLOWS_WRITE)

    assert raised.value.details == {"permission": "workflows.write", "role": "viewer"}
    assert "viewer" in raised.value.message
    assert "workflows.write" in raised.value.message


def test_installation_admin_flag_does_not_grant_tenant_permissions() -> None:
    with pytest.raises(PermissionDenied):
        principal(Role.VIEWER, is_admin=True).require(Permission.MEMBERS_MANAGE)


def test_require_admin_needs_the_installation_admin_flag() -> None:
    principal(Role.VIEWER, is_admin=True).require_admin()

    with pytest.raises(PermissionDenied, match="administrators"):
        principal(Role.OWNER).require_admin()
