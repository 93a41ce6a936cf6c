"""Tenant A can neither read, list, change nor delete tenant B's objects: it gets 404, never 403.

Adding a tenant-owned resource type means adding it to RESOURCES below; the last test fails if a
tenant-owned table has no entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from conftest import TenantHandle
from flowwright.kernel.adapters.metadata import TENANT_OWNED_TABLES


@dataclass(frozen=True)
class Resource:
    table: str
    collection: str
    create: Callable[[httpx.Client], str]  # returns the new object's id
    update_body: dict[str, object] | None
    delete_expected: int


def _member(client: httpx.Client) -> str:
    response = client.post(
        "/v1/members",
        json={
            "email": f"m{id(client)}-{len(str(client))}@{client.base_url.host}.test",
            "role": "viewer",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _api_key(client: httpx.Client) -> str:
    response = client.post("/v1/api-keys", json={"name": "to be protected"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


RESOURCES = [
    Resource("memberships", "/v1/members", _member, {"role": "editor"}, 204),
    Resource("api_keys", "/v1/api-keys", _api_key, None, 200),
]


def test_tenant_cannot_touch_another_tenants_objects(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    for resource in RESOURCES:
        object_id = resource.create(b.client)
        url = f"{resource.collection}/{object_id}"

        assert a.client.get(url).status_code == 404, resource.table
        listed = a.client.get(resource.collection)
        assert listed.status_code == 200
        assert object_id not in {item["id"] for item in listed.json()}, resource.table
        if resource.update_body is not None:
            assert a.client.patch(url, json=resource.update_body).status_code == 404
        assert a.client.delete(url).status_code == 404, resource.table

        # The object is untouched and still visible to its owner.
        assert b.client.get(url).status_code == 200
        assert b.client.delete(url).status_code == resource.delete_expected


def test_tenant_records_are_visible_only_to_members(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    assert a.client.get(f"/v1/tenants/{b.id}").status_code == 404
    assert a.client.patch(f"/v1/tenants/{b.id}", json={"name": "hijacked"}).status_code == 404
    assert {t["id"] for t in a.client.get("/v1/tenants").json()} == {a.id}
    assert b.client.get(f"/v1/tenants/{b.id}").json()["name"] == b.slug


def test_administrator_sees_tenants_but_not_their_data(
    make_tenant: Callable[..., TenantHandle], admin: httpx.Client
) -> None:
    b = make_tenant("b")
    key_id = _api_key(b.client)
    assert admin.get(f"/v1/tenants/{b.id}").status_code == 200
    # The administrator's credentials act in their own tenant: B's objects stay invisible.
    assert admin.get(f"/v1/api-keys/{key_id}").status_code == 404
    assert b.owner_email not in {m["email"] for m in admin.get("/v1/members").json()}


def test_every_tenant_owned_table_has_a_cross_tenant_check() -> None:
    assert set(TENANT_OWNED_TABLES) == {r.table for r in RESOURCES}
