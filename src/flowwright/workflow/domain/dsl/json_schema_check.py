"""Checking JSON Schema fragments written by authors (inputs and ``output_schema``).

Beyond the 2020-12 meta-schema, unknown keywords are refused: the meta-schema accepts them
silently, so a typo such as ``propertes`` would otherwise disable validation unnoticed.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator

from flowwright.workflow.domain.dsl.paths import Path

_TYPES = ("string", "number", "integer", "boolean", "object", "array", "null")

_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_SCHEMA_KEYWORDS = frozenset(
    {
        "items", "additionalProperties", "contains", "not", "if", "then", "else",
        "propertyNames", "unevaluatedItems", "unevaluatedProperties", "additionalItems",
    }
)  # fmt: skip
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_OTHER_KEYWORDS = frozenset(
    {
        "$schema", "$id", "$ref", "$anchor", "$dynamicRef", "$dynamicAnchor", "$comment",
        "$vocabulary", "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum",
        "minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems",
        "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties",
        "minProperties", "required", "dependentRequired", "format", "contentEncoding",
        "contentMediaType", "contentSchema", "title", "description", "default", "deprecated",
        "readOnly", "writeOnly", "examples", "dependencies",
    }
)  # fmt: skip
KNOWN_KEYWORDS = _SCHEMA_MAP_KEYWORDS | _SCHEMA_KEYWORDS | _SCHEMA_LIST_KEYWORDS | _OTHER_KEYWORDS

_META = Draft202012Validator(Draft202012Validator.META_SCHEMA)


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    """One problem in a schema, at ``path`` relative to the schema's root."""

    path: Path
    message: str
    hint: str | None = None
    #: Whether the problem is the key at ``path`` (unknown keyword) rather than its value.
    at_key: bool = False


def check_json_schema(schema: Mapping[str, Any]) -> tuple[SchemaIssue, ...]:
    """Problems of ``schema``; empty when it is a valid, closed-vocabulary 2020-12 schema."""
    try:
        key = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        return (SchemaIssue((), "the schema is not JSON data"),)
    return _check_cached(key)


@lru_cache(maxsize=512)
def _check_cached(serialized: str) -> tuple[SchemaIssue, ...]:
    schema = json.loads(serialized)
    issues: list[SchemaIssue] = []
    _walk(schema, (), issues, 0)
    for error in _META.iter_errors(schema):
        path: Path = tuple(error.absolute_path)
        issues.append(SchemaIssue(path, _describe(error.validator, error.instance, error.message)))
        if len(issues) >= 10:
            break
    unique: dict[tuple[Path, str], SchemaIssue] = {}
    for issue in issues:
        unique.setdefault((issue.path, issue.message), issue)
    return tuple(unique.values())


def _describe(validator: Any, instance: Any, message: str) -> str:
    if validator == "anyOf" and isinstance(instance, str):
        guess = difflib.get_close_matches(instance, _TYPES, n=1)
        suffix = f"; did you mean {guess[0]!r}?" if guess else ""
        return f"{instance!r} is not a JSON Schema type (use one of {', '.join(_TYPES)}){suffix}"
    if validator == "type" and isinstance(instance, bool):
        return f"{message}; note that 'required' lists property names, as in required: [name]"
    return message


def _walk(node: Any, path: Path, issues: list[SchemaIssue], depth: int) -> None:
    if not isinstance(node, Mapping) or depth > 32:
        return
    for key, value in node.items():
        here = (*path, key)
        if key not in KNOWN_KEYWORDS and not str(key).startswith("x-"):
            guess = difflib.get_close_matches(str(key), KNOWN_KEYWORDS, n=1, cutoff=0.7)
            issues.append(
                SchemaIssue(
                    here,
                    f"unknown JSON Schema keyword {key!r}",
                    f"did you mean {guess[0]!r}?" if guess else "prefix custom keys with 'x-'",
                    at_key=True,
                )
            )
            continue
        if key == "$ref" and isinstance(value, str) and not value.startswith("#"):
            issues.append(SchemaIssue(here, "only local references ($ref: '#/...') are allowed"))
        if key in _SCHEMA_MAP_KEYWORDS and isinstance(value, Mapping):
            for name, sub in value.items():
                _walk(sub, (*here, name), issues, depth + 1)
        elif key in _SCHEMA_KEYWORDS:
            _walk(value, here, issues, depth + 1)
        elif key in _SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            for index, sub in enumerate(value):
                _walk(sub, (*here, index), issues, depth + 1)
