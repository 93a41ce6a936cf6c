"""Checks of the workflow as a whole: inputs, triggers, timeouts and unused declarations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.durations import DurationError, parse_duration
from flowwright.workflow.domain.dsl.json_schema_check import check_json_schema
from flowwright.workflow.domain.dsl.options import CompileOptions
from flowwright.workflow.domain.dsl.paths import Path
from flowwright.workflow.domain.dsl.reporter import Reporter
from flowwright.workflow.domain.dsl.skeleton import Skeleton
from flowwright.workflow.domain.dsl.suggest import did_you_mean

#: Keys of an input spec that belong to the language rather than to JSON Schema.
_OWN_INPUT_KEYS = ("required",)


def input_schema(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema fragment of a raw input spec."""
    schema = {k: v for k, v in spec.items() if k not in _OWN_INPUT_KEYS}
    if isinstance(spec.get("required"), list):
        schema["required"] = spec["required"]
    return schema


def is_required_input(spec: Mapping[str, Any]) -> bool:
    return spec.get("required", False) is not False and "default" not in spec


def check_inputs(root: Mapping[str, Any], reporter: Reporter) -> None:
    """Each input's schema is valid JSON Schema and its default matches it."""
    inputs = root.get("inputs")
    if not isinstance(inputs, Mapping):
        return
    for name, spec in inputs.items():
        if not isinstance(spec, Mapping):
            continue
        path: Path = ("inputs", name)
        schema = input_schema(spec)
        issues = check_json_schema(schema)
        for issue in issues:
            reporter.report(
                Code.INVALID_JSON_SCHEMA,
                f"input {name!r}: {issue.message}",
                (*path, *issue.path),
                key=issue.at_key,
                hint=issue.hint,
            )
        if not issues and "default" in spec:
            message = value_mismatch(schema, spec["default"])
            if message is not None:
                reporter.report(
                    Code.INVALID_INPUT_VALUE,
                    f"default of input {name!r} does not match its schema: {message}",
                    (*path, "default"),
                )


def value_mismatch(schema: Mapping[str, Any], value: Any) -> str | None:
    """Why ``value`` does not match ``schema``, or ``None`` when it does."""
    without_default = {k: v for k, v in schema.items() if k != "default"}
    try:
        validator = Draft202012Validator(without_default)
        error = next(iter(validator.iter_errors(value)), None)
    except (SchemaError, TypeError, ValueError, RecursionError):
        return None
    if error is None:
        return None
    where = "".join(f"[{p!r}]" for p in error.absolute_path)
    return f"{where} {error.message}".strip()


def check_triggers(root: Mapping[str, Any], reporter: Reporter, options: CompileOptions) -> None:
    """Webhook paths are free; cron triggers give every required input a valid value."""
    triggers = root.get("triggers")
    if not isinstance(triggers, list):
        return
    metadata = root.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    inputs = root.get("inputs") if isinstance(root.get("inputs"), Mapping) else {}
    assert isinstance(inputs, Mapping)
    seen: dict[str, int] = {}
    for index, trigger in enumerate(triggers):
        if not isinstance(trigger, Mapping):
            continue
        path: Path = ("triggers", index)
        if trigger.get("type") == "webhook" and isinstance(trigger.get("path"), str):
            webhook = trigger["path"].strip("/")
            owner = options.taken_webhook_paths.get(webhook)
            if webhook in seen:
                reporter.report(
                    Code.DUPLICATE_WEBHOOK_PATH,
                    f"webhook path {webhook!r} is declared twice",
                    (*path, "path"),
                    hint=f"triggers[{seen[webhook]}] already uses it",
                )
            elif owner is not None and owner != name:
                reporter.report(
                    Code.DUPLICATE_WEBHOOK_PATH,
                    f"webhook path {webhook!r} is already used by workflow {owner!r}",
                    (*path, "path"),
                    hint="webhook paths are unique in a tenant; choose another path",
                )
            seen.setdefault(webhook, index)
        if trigger.get("type") == "cron":
            _check_cron_inputs(trigger.get("inputs", {}), inputs, path, reporter)


def _check_cron_inputs(
    given: Any, inputs: Mapping[str, Any], path: Path, reporter: Reporter
) -> None:
    if not isinstance(given, Mapping):
        return
    for key, value in given.items():
        spec = inputs.get(key)
        if spec is None:
            hint = did_you_mean(key, inputs) or "declare it under inputs"
            reporter.report(
                Code.UNKNOWN_INPUT,
                f"input {key!r} is not declared",
                (*path, "inputs", key),
                key=True,
                hint=hint,
            )
            continue
        if isinstance(spec, Mapping) and not check_json_schema(input_schema(spec)):
            message = value_mismatch(input_schema(spec), value)
            if message is not None:
                reporter.report(
                    Code.INVALID_INPUT_VALUE,
                    f"value of input {key!r} does not match its schema: {message}",
                    (*path, "inputs", key),
                )
    for name, spec in inputs.items():
        if isinstance(spec, Mapping) and is_required_input(spec) and name not in given:
            reporter.report(
                Code.MISSING_INPUT,
                f"this schedule does not give required input {name!r}",
                path,
                hint=f"add inputs: {{{name}: ...}} to the trigger, or give the input a default",
            )


def check_timeouts(root: Mapping[str, Any], skeleton: Skeleton, reporter: Reporter) -> None:
    """Warn when a step may wait longer than the run is allowed to last."""
    run_timeout = _milliseconds(root.get("timeout"))
    if run_timeout is None:
        return
    for node in skeleton.steps:
        for key in ("timeout", "duration"):
            value = _milliseconds(node.raw.get(key))
            if value is not None and value > run_timeout:
                reporter.report(
                    Code.TIMEOUT_EXCEEDS_RUN,
                    f"{key} {node.raw[key]} is longer than the run timeout {root['timeout']}",
                    (*node.path, key),
                    hint="the run is cancelled first; raise the run timeout or shorten this",
                )


def _milliseconds(value: Any) -> int | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_duration(value)
    except DurationError:
        return None


def check_unused_inputs(
    root: Mapping[str, Any], used: set[str], all_used: bool, reporter: Reporter
) -> None:
    """Warn about inputs nothing reads."""
    inputs = root.get("inputs")
    if all_used or not isinstance(inputs, Mapping):
        return
    for name in inputs:
        if name not in used:
            reporter.report(
                Code.UNUSED_INPUT,
                f"input {name!r} is never used",
                ("inputs", name),
                key=True,
                hint="remove it, or read it with ${{ inputs." + str(name) + " }}",
            )
