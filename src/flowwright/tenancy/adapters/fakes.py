"""Fast, deterministic stand-ins for the credential ports.

:class:`FakePasswordHasher` replaces argon2 (deliberately slow) with a plain SHA-256 digest, and
:class:`FakeTokenService` signs tokens with HMAC-SHA256 so that tampering and expiry behave as
with real tokens. Neither is fit for production: the hashes are unsalted and fast.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from flowwright.kernel.errors import AuthenticationFailed

if TYPE_CHECKING:
    from flowwright.tenancy.application.ports import PasswordHasher, TokenService

_HASH_PREFIX = "plain$"


class FakePasswordHasher:
    """Satisfies :class:`flowwright.tenancy.application.ports.PasswordHasher`."""

    def hash(self, password: str) -> str:
        return _HASH_PREFIX + hashlib.sha256(password.encode()).hexdigest()

    def verify(self, password_hash: str, password: str) -> bool:
        if not password_hash.startswith(_HASH_PREFIX):
            return False  # a hash of another scheme (e.g. argon2) never verifies here
        return hmac.compare_digest(password_hash, self.hash(password))


class FakeTokenService:
    """Satisfies :class:`flowwright.tenancy.application.ports.TokenService`.

    A token reads ``<claims>.<signature>``: base64url JSON ``[user_id, tenant_id, expires]``
    (expires in epoch seconds) and the hex HMAC-SHA256 of the claims. The same arguments always
    give the same token.
    """

    def __init__(self, *, ttl_seconds: int = 3600, key: str = "fake-token-key") -> None:
        self.ttl_seconds = ttl_seconds
        self._key = key.encode()

    def issue(self, *, user_id: str, tenant_id: str, now: datetime) -> tuple[str, int]:
        expires = int((now + timedelta(seconds=self.ttl_seconds)).timestamp())
        raw = json.dumps([user_id, tenant_id, expires], separators=(",", ":")).encode()
        claims = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return f"{claims}.{self._sign(claims)}", self.ttl_seconds

    def verify(self, token: str, *, now: datetime) -> tuple[str, str]:
        claims, _, signature = token.partition(".")
        if not signature or not hmac.compare_digest(signature, self._sign(claims)):
            raise AuthenticationFailed("invalid access token")
        try:
            raw = base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))
            user_id, tenant_id, expires = json.loads(raw)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise AuthenticationFailed("invalid access token") from exc
        if not (
            isinstance(user_id, str) and isinstance(tenant_id, str) and isinstance(expires, int)
        ):
            raise AuthenticationFailed("invalid access token")
        if now.timestamp() >= expires:
            raise AuthenticationFailed("access token expired")
        return user_id, tenant_id

    def _sign(self, claims: str) -> str:
        return hmac.new(self._key, claims.encode(), hashlib.sha256).hexdigest()


if TYPE_CHECKING:  # mypy proves the fakes keep satisfying the ports

    def _satisfies_ports(
        hasher: FakePasswordHasher, tokens: FakeTokenService
    ) -> tuple[PasswordHasher, TokenService]:
        return hasher, tokens
