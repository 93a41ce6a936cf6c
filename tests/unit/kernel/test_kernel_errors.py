from __future__ import annotations

import pytest

from flowwright.kernel.errors import (
    AlreadyExists,
    AuthenticationFailed,
    ConcurrencyConflict,
    FlowwrightError,
    NonRetryableError,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    RetryableError,
    ValidationFailed,
)


@pytest.mark.parametrize(
    ("error_type", "code", "retryable", "branch"),
    [
        (RetryableError, "retryable", True, RetryableError),
        (ConcurrencyConflict, "conflict", True, RetryableError),
        (NonRetryableError, "non_retryable", False, NonRetryableError),
        (ValidationFailed, "validation_failed", False, NonRetryableError),
        (NotFound, "not_found", False, NonRetryableError),
        (AlreadyExists, "already_exists", False, NonRetryableError),
        (PermissionDenied, "permission_denied", False, NonRetryableError),
        (AuthenticationFailed, "unauthenticated", False, NonRetryableError),
        (QuotaExceeded, "quota_exceeded", False, NonRetryableError),
    ],
)
def test_each_error_has_a_stable_code_and_retryability(
    error_type: type[FlowwrightError], code: str, retryable: bool, branch: type[FlowwrightError]
) -> None:
    error = error_type("boom")

    assert isinstance(error, FlowwrightError)
    assert isinstance(error, branch)
    assert error.code == code
    assert error.retryable is retryable


def test_root_error_is_internal_and_not_retryable() -> None:
    assert FlowwrightError.code == "internal"
    assert FlowwrightError.retryable is False


def test_codes_are_unique_across_the_tree() -> None:
    types = [
        FlowwrightError,
        RetryableError,
        ConcurrencyConflict,
        NonRetryableError,
        ValidationFailed,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        AuthenticationFailed,
        QuotaExceeded,
    ]

    assert len({t.code for t in types}) == len(types)


def test_error_keeps_message_and_copies_details() -> None:
    details = {"field": "slug"}
    error = ValidationFailed("bad slug", details=details)
    details["field"] = "changed"

    assert str(error) == "bad slug"
    assert error.message == "bad slug"
    assert error.details == {"field": "slug"}


def test_error_details_default_to_empty() -> None:
    assert NotFound("gone").details == {}


def test_quota_exceeded_carries_retry_after() -> None:
    error = QuotaExceeded("slow down", retry_after_seconds=2.5, details={"limit": 10})

    assert error.retry_after_seconds == 2.5
    assert error.details == {"limit": 10}
    assert QuotaExceeded("slow down").retry_after_seconds is None


def test_errors_are_catchable_as_plain_exceptions() -> None:
    with pytest.raises(NonRetryableError, match="nope"):
        raise PermissionDenied("nope")
