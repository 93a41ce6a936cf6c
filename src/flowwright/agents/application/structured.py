"""Structured output: check the schema, read the answer as JSON, say precisely what is wrong."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, best_match

from flowwright.kernel.errors import ValidationFailed

_FENCE = re.compile(r"\A```(?:json)?\s*\n?(.*?)\n?```\Z", re.DOTALL)
MAX_SCHEMA_BYTES = 64_000


def compile_schema(schema: dict[str, Any]) -> Draft202012Validator:
    if len(json.dumps(schema)) > MAX_SCHEMA_BYTES:
        raise ValidationFailed(
            f"output_schema is larger than {MAX_SCHEMA_BYTES} bytes",
            details={"field": "output_schema"},
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        raise ValidationFailed(
            f"output_schema is not a valid JSON Schema: {exc.message}",
            details={"field": "output_schema"},
        ) from exc
    return Draft202012Validator(schema)


def read_answer(text: str, validator: Draft202012Validator) -> tuple[Any, str | None]:
    """(value, None) when ``text`` is JSON matching the schema, else (None, why not)."""
    candidate = text.strip()
    fenced = _FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1).strip()
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError as exc:
        return None, f"the answer is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    error = best_match(validator.iter_errors(value))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        return None, f"at {where}: {error.message}"
    return value, None


def instruction(schema: dict[str, Any]) -> str:
    """For models without native schema support: ask for the JSON in plain words."""
    return (
        "Answer with one JSON value that matches this JSON Schema, and nothing else "
        "(no prose, no code fences):\n" + json.dumps(schema, separators=(",", ":"))
    )


def repair_request(error: str) -> str:
    return (
        f"Your answer does not match the required JSON Schema: {error}. "
        "Reply again with only the corrected JSON value."
    )
