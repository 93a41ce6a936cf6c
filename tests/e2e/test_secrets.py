"""Tenant secrets through the public API: values go in, never come out, and rest encrypted."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from llm_helpers import query
from testkit import LiveServer, TenantHandle

Tenants = Callable[..., TenantHandle]
VALUE = "sk-live-very-secret-value-0123456789"


def test_values_are_never_returned(make_tenant: Tenants) -> None:
    t = make_tenant("sec")

    created = t.client.put("/v1/secrets/OPENAI_API_KEY", json={"value": VALUE})
    replaced = t.client.put("/v1/secrets/OPENAI_API_KEY", json={"value": VALUE + "2"})
    listed = t.client.get("/v1/secrets")
    one = t.client.get("/v1/secrets/OPENAI_API_KEY")

    assert (created.status_code, replaced.status_code) == (201, 200)
    for response in (created, replaced, listed, one):
        assert VALUE not in response.text
    assert set(one.json()) == {"name", "created_at", "updated_at", "created_by"}
    assert [s["name"] for s in listed.json()] == ["OPENAI_API_KEY"]
    assert t.client.delete("/v1/secrets/OPENAI_API_KEY").status_code == 204
    assert t.client.get("/v1/secrets/OPENAI_API_KEY").status_code == 404


def test_values_rest_encrypted_and_bound_to_tenant_and_name(
    make_tenant: Tenants, live_server: LiveServer
) -> None:
    t = make_tenant("sec")
    t.client.put("/v1/secrets/SLACK_TOKEN", json={"value": VALUE})

    rows = query(
        live_server.settings.resolved_database_url,
        "SELECT * FROM secrets WHERE tenant_id = :tenant",
        tenant=t.id,
    )

    assert len(rows) == 1
    row = rows[0]
    ciphertext = bytes(row["ciphertext"])
    assert VALUE.encode() not in ciphertext
    assert len(ciphertext) == len(VALUE) + 16  # AES-GCM: same length plus a 16-byte tag
    assert len(bytes(row["nonce"])) == 12
    assert live_server.container is not None
    assert row["key_id"] == live_server.container.secret_cipher.current_key_id
    assert VALUE not in str(row)


def test_bad_names_and_empty_values_are_refused_without_echoing_the_value(
    make_tenant: Tenants,
) -> None:
    t = make_tenant("sec")
    lower = t.client.put("/v1/secrets/lower_case", json={"value": VALUE})
    empty = t.client.put("/v1/secrets/EMPTY", json={"value": ""})
    extra = t.client.put("/v1/secrets/X", json={"value": VALUE, "tenant_id": t.id})
    assert (lower.status_code, empty.status_code, extra.status_code) == (422, 422, 422)
    for response in (lower, empty, extra):
        assert VALUE not in response.text


def test_only_admins_change_secrets_and_editors_see_their_names(
    make_tenant: Tenants, live_server: LiveServer
) -> None:
    t = make_tenant("sec")
    t.client.put("/v1/secrets/DB_PASSWORD", json={"value": VALUE})
    tokens = {}
    for role in ("editor", "viewer"):
        email = f"{role}@{t.slug}.test"
        body = {"email": email, "role": role, "password": "member-password-1"}
        assert t.client.post("/v1/members", json=body).status_code == 201
        login = {"email": email, "password": "member-password-1", "tenant": t.slug}
        tokens[role] = httpx.post(live_server.url + "/v1/auth/login", json=login).json()[
            "access_token"
        ]
    with live_server.client(tokens["editor"]) as editor:
        assert editor.get("/v1/secrets").status_code == 200
        assert editor.put("/v1/secrets/DB_PASSWORD", json={"value": "x"}).status_code == 403
        assert editor.delete("/v1/secrets/DB_PASSWORD").status_code == 403
    with live_server.client(tokens["viewer"]) as viewer:
        assert viewer.get("/v1/secrets").status_code == 403
