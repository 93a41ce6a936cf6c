from __future__ import annotations

import pytest

from flowwright.tenancy.domain.api_key_secret import (
    KEY_RE,
    digest,
    display_prefix,
    issue_secret,
    matches,
    split_key,
)


def test_issued_key_reads_fwk_prefix_secret() -> None:
    issued = issue_secret()

    assert KEY_RE.match(issued.plaintext)
    assert issued.plaintext.startswith(f"fwk_{issued.prefix}_")
    assert len(issued.prefix) == 10
    assert issued.prefix.isalnum()
    assert issued.prefix == issued.prefix.lower()


def test_only_the_digest_of_the_secret_is_kept() -> None:
    issued = issue_secret()
    prefix, secret = issued.plaintext.split("_", 2)[1:]

    assert prefix == issued.prefix
    assert issued.digest == digest(secret)
    assert len(issued.digest) == 64
    assert secret not in issued.digest


def test_issued_keys_differ() -> None:
    keys = {issue_secret().plaintext for _ in range(50)}

    assert len(keys) == 50


def test_split_key_returns_prefix_and_secret_of_a_well_formed_key() -> None:
    issued = issue_secret()

    parts = split_key(issued.plaintext)

    assert parts is not None
    assert parts[0] == issued.prefix
    assert matches(parts[1], issued.digest)


def test_tampered_secret_does_not_match() -> None:
    issued = issue_secret()
    parts = split_key(issued.plaintext)
    assert parts is not None
    _, secret = parts
    tampered = secret[:-1] + ("A" if secret[-1] != "A" else "B")

    assert not matches(tampered, issued.digest)
    assert not matches(secret, issue_secret().digest)


@pytest.mark.parametrize(
    "plaintext",
    [
        "",
        "fwk_",
        "not-a-key",
        "fwk_abcdefghij",
        "fwk_ABCDEFGHIJ_" + "a" * 43,  # upper-case prefix
        "fwk_abcdefghi_" + "a" * 43,  # prefix too short
        "fwk_abcdefghij_" + "a" * 42,  # secret too short
        "fwk_abcdefghij_" + "a" * 44,  # secret too long
        "fwk_abcdefghij_" + "a" * 42 + "!",
        "xyz_abcdefghij_" + "a" * 43,
        " fwk_abcdefghij_" + "a" * 43,
        "fwk_abcdefghij_" + "a" * 43 + "\n",
    ],
)
def test_malformed_keys_split_to_none(plaintext: str) -> None:
    assert split_key(plaintext) is None


def test_display_prefix_shows_the_public_part() -> None:
    assert display_prefix("abcdefghij") == "fwk_abcdefghij"
