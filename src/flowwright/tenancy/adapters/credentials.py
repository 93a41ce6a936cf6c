"""Password hashing (argon2id) and signed access tokens (JWT, HS256)."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import Argon2Error, InvalidHashError

from flowwright.kernel.errors import AuthenticationFailed
from flowwright.kernel.ids import new_id


class Argon2PasswordHasher:
    def __init__(self) -> None:
        self._hasher = _Argon2()

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (Argon2Error, InvalidHashError):
            return False


class JwtTokenService:
    """Access tokens: ``sub`` user, ``tid`` tenant; issuer, audience and expiry always checked."""

    ALGORITHM = "HS256"

    def __init__(self, secret: str, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        if len(secret) < 32:
            raise ValueError("the JWT secret must have at least 32 characters")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = ttl_seconds

    def issue(self, *, user_id: str, tenant_id: str, now: datetime) -> tuple[str, int]:
        claims = {
            "sub": user_id,
            "tid": tenant_id,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "nbf": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self._ttl)).timestamp()),
            "jti": new_id(),
        }
        return jwt.encode(claims, self._secret, algorithm=self.ALGORITHM), self._ttl

    def verify(self, token: str, *, now: datetime) -> tuple[str, str]:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self.ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                options={
                    "require": ["exp", "iat", "sub", "tid", "iss", "aud"],
                    "verify_iat": False,
                },
                leeway=timedelta(seconds=30),
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthenticationFailed("access token expired") from exc
        except jwt.PyJWTError as exc:
            raise AuthenticationFailed("invalid access token") from exc
        sub, tid = claims.get("sub"), claims.get("tid")
        if not isinstance(sub, str) or not isinstance(tid, str):
            raise AuthenticationFailed("invalid access token")
        return sub, tid
