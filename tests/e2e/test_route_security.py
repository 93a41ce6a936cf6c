"""Every route outside the public allowlist refuses requests without valid credentials."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from flowwright.entrypoints.api.app import PUBLIC_ROUTES, create_app, iter_routes
from testkit import TEST_JWT_SECRET, LiveServer


def _all_routes(server: LiveServer) -> list[tuple[str, str]]:
    assert server.container is not None
    # Path converters ({key:path}) are spelled without the converter in the OpenAPI document.
    return [
        (method, re.sub(r"\{(\w+):\w+\}", r"{\1}", path))
        for method, path in iter_routes(create_app(server.container))
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "01a00000-0000-7000-8000-000000000000", path)


def _token(**overrides: object) -> str:
    now = datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": "01a00000-0000-7000-8000-000000000001",
        "tid": "01a00000-0000-7000-8000-000000000002",
        "iss": "flowwright",
        "aud": "flowwright-api",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(overrides)
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")


def _bad_credentials() -> dict[str, dict[str, str]]:
    now = datetime.now(UTC)
    unsigned = jwt.encode(
        {
            "sub": "x",
            "tid": "y",
            "iss": "flowwright",
            "aud": "flowwright-api",
            "exp": int((now + timedelta(hours=1)).timestamp()),
        },
        key=None,
        algorithm="none",
    )
    return {
        "none": {},
        "forged signature": {
            "Authorization": "Bearer "
            + jwt.encode(
                {
                    "sub": "x",
                    "tid": "y",
                    "iss": "flowwright",
                    "aud": "flowwright-api",
                    "iat": int(now.timestamp()),
                    "exp": int((now + timedelta(hours=1)).timestamp()),
                },
                "some-other-signing-key-that-is-long-enough",
                algorithm="HS256",
            )
        },
        "expired": {
            "Authorization": "Bearer "
            + _token(
                iat=int((now - timedelta(hours=3)).timestamp()),
                exp=int((now - timedelta(hours=2)).timestamp()),
            )
        },
        "alg none": {"Authorization": "Bearer " + unsigned},
        "wrong audience": {"Authorization": "Bearer " + _token(aud="someone-else")},
        "wrong issuer": {"Authorization": "Bearer " + _token(iss="evil")},
        "valid signature, unknown user": {"Authorization": "Bearer " + _token()},
        "garbage bearer": {"Authorization": "Bearer not-a-token"},
        "basic scheme": {"Authorization": "Basic YWRtaW46YWRtaW4="},
        "malformed api key": {"X-API-Key": "fwk_short_key"},
        "unknown api key": {"X-API-Key": "fwk_aaaaaaaaaa_" + "A" * 43},
        "spoofed internal header": {"X-Request-From": "internal", "X-Forwarded-User": "admin"},
    }


def test_public_allowlist_is_exactly_the_public_routes(live_server: LiveServer) -> None:
    routes = set(_all_routes(live_server))
    assert routes >= PUBLIC_ROUTES, f"allowlisted but absent: {PUBLIC_ROUTES - routes}"
    with live_server.client() as client:
        for method, path in sorted(PUBLIC_ROUTES):
            if method == "GET":
                assert client.get(path).status_code in (200, 503), path


def test_every_other_route_answers_401_without_valid_credentials(live_server: LiveServer) -> None:
    protected = [r for r in _all_routes(live_server) if r not in PUBLIC_ROUTES]
    assert len(protected) >= 10, protected
    failures = []
    with live_server.client() as client:
        for method, path in protected:
            for label, headers in _bad_credentials().items():
                response = client.request(method, _concrete(path), headers=headers, json={})
                if response.status_code != 401:
                    failures.append(f"{method} {path} [{label}] -> {response.status_code}")
                    continue
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["code"] == "unauthenticated"
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/v1/me", "/v1/members"])
def test_valid_credentials_pass_the_same_gate(admin: object, path: str) -> None:
    import httpx

    assert isinstance(admin, httpx.Client)
    assert admin.get(path).status_code == 200


def test_enumeration_sees_every_documented_operation(live_server: LiveServer) -> None:
    # Guards the enumeration itself: if routing changes shape, the 401 test must still see all.
    enumerated = set(_all_routes(live_server))
    with live_server.client() as client:
        document = client.get("/openapi.json").json()
    documented = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented, "the OpenAPI document lists no operations"
    assert documented <= enumerated, documented - enumerated
