"""The format of API key secrets.

A key reads ``fwk_<prefix>_<secret>``. The prefix is stored in clear so a key can be found and
shown ("fwk_ab12cd34…"); the secret is 256 random bits and only its SHA-256 digest is stored. A
slow password hash adds nothing against guessing 256 random bits and would cost every request.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

# \Z, not $: "$" also matches before a final newline.
KEY_RE = re.compile(r"\Afwk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})\Z")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class IssuedSecret:
    plaintext: str
    prefix: str
    digest: str


def issue_secret() -> IssuedSecret:
    prefix = "".join(secrets.choice(_ALPHABET) for _ in range(10))
    secret = secrets.token_urlsafe(32)
    return IssuedSecret(plaintext=f"fwk_{prefix}_{secret}", prefix=prefix, digest=digest(secret))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_key(plaintext: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key, or None."""
    match = KEY_RE.match(plaintext)
    if match is None:
        return None
    return match.group(1), match.group(2)


def matches(secret: str, stored_digest: str) -> bool:
    return hmac.compare_digest(digest(secret), stored_digest)


def display_prefix(prefix: str) -> str:
    return f"fwk_{prefix}"
