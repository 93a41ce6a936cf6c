from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowwright.kernel.errors import ValidationFailed
from flowwright.tenancy.domain.model import (
    MIN_PASSWORD_LENGTH,
    ApiKey,
    check_password_strength,
    normalize_email,
    normalize_slug,
)
from flowwright.tenancy.domain.roles import Role

NOW = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "slug"),
    [("acme", "acme"), ("  Acme-Corp ", "acme-corp"), ("a1", "a1"), ("x" * 63, "x" * 63)],
)
def test_slug_is_trimmed_and_lowercased(raw: str, slug: str) -> None:
    assert normalize_slug(raw) == slug


@pytest.mark.parametrize(
    "raw", ["", "a", "1acme", "-acme", "ac me", "acme_corp", "acmé", "x" * 64, "acme!"]
)
def test_invalid_slugs_are_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        normalize_slug(raw)

    assert raised.value.details == {"field": "slug"}


@pytest.mark.parametrize(
    ("raw", "email"),
    [("Alice@Example.COM", "alice@example.com"), ("  bob@acme.test\n", "bob@acme.test")],
)
def test_email_is_trimmed_and_lowercased(raw: str, email: str) -> None:
    assert normalize_email(raw) == email


@pytest.mark.parametrize(
    "raw",
    ["", "alice", "@acme.test", "alice@", "a@b@c", "al ice@acme.test", "x" * 65 + "@acme.test"],
)
def test_invalid_emails_are_rejected(raw: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        normalize_email(raw)

    assert raised.value.details == {"field": "email"}


def test_password_of_minimum_length_is_accepted() -> None:
    check_password_strength("p" * MIN_PASSWORD_LENGTH)
    check_password_strength("p" * 1024)


@pytest.mark.parametrize("password", ["", "short", "p" * (MIN_PASSWORD_LENGTH - 1), "p" * 1025])
def test_too_short_or_too_long_passwords_are_rejected(password: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        check_password_strength(password)

    assert raised.value.details == {"field": "password"}


def make_key(*, expires_at: datetime | None = None, revoked_at: datetime | None = None) -> ApiKey:
    return ApiKey(
        id="k",
        tenant_id="t",
        user_id="u",
        name="ci",
        prefix="abcdefghij",
        secret_hash="0" * 64,
        role=Role.EDITOR,
        created_at=NOW,
        expires_at=expires_at,
        revoked_at=revoked_at,
    )


def test_key_without_expiry_or_revocation_is_usable() -> None:
    assert make_key().is_usable(NOW + timedelta(days=10_000))


def test_key_is_unusable_from_its_expiry_on() -> None:
    key = make_key(expires_at=NOW + timedelta(days=1))

    assert key.is_usable(NOW + timedelta(days=1) - timedelta(microseconds=1))
    assert not key.is_usable(NOW + timedelta(days=1))


def test_revoked_key_is_unusable() -> None:
    assert not make_key(revoked_at=NOW).is_usable(NOW - timedelta(days=1))
