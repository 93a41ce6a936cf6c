from __future__ import annotations

import itertools

import pytest

from flowwright.tenancy.domain.roles import Permission, Role, can, permissions_of

ASCENDING = [Role.VIEWER, Role.OPERATOR, Role.EDITOR, Role.ADMIN, Role.OWNER]


def test_roles_rank_viewer_operator_editor_admin_owner() -> None:
    assert sorted(Role, key=lambda role: role.rank) == ASCENDING
    assert len({role.rank for role in Role}) == len(Role)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_is_at_least_itself(role: Role) -> None:
    assert role.at_least(role)


def test_at_least_follows_the_ranking() -> None:
    for lower_index, lower in enumerate(ASCENDING):
        for higher in ASCENDING[lower_index + 1 :]:
            assert higher.at_least(lower)
            assert not lower.at_least(higher)


def test_lowest_picks_the_lesser_role_whatever_the_order() -> None:
    assert Role.lowest(Role.OWNER, Role.VIEWER) is Role.VIEWER
    assert Role.lowest(Role.VIEWER, Role.OWNER) is Role.VIEWER
    assert Role.lowest(Role.EDITOR, Role.ADMIN) is Role.EDITOR
    assert Role.lowest(Role.OPERATOR, Role.OPERATOR) is Role.OPERATOR


def test_roles_are_their_string_values() -> None:
    assert Role("owner") is Role.OWNER
    assert str(Role.EDITOR) == "editor"


def test_each_role_can_do_everything_the_roles_below_it_can() -> None:
    for lower, higher in itertools.pairwise(ASCENDING):
        assert permissions_of(lower) < permissions_of(higher)


def test_viewer_reads_but_cannot_write_workflows_or_operate_runs() -> None:
    assert can(Role.VIEWER, Permission.WORKFLOWS_READ)
    assert can(Role.VIEWER, Permission.RUNS_READ)
    assert can(Role.VIEWER, Permission.API_KEYS_OWN)
    assert not can(Role.VIEWER, Permission.WORKFLOWS_WRITE)
    assert not can(Role.VIEWER, Permission.RUNS_OPERATE)
    assert not can(Role.VIEWER, Permission.APPROVALS_DECIDE)


def test_operator_decides_approvals_and_operates_runs_but_cannot_write_workflows() -> None:
    assert can(Role.OPERATOR, Permission.APPROVALS_DECIDE)
    assert can(Role.OPERATOR, Permission.RUNS_OPERATE)
    assert not can(Role.OPERATOR, Permission.WORKFLOWS_WRITE)


def test_editor_writes_workflows_but_does_not_manage_members_or_secrets() -> None:
    assert can(Role.EDITOR, Permission.WORKFLOWS_WRITE)
    assert not can(Role.EDITOR, Permission.MEMBERS_MANAGE)
    assert not can(Role.EDITOR, Permission.SECRETS_MANAGE)
    assert not can(Role.EDITOR, Permission.API_KEYS_MANAGE)


def test_admin_manages_members_keys_and_secrets_but_not_the_tenant() -> None:
    assert can(Role.ADMIN, Permission.MEMBERS_MANAGE)
    assert can(Role.ADMIN, Permission.API_KEYS_MANAGE)
    assert can(Role.ADMIN, Permission.SECRETS_MANAGE)
    assert not can(Role.ADMIN, Permission.TENANT_MANAGE)


def test_only_the_owner_manages_the_tenant() -> None:
    assert [role for role in Role if can(role, Permission.TENANT_MANAGE)] == [Role.OWNER]


def test_owner_has_every_permission() -> None:
    assert permissions_of(Role.OWNER) == frozenset(Permission)


def test_members_manage_starts_at_admin() -> None:
    allowed = {role for role in Role if can(role, Permission.MEMBERS_MANAGE)}

    assert allowed == {Role.ADMIN, Role.OWNER}
