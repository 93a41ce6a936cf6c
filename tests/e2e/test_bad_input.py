"""Bad requests get problem+json 4xx answers and change nothing."""

from __future__ import annotations

import httpx
import pytest

from testkit import LiveServer


def _is_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert str(body["type"]).endswith(str(body["code"]))
    assert body["detail"]
    return body


def test_malformed_json_is_rejected(admin: httpx.Client) -> None:
    response = admin.post(
        "/v1/api-keys", content=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    _is_problem(response, 422)


def test_wrong_types_name_the_field(admin: httpx.Client) -> None:
    body = _is_problem(admin.post("/v1/api-keys", json={"name": ["not", "a", "string"]}), 422)
    assert "name" in str(body["detail"])
    assert body["errors"]


@pytest.mark.parametrize(
    "field", ["tenant_id", "user_id", "id", "created_at", "owner_id", "secret_hash"]
)
def test_server_controlled_fields_cannot_be_mass_assigned(admin: httpx.Client, field: str) -> None:
    before = len(admin.get("/v1/api-keys").json())
    _is_problem(admin.post("/v1/api-keys", json={"name": "x", field: "attacker"}), 422)
    assert len(admin.get("/v1/api-keys").json()) == before


def test_role_cannot_be_mass_assigned_on_the_tenant(admin: httpx.Client) -> None:
    tenants = admin.get("/v1/tenants").json()
    _is_problem(admin.patch(f"/v1/tenants/{tenants[0]['id']}", json={"role": "owner"}), 422)


def test_oversized_body_gets_413(live_server: LiveServer, admin: httpx.Client) -> None:
    limit = live_server.settings.max_request_bytes
    big = b'{"name": "' + b"a" * (limit + 10) + b'"}'
    _is_problem(
        admin.post("/v1/api-keys", content=big, headers={"Content-Type": "application/json"}), 413
    )


def test_oversized_chunked_body_gets_413(live_server: LiveServer, admin: httpx.Client) -> None:
    limit = live_server.settings.max_request_bytes

    def chunks() -> object:
        yield b'{"name": "'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    response = admin.post(
        "/v1/api-keys",
        content=chunks(),  # type: ignore[arg-type]
        headers={"Content-Type": "application/json"},
    )
    _is_problem(response, 413)


def test_deeply_nested_json_is_a_client_error(admin: httpx.Client) -> None:
    nested = b"[" * 10_000 + b"]" * 10_000
    response = admin.post(
        "/v1/api-keys", content=nested, headers={"Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_wrong_content_type_is_a_client_error(admin: httpx.Client) -> None:
    response = admin.post(
        "/v1/api-keys",
        content=b"name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith("application/problem+json")


def test_huge_header_does_not_cause_a_server_error(admin: httpx.Client) -> None:
    try:
        response = admin.get("/v1/me", headers={"X-Padding": "a" * 65536})
    except httpx.RemoteProtocolError:
        return  # the server closed the connection: refused, not crashed
    assert response.status_code < 500


def test_unknown_route_is_a_problem(admin: httpx.Client) -> None:
    _is_problem(admin.get("/v1/no-such-thing"), 404)


def test_wrong_method_is_a_problem(admin: httpx.Client) -> None:
    _is_problem(admin.put("/v1/api-keys", json={}), 405)


def test_request_id_is_echoed_and_generated(admin: httpx.Client) -> None:
    assert (
        admin.get("/v1/me", headers={"X-Request-ID": "trace-123"}).headers["x-request-id"]
        == "trace-123"
    )
    generated = admin.get("/v1/me", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
