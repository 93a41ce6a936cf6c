"""One error root for the whole platform.

::

    FlowwrightError                     code, message, retryable
    ├── RetryableError                  transient: a retry may succeed
    │   └── ConcurrencyConflict         someone else changed the row first
    └── NonRetryableError               permanent: retrying repeats the failure
        ├── ValidationFailed            input broke a rule
        ├── NotFound                    absent, or not visible to the caller
        ├── AlreadyExists               a unique name or key is taken
        ├── PermissionDenied            authenticated, but the role does not allow it
        ├── AuthenticationFailed        no or bad credentials
        └── QuotaExceeded               a limit of the tenant is reached

HTTP status codes belong to the HTTP edge; errors here only know their stable ``code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class FlowwrightError(Exception):
    """Root of every error Flowwright raises on purpose."""

    code: ClassVar[str] = "internal"
    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})

    def __str__(self) -> str:
        return self.message


class RetryableError(FlowwrightError):
    code = "retryable"
    retryable = True


class ConcurrencyConflict(RetryableError):
    code = "conflict"


class NonRetryableError(FlowwrightError):
    code = "non_retryable"
    retryable = False


class ValidationFailed(NonRetryableError):
    code = "validation_failed"


class NotFound(NonRetryableError):
    code = "not_found"


class AlreadyExists(NonRetryableError):
    code = "already_exists"


class PermissionDenied(NonRetryableError):
    code = "permission_denied"


class AuthenticationFailed(NonRetryableError):
    code = "unauthenticated"


class QuotaExceeded(NonRetryableError):
    code = "quota_exceeded"

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: float | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after_seconds = retry_after_seconds
