"""Tenant secrets: named values (API keys, tokens) stored encrypted, never shown again.

A value is sealed with AES-256-GCM under the installation's current key; the tenant id and the
secret's name are bound in as associated data, so a ciphertext copied to another tenant or
another name does not decrypt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from flowwright.kernel.errors import NonRetryableError, ValidationFailed

SECRET_NAME_RE = re.compile(r"\A[A-Z][A-Z0-9_]{0,63}\Z")
MAX_SECRET_BYTES = 64 * 1024


class SecretUnreadable(NonRetryableError):
    """No configured key opens the ciphertext (a key was removed, or the row was altered)."""

    code = "secret_unreadable"


@dataclass(frozen=True)
class SealedValue:
    ciphertext: bytes
    nonce: bytes
    key_id: str


@dataclass
class Secret:
    id: str
    tenant_id: str
    name: str
    sealed: SealedValue
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None


def check_secret_name(name: str) -> str:
    if not SECRET_NAME_RE.match(name):
        raise ValidationFailed(
            f"invalid secret name {name!r}: use 1-64 uppercase letters, digits and '_', "
            "starting with a letter (e.g. OPENAI_API_KEY)",
            details={"field": "name"},
        )
    return name


def check_secret_value(value: str) -> None:
    # The message never repeats the value.
    if not value:
        raise ValidationFailed("a secret's value must not be empty", details={"field": "value"})
    if len(value.encode()) > MAX_SECRET_BYTES:
        raise ValidationFailed(
            f"a secret's value must be at most {MAX_SECRET_BYTES} bytes",
            details={"field": "value"},
        )


def associated_data(tenant_id: str, name: str) -> bytes:
    return f"flowwright-secret\x00{tenant_id}\x00{name}".encode()
