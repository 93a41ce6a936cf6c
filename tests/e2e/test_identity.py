"""Login, tokens, API keys and roles through the public API."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from testkit import LiveServer, TenantHandle


def _login(
    server: LiveServer, email: str, password: str, tenant: str | None = None
) -> httpx.Response:
    return httpx.post(
        server.url + "/v1/auth/login", json={"email": email, "password": password, "tenant": tenant}
    )


def test_password_login_issues_a_working_token(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    response = _login(live_server, t.owner_email, t.owner_password)
    assert response.status_code == 200
    token = response.json()["access_token"]
    with live_server.client(token) as client:
        me = client.get("/v1/me").json()
    assert me["tenant_id"] == t.id and me["role"] == "owner" and me["via"] == "token"


def test_wrong_password_and_unknown_email_fail_alike(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    wrong = _login(live_server, t.owner_email, "not-the-password")
    unknown = _login(live_server, "nobody@nowhere.test", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_api_key_is_shown_once_and_listed_by_prefix(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    t = make_tenant()
    created = t.client.post("/v1/api-keys", json={"name": "deploy", "role": "operator"}).json()
    assert created["key"].startswith(created["prefix"] + "_")
    listed = {k["id"]: k for k in t.client.get("/v1/api-keys").json()}
    assert "key" not in listed[created["id"]]
    assert listed[created["id"]]["role"] == "operator"
    assert created["key"] not in t.client.get(f"/v1/api-keys/{created['id']}").text


def test_revoked_key_stops_working_at_once(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    created = t.client.post("/v1/api-keys", json={"name": "temp"}).json()
    with live_server.client(created["key"]) as temp:
        assert temp.get("/v1/me").status_code == 200
        assert t.client.delete(f"/v1/api-keys/{created['id']}").status_code == 200
        assert temp.get("/v1/me").status_code == 401


def test_roles_limit_what_a_key_can_do(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    viewer_key = t.client.post("/v1/api-keys", json={"name": "ro", "role": "viewer"}).json()["key"]
    with live_server.client(viewer_key) as viewer:
        assert viewer.get("/v1/members").status_code == 200
        denied = viewer.post("/v1/members", json={"email": "x@y.test", "role": "viewer"})
        assert denied.status_code == 403
        assert denied.json()["code"] == "permission_denied"
        # A key can never be worth more than its creator.
        assert viewer.post("/v1/api-keys", json={"name": "up", "role": "owner"}).status_code == 403
        assert viewer.post("/v1/tenants", json={"slug": "nope", "name": "n"}).status_code == 403


def test_member_lifecycle(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    email = f"editor@{t.slug}.test"
    member = t.client.post(
        "/v1/members", json={"email": email, "role": "editor", "password": "editor-password-1"}
    ).json()
    token = _login(live_server, email, "editor-password-1").json()["access_token"]
    with live_server.client(token) as editor:
        assert editor.get("/v1/me").json()["role"] == "editor"
        assert (
            t.client.patch(f"/v1/members/{member['id']}", json={"role": "viewer"}).status_code
            == 200
        )
        # Roles are read per request: the token now acts as a viewer.
        assert editor.get("/v1/me").json()["role"] == "viewer"
        assert t.client.delete(f"/v1/members/{member['id']}").status_code == 204
        assert editor.get("/v1/me").status_code == 401


def test_last_owner_cannot_leave(make_tenant: Callable[..., TenantHandle]) -> None:
    t = make_tenant()
    owner = next(m for m in t.client.get("/v1/members").json() if m["email"] == t.owner_email)
    response = t.client.delete(f"/v1/members/{owner['id']}")
    assert response.status_code == 422
    assert "owner" in response.json()["detail"]


def test_suspended_tenant_locks_out_its_members(
    live_server: LiveServer, admin: httpx.Client, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    assert t.client.get("/v1/me").status_code == 200
    assert admin.patch(f"/v1/tenants/{t.id}", json={"status": "suspended"}).status_code == 200
    assert t.client.get("/v1/me").status_code == 401
    assert _login(live_server, t.owner_email, t.owner_password).status_code == 401
    assert admin.patch(f"/v1/tenants/{t.id}", json={"status": "active"}).status_code == 200
    assert t.client.get("/v1/me").status_code == 200


def test_duplicate_tenant_slug_conflicts(
    admin: httpx.Client, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    response = admin.post("/v1/tenants", json={"slug": t.slug, "name": "again"})
    assert response.status_code == 409
    assert response.json()["code"] == "already_exists"
