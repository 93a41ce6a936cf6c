"""AES-256-GCM sealing of secret values, bound to their tenant and name."""

from __future__ import annotations

import base64
import os

import pytest

from flowwright.kernel.errors import ValidationFailed
from flowwright.tenancy.adapters.secret_cipher import AesGcmSecretCipher, parse_keys
from flowwright.tenancy.domain.secrets import (
    SecretUnreadable,
    associated_data,
    check_secret_name,
    check_secret_value,
)


def _spec(*ids: str) -> str:
    return ",".join(f"{i}:{base64.b64encode(os.urandom(32)).decode()}" for i in ids)


def test_seal_and_open_round_trip_with_a_fresh_nonce_each_time() -> None:
    cipher = AesGcmSecretCipher(parse_keys(_spec("k1")))
    data = associated_data("tenant-a", "API_KEY")
    first = cipher.seal("sk-value", associated_data=data)
    second = cipher.seal("sk-value", associated_data=data)
    assert first.nonce != second.nonce and first.ciphertext != second.ciphertext
    assert b"sk-value" not in first.ciphertext
    assert cipher.open(first, associated_data=data) == "sk-value"
    assert first.key_id == "k1"


@pytest.mark.parametrize(("tenant", "name"), [("tenant-b", "API_KEY"), ("tenant-a", "OTHER")])
def test_a_ciphertext_moved_to_another_tenant_or_name_does_not_open(tenant: str, name: str) -> None:
    cipher = AesGcmSecretCipher(parse_keys(_spec("k1")))
    sealed = cipher.seal("v", associated_data=associated_data("tenant-a", "API_KEY"))
    with pytest.raises(SecretUnreadable) as raised:
        cipher.open(sealed, associated_data=associated_data(tenant, name))
    assert "v" not in raised.value.message.split()


def test_old_keys_decrypt_and_only_the_first_key_encrypts() -> None:
    keys = _spec("new", "old")
    old_only = AesGcmSecretCipher(parse_keys(keys.split(",")[1]))
    sealed = old_only.seal("v", associated_data=b"x")
    both = AesGcmSecretCipher(parse_keys(keys))
    assert both.open(sealed, associated_data=b"x") == "v"
    assert both.current_key_id == "new"
    with pytest.raises(SecretUnreadable, match="key 'new'"):
        old_only.open(both.seal("v", associated_data=b"x"), associated_data=b"x")


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "nokey",
        "k1:not-base64!",
        f"k1:{base64.b64encode(b'short').decode()}",
        _spec("dup") + "," + _spec("dup"),
        "bad id:" + base64.b64encode(os.urandom(32)).decode(),
    ],
)
def test_malformed_key_settings_are_refused(spec: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_keys(spec)


def test_secret_names_and_values_follow_the_rules() -> None:
    assert check_secret_name("OPENAI_API_KEY") == "OPENAI_API_KEY"
    for bad in ("openai", "1KEY", "A" * 65, "KEY-1", "KEY\n"):
        with pytest.raises(ValidationFailed):
            check_secret_name(bad)
    with pytest.raises(ValidationFailed) as raised:
        check_secret_value("")
    check_secret_value("x" * 1000)
    with pytest.raises(ValidationFailed) as raised:
        check_secret_value("s" * (64 * 1024 + 1))
    assert "sss" not in raised.value.message
