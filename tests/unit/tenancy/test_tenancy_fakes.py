from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from flowwright.kernel.errors import AuthenticationFailed
from flowwright.tenancy.adapters.fakes import FakePasswordHasher, FakeTokenService
from flowwright.tenancy.application.ports import PasswordHasher, TokenService

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ARGON2_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$btE6nDrR+gtYU2JP4NjwNw$"
    "9kmmCKJ75w0zOZqLkBlSk5aDxwKcGWhSqS546MfCq3o"
)


def test_fakes_conform_to_the_credential_ports() -> None:
    hasher: PasswordHasher = FakePasswordHasher()
    tokens: TokenService = FakeTokenService()

    assert hasher.verify(hasher.hash("pw"), "pw")
    assert tokens.verify(tokens.issue(user_id="u", tenant_id="t", now=NOW)[0], now=NOW)


def test_password_hash_is_deterministic_and_verifies_only_the_same_password() -> None:
    hasher = FakePasswordHasher()

    stored = hasher.hash("correct-horse")

    assert stored == hasher.hash("correct-horse")
    assert stored.startswith("plain$")
    assert "correct-horse" not in stored
    assert hasher.verify(stored, "correct-horse")
    assert not hasher.verify(stored, "correct-horsE")
    assert not hasher.verify(stored, "")


def test_password_hash_of_another_scheme_never_verifies() -> None:
    assert not FakePasswordHasher().verify(ARGON2_HASH, "anything")
    assert not FakePasswordHasher().verify("", "")


def test_token_round_trips_user_and_tenant_with_the_configured_lifetime() -> None:
    tokens = FakeTokenService(ttl_seconds=600)

    token, ttl = tokens.issue(user_id="user-1", tenant_id="tenant-1", now=NOW)

    assert ttl == 600
    assert tokens.verify(token, now=NOW) == ("user-1", "tenant-1")
    assert tokens.verify(token, now=NOW + timedelta(seconds=599)) == ("user-1", "tenant-1")


def test_tokens_are_deterministic() -> None:
    first = FakeTokenService().issue(user_id="u", tenant_id="t", now=NOW)
    second = FakeTokenService().issue(user_id="u", tenant_id="t", now=NOW)

    assert first == second


def test_token_expires_after_its_lifetime() -> None:
    tokens = FakeTokenService(ttl_seconds=600)
    token, _ = tokens.issue(user_id="u", tenant_id="t", now=NOW)

    with pytest.raises(AuthenticationFailed, match="expired"):
        tokens.verify(token, now=NOW + timedelta(seconds=600))


def test_token_with_tampered_claims_is_refused() -> None:
    tokens = FakeTokenService()
    token, _ = tokens.issue(user_id="u", tenant_id="t", now=NOW)
    _, signature = token.split(".")
    forged_claims = (
        base64.urlsafe_b64encode(json.dumps(["u", "other-tenant", 4_000_000_000]).encode())
        .decode()
        .rstrip("=")
    )

    with pytest.raises(AuthenticationFailed, match="invalid"):
        tokens.verify(f"{forged_claims}.{signature}", now=NOW)


def test_token_with_tampered_signature_is_refused() -> None:
    tokens = FakeTokenService()
    token, _ = tokens.issue(user_id="u", tenant_id="t", now=NOW)
    flipped = token[:-1] + ("0" if token[-1] != "0" else "1")

    with pytest.raises(AuthenticationFailed):
        tokens.verify(flipped, now=NOW)


def test_token_signed_with_another_key_is_refused() -> None:
    token, _ = FakeTokenService(key="one").issue(user_id="u", tenant_id="t", now=NOW)

    with pytest.raises(AuthenticationFailed):
        FakeTokenService(key="two").verify(token, now=NOW)


@pytest.mark.parametrize("token", ["", "garbage", ".", "abc.", ".abc", "a.b.c"])
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(AuthenticationFailed):
        FakeTokenService().verify(token, now=NOW)


@pytest.mark.parametrize(
    "claims", [{"sub": "u"}, ["u", "t"], ["u", 7, 4_000_000_000], ["u", "t", "never"]]
)
def test_validly_signed_claims_of_the_wrong_shape_are_refused(claims: object) -> None:
    encoded = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    signature = hmac.new(b"k", encoded.encode(), hashlib.sha256).hexdigest()

    with pytest.raises(AuthenticationFailed, match="invalid"):
        FakeTokenService(key="k").verify(f"{encoded}.{signature}", now=NOW)
