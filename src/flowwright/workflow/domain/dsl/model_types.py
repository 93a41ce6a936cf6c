"""Base model and constrained value types shared by every part of the language.

Constrained strings raise errors whose type is ``fw.<code>`` so that the compiler can map
them straight to a diagnostic code (``invalid-name``, ``invalid-duration`` ...).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    SerializationInfo,
)
from pydantic_core import PydanticCustomError

from flowwright.workflow.domain.dsl.durations import (
    DURATION_PATTERN,
    DurationError,
    normalize_duration,
    parse_duration,
)

#: Prefix of error types that carry a diagnostic code.
CODE_ERROR_PREFIX = "fw."

#: Serialization context flag: durations in canonical spelling, for hashing.
CANONICAL = "canonical"


class DslModel(BaseModel):
    """Immutable, closed (unknown fields are errors) and strict about JSON types."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        populate_by_name=True,
        validate_default=False,
        ser_json_inf_nan="strings",
    )


def code_error(code: str, message: str) -> PydanticCustomError:
    """A validation error that the compiler reports under diagnostic ``code``."""
    return PydanticCustomError(CODE_ERROR_PREFIX + code, message)


def _pattern_type(pattern: str, code: str, what: str, example: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.match(value):
            raise code_error(code, f"{value!r} is not a valid {what}; expected {example}")
        return value

    return check


STEP_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
WORKFLOW_NAME_PATTERN = r"^[a-z][a-z0-9-]{0,62}$"
FIELD_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]{0,63}$"
MODEL_ALIAS_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
EVENT_NAME_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
WEBHOOK_PATH_PATTERN = r"^[a-z0-9][a-z0-9/_-]{0,199}$"
ERROR_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{0,63}$"
LABEL_KEY_PATTERN = r"^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$"

StepId = Annotated[
    str,
    AfterValidator(
        _pattern_type(
            STEP_ID_PATTERN,
            "invalid-name",
            "step id",
            "lowercase letters, digits and '_', starting with a letter (like fetch_order)",
        )
    ),
    Field(json_schema_extra={"pattern": STEP_ID_PATTERN}),
]
WorkflowName = Annotated[
    str,
    AfterValidator(
        _pattern_type(
            WORKFLOW_NAME_PATTERN,
            "invalid-name",
            "workflow name",
            "lowercase letters, digits and '-', starting with a letter (like triage-ticket)",
        )
    ),
    Field(json_schema_extra={"pattern": WORKFLOW_NAME_PATTERN}),
]
FieldName = Annotated[
    str,
    AfterValidator(
        _pattern_type(
            FIELD_NAME_PATTERN,
            "invalid-name",
            "name",
            "letters, digits and '_', not starting with a digit (like ticket_id)",
        )
    ),
    Field(json_schema_extra={"pattern": FIELD_NAME_PATTERN}),
]
ModelAlias = Annotated[
    str,
    AfterValidator(
        _pattern_type(
            MODEL_ALIAS_PATTERN, "invalid-name", "model alias", "a short alias like fast or smart"
        )
    ),
    Field(json_schema_extra={"pattern": MODEL_ALIAS_PATTERN}),
]
EventName = Annotated[
    str,
    AfterValidator(
        _pattern_type(
            EVENT_NAME_PATTERN,
            "invalid-name",
            "event name",
            "dot-separated lowercase words like ticket.created",
        )
    ),
    Field(json_schema_extra={"pattern": EVENT_NAME_PATTERN}),
]
WebhookPath = Annotated[
    str,
    AfterValidator(
        _pattern_type(
            WEBHOOK_PATH_PATTERN,
            "invalid-value",
            "webhook path",
            "lowercase letters, digits, '/', '_' and '-' (like crm/contacts)",
        )
    ),
    Field(json_schema_extra={"pattern": WEBHOOK_PATH_PATTERN}),
]
ErrorCodeName = Annotated[
    str,
    AfterValidator(
        _pattern_type(ERROR_CODE_PATTERN, "invalid-value", "error code", "upper case like HTTP_4XX")
    ),
    Field(json_schema_extra={"pattern": ERROR_CODE_PATTERN}),
]
LabelKey = Annotated[
    str,
    AfterValidator(
        _pattern_type(LABEL_KEY_PATTERN, "invalid-name", "label key", "lowercase words like team")
    ),
    Field(json_schema_extra={"pattern": LABEL_KEY_PATTERN}),
]


def _check_duration(value: str) -> str:
    try:
        parse_duration(value)
    except DurationError as exc:
        raise code_error("invalid-duration", str(exc)) from None
    return value


def _serialize_duration(value: str, info: SerializationInfo) -> str:
    if isinstance(info.context, dict) and info.context.get(CANONICAL):
        return normalize_duration(value)
    return value


Duration = Annotated[
    str,
    AfterValidator(_check_duration),
    PlainSerializer(_serialize_duration, return_type=str),
    Field(json_schema_extra={"pattern": DURATION_PATTERN, "examples": ["30s", "5m", "1h30m"]}),
]

CRON_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_REFERENCE_TIME = datetime(2024, 1, 1, tzinfo=UTC)


def expand_cron(schedule: str) -> str:
    """The five-field form of ``schedule`` (macros such as ``@daily`` expanded)."""
    return CRON_MACROS.get(schedule.strip().lower(), schedule.strip())


def _check_cron(value: str) -> str:
    expanded = expand_cron(value)
    fields = expanded.split()
    if len(fields) != 5:
        raise code_error(
            "invalid-cron",
            f"{value!r} has {len(fields)} fields; a schedule has 5: "
            "minute hour day-of-month month day-of-week (like '0 9 * * MON-FRI')",
        )
    try:
        next(CronSim(expanded, _REFERENCE_TIME))
    except (CronSimError, StopIteration, ValueError, IndexError) as exc:
        raise code_error("invalid-cron", f"{value!r} is not a valid cron schedule: {exc}") from None
    return value


CronSchedule = Annotated[
    str,
    AfterValidator(_check_cron),
    Field(json_schema_extra={"examples": ["0 9 * * MON-FRI", "@daily"]}),
]


def _check_timezone(value: str) -> str:
    if value in ("UTC", "Etc/UTC"):
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise code_error(
            "invalid-timezone",
            f"{value!r} is not a known IANA timezone; use a name like Europe/Paris or UTC",
        ) from None
    return value


Timezone = Annotated[
    str,
    AfterValidator(_check_timezone),
    Field(json_schema_extra={"examples": ["UTC", "Europe/Paris"]}),
]

#: Any JSON value. Strings inside may be templates where the field allows it.
JSONValue = Any
