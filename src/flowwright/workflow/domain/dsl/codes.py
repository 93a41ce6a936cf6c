"""The catalogue of diagnostic codes.

Codes are part of the public contract: the designer agent keys its repair strategies on them
and the documentation lists every one, so a code is never renamed, only added.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Severity = Literal["error", "warning"]


class Code(StrEnum):
    """Every diagnostic code the compiler can emit."""

    # Source text
    YAML_SYNTAX = "yaml-syntax"
    DUPLICATE_KEY = "duplicate-key"
    YAML_UNSUPPORTED = "yaml-unsupported"
    VALUE_TOO_LARGE = "value-too-large"
    NESTING_TOO_DEEP = "nesting-too-deep"
    # Shape of the document
    INVALID_TYPE = "invalid-type"
    MISSING_FIELD = "missing-field"
    UNKNOWN_FIELD = "unknown-field"
    INVALID_VALUE = "invalid-value"
    UNSUPPORTED_API_VERSION = "unsupported-api-version"
    INVALID_NAME = "invalid-name"
    INVALID_DURATION = "invalid-duration"
    INVALID_CRON = "invalid-cron"
    INVALID_TIMEZONE = "invalid-timezone"
    INVALID_URL = "invalid-url"
    INVALID_JSON_SCHEMA = "invalid-json-schema"
    INVALID_INPUT_VALUE = "invalid-input-value"
    CONFLICTING_FIELDS = "conflicting-fields"
    UNSUPPORTED_FIELD = "unsupported-field"
    # Steps and their graph
    DUPLICATE_STEP_ID = "duplicate-step-id"
    UNKNOWN_STEP_TYPE = "unknown-step-type"
    STEP_TYPE_UNAVAILABLE = "step-type-unavailable"
    UNKNOWN_NEED = "unknown-need"
    SELF_NEED = "self-need"
    CYCLE = "cycle"
    TOO_MANY_STEPS = "too-many-steps"
    INVALID_SWITCH_TARGET = "invalid-switch-target"
    INVALID_ERROR_HANDLER = "invalid-error-handler"
    UNKNOWN_COMPENSATION = "unknown-compensation"
    INVALID_COMPENSATION = "invalid-compensation"
    DUPLICATE_BRANCH_NAME = "duplicate-branch-name"
    # Workflow level
    DUPLICATE_WEBHOOK_PATH = "duplicate-webhook-path"
    UNKNOWN_WORKFLOW = "unknown-workflow"
    SELF_SUBWORKFLOW = "self-subworkflow"
    MISSING_INPUT = "missing-input"
    # Expressions
    EXPRESSION_SYNTAX = "expression-syntax"
    EXPRESSION_FORBIDDEN = "expression-forbidden"
    UNKNOWN_FUNCTION = "unknown-function"
    EXPRESSION_TOO_COMPLEX = "expression-too-complex"
    EXPRESSION_NOT_ALLOWED = "expression-not-allowed"
    EXPRESSION_REQUIRED = "expression-required"
    # References inside expressions
    UNKNOWN_ROOT = "unknown-root"
    INVALID_REFERENCE = "invalid-reference"
    UNKNOWN_REFERENCE = "unknown-reference"
    NON_UPSTREAM_REFERENCE = "non-upstream-reference"
    CROSS_BRANCH_REFERENCE = "cross-branch-reference"
    NESTED_STEP_REFERENCE = "nested-step-reference"
    REFERENCE_NOT_ALLOWED = "reference-not-allowed"
    LOOP_VARIABLE_OUTSIDE_FOREACH = "loop-variable-outside-foreach"
    UNKNOWN_INPUT = "unknown-input"
    UNKNOWN_VAR = "unknown-var"
    UNKNOWN_SECRET = "unknown-secret"  # noqa: S105 - a code name, not a secret
    SECRET_NOT_ALLOWED = "secret-not-allowed"  # noqa: S105 - a code name, not a secret
    UNKNOWN_RUN_FIELD = "unknown-run-field"
    UNKNOWN_OUTPUT_FIELD = "unknown-output-field"
    # Warnings
    UNREACHABLE_STEP = "unreachable-step"
    UNUSED_INPUT = "unused-input"
    UNUSED_COMPENSATION = "unused-compensation"
    TIMEOUT_EXCEEDS_RUN = "timeout-exceeds-run"
    SUSPICIOUS_TEMPLATE = "suspicious-template"
    # The compiler itself
    INTERNAL_ERROR = "internal-error"


@dataclass(frozen=True, slots=True)
class CodeInfo:
    """What a code means: its fixed severity and a one-line summary for the reference."""

    severity: Severity
    summary: str


_E: Severity = "error"
_W: Severity = "warning"

CODE_INFO: dict[Code, CodeInfo] = {
    Code.YAML_SYNTAX: CodeInfo(_E, "the text is not well-formed YAML or JSON"),
    Code.DUPLICATE_KEY: CodeInfo(_E, "a mapping repeats a key"),
    Code.YAML_UNSUPPORTED: CodeInfo(
        _E, "a YAML feature outside plain JSON data: aliases, custom tags, non-string keys"
    ),
    Code.VALUE_TOO_LARGE: CodeInfo(_E, "the source, a string or a number exceeds a limit"),
    Code.NESTING_TOO_DEEP: CodeInfo(_E, "containers or data are nested too deeply"),
    Code.INVALID_TYPE: CodeInfo(_E, "a value has the wrong JSON type"),
    Code.MISSING_FIELD: CodeInfo(_E, "a required field is absent"),
    Code.UNKNOWN_FIELD: CodeInfo(_E, "a field is not part of the language at that place"),
    Code.INVALID_VALUE: CodeInfo(_E, "a value is outside the allowed set or range"),
    Code.UNSUPPORTED_API_VERSION: CodeInfo(_E, "apiVersion is not flowwright/v1"),
    Code.INVALID_NAME: CodeInfo(_E, "an id or name does not match its pattern"),
    Code.INVALID_DURATION: CodeInfo(_E, "a duration is malformed, zero or above 365d"),
    Code.INVALID_CRON: CodeInfo(_E, "a cron schedule cannot be parsed"),
    Code.INVALID_TIMEZONE: CodeInfo(_E, "a timezone is not an IANA name"),
    Code.INVALID_URL: CodeInfo(_E, "a literal URL is not an absolute http(s) URL"),
    Code.INVALID_JSON_SCHEMA: CodeInfo(_E, "an input or output_schema is not valid JSON Schema"),
    Code.INVALID_INPUT_VALUE: CodeInfo(_E, "a default or trigger input does not match its schema"),
    Code.CONFLICTING_FIELDS: CodeInfo(_E, "two fields cannot be used together"),
    Code.UNSUPPORTED_FIELD: CodeInfo(_E, "a field exists but has no meaning on this step"),
    Code.DUPLICATE_STEP_ID: CodeInfo(_E, "two steps share an id"),
    Code.UNKNOWN_STEP_TYPE: CodeInfo(_E, "a step type is not part of the language"),
    Code.STEP_TYPE_UNAVAILABLE: CodeInfo(_E, "the installation cannot run this step type"),
    Code.UNKNOWN_NEED: CodeInfo(_E, "needs names a step that is not a sibling"),
    Code.SELF_NEED: CodeInfo(_E, "a step needs itself"),
    Code.CYCLE: CodeInfo(_E, "dependencies form a cycle"),
    Code.TOO_MANY_STEPS: CodeInfo(_E, "the workflow has more steps than allowed"),
    Code.INVALID_SWITCH_TARGET: CodeInfo(_E, "a switch routes to a step that cannot be its target"),
    Code.INVALID_ERROR_HANDLER: CodeInfo(_E, "on_error.goto names an impossible handler"),
    Code.UNKNOWN_COMPENSATION: CodeInfo(_E, "compensate_with names no compensation step"),
    Code.INVALID_COMPENSATION: CodeInfo(_E, "compensation is used where it cannot work"),
    Code.DUPLICATE_BRANCH_NAME: CodeInfo(_E, "two branches of a parallel share a name"),
    Code.DUPLICATE_WEBHOOK_PATH: CodeInfo(_E, "a webhook path is already taken"),
    Code.UNKNOWN_WORKFLOW: CodeInfo(_E, "a subworkflow names an unknown workflow"),
    Code.SELF_SUBWORKFLOW: CodeInfo(_E, "a workflow calls itself"),
    Code.MISSING_INPUT: CodeInfo(_E, "a cron trigger omits a required input"),
    Code.EXPRESSION_SYNTAX: CodeInfo(_E, "an expression cannot be parsed"),
    Code.EXPRESSION_FORBIDDEN: CodeInfo(_E, "an expression uses a forbidden construct"),
    Code.UNKNOWN_FUNCTION: CodeInfo(_E, "an expression calls an unknown function"),
    Code.EXPRESSION_TOO_COMPLEX: CodeInfo(_E, "an expression exceeds a size or depth limit"),
    Code.EXPRESSION_NOT_ALLOWED: CodeInfo(_E, "a field that must be static holds an expression"),
    Code.EXPRESSION_REQUIRED: CodeInfo(_E, "a field must be exactly one ${{ }} expression"),
    Code.UNKNOWN_ROOT: CodeInfo(_E, "an expression starts from an unknown name"),
    Code.INVALID_REFERENCE: CodeInfo(_E, "a reference has the wrong form"),
    Code.UNKNOWN_REFERENCE: CodeInfo(_E, "steps.X names no step"),
    Code.NON_UPSTREAM_REFERENCE: CodeInfo(_E, "steps.X is not guaranteed to have finished"),
    Code.CROSS_BRANCH_REFERENCE: CodeInfo(_E, "a branch reads a step of another branch"),
    Code.NESTED_STEP_REFERENCE: CodeInfo(_E, "a step inside a container is read from outside"),
    Code.REFERENCE_NOT_ALLOWED: CodeInfo(_E, "this kind of reference is not available here"),
    Code.LOOP_VARIABLE_OUTSIDE_FOREACH: CodeInfo(_E, "item or index is used outside a foreach"),
    Code.UNKNOWN_INPUT: CodeInfo(_E, "inputs.X is not declared"),
    Code.UNKNOWN_VAR: CodeInfo(_E, "vars.X is not declared"),
    Code.UNKNOWN_SECRET: CodeInfo(_E, "secrets.X does not exist for the tenant"),
    Code.SECRET_NOT_ALLOWED: CodeInfo(_E, "a secret is used where it could leak"),
    Code.UNKNOWN_RUN_FIELD: CodeInfo(_E, "run.X is not a run field"),
    Code.UNKNOWN_OUTPUT_FIELD: CodeInfo(_E, "a step's output has no such field"),
    Code.UNREACHABLE_STEP: CodeInfo(_W, "a step can never run"),
    Code.UNUSED_INPUT: CodeInfo(_W, "an input is declared but never read"),
    Code.UNUSED_COMPENSATION: CodeInfo(_W, "a compensation step is never referenced"),
    Code.TIMEOUT_EXCEEDS_RUN: CodeInfo(_W, "a step may wait longer than the whole run"),
    Code.SUSPICIOUS_TEMPLATE: CodeInfo(_W, "text looks like an expression but is not one"),
    Code.INTERNAL_ERROR: CodeInfo(_E, "the compiler failed on this input (a bug to report)"),
}


def severity_of(code: Code) -> Severity:
    """The fixed severity of ``code``."""
    return CODE_INFO[code].severity
