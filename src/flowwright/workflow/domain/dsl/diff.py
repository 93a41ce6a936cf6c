"""What changed between two versions of a workflow, and what may break its callers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from flowwright.workflow.domain.dsl.canonical import canonical_data, canonical_json
from flowwright.workflow.domain.dsl.models import WorkflowDefinition
from flowwright.workflow.domain.dsl.paths import Path, format_path
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, expand

_ABSENT: Any = None


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value that differs; ``None`` stands for absent."""

    path: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class StepChange:
    """A step present in both versions whose fields differ."""

    id: str
    changes: list[FieldChange]


@dataclass(frozen=True, slots=True)
class InputChange:
    """An input present in both versions whose declaration differs."""

    name: str
    changes: list[FieldChange]
    type_changed: bool
    required_before: bool
    required_after: bool


@dataclass(frozen=True, slots=True)
class WorkflowDiff:
    """Differences from an old definition to a new one."""

    steps_added: list[str] = field(default_factory=list)
    steps_removed: list[str] = field(default_factory=list)
    steps_changed: list[StepChange] = field(default_factory=list)
    inputs_added: list[str] = field(default_factory=list)
    inputs_removed: list[str] = field(default_factory=list)
    inputs_changed: list[InputChange] = field(default_factory=list)
    outputs_added: list[str] = field(default_factory=list)
    outputs_removed: list[str] = field(default_factory=list)
    outputs_changed: list[FieldChange] = field(default_factory=list)
    triggers_added: list[dict[str, Any]] = field(default_factory=list)
    triggers_removed: list[dict[str, Any]] = field(default_factory=list)
    #: Top-level changes: timeout, defaults, vars, metadata.
    other_changes: list[FieldChange] = field(default_factory=list)
    #: Why callers of the old version may fail with the new one.
    breaking: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in self.__dataclass_fields__)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return asdict(self)

    def summary(self) -> str:
        """A few lines for people; ``no changes`` when the versions are equivalent."""
        if self.is_empty:
            return "no changes"
        lines: list[str] = []
        parts = _counted(self.steps_added, self.steps_removed)
        if self.steps_changed:
            details = "; ".join(
                f"{c.id}: {', '.join(ch.path for ch in c.changes)}" for c in self.steps_changed
            )
            parts.append(f"changed {details}")
        if parts:
            lines.append("steps: " + "; ".join(parts))
        parts = _counted(self.inputs_added, self.inputs_removed)
        if self.inputs_changed:
            parts.append("changed " + ", ".join(c.name for c in self.inputs_changed))
        if parts:
            lines.append("inputs: " + "; ".join(parts))
        parts = _counted(self.outputs_added, self.outputs_removed)
        if self.outputs_changed:
            parts.append("changed " + ", ".join(c.path for c in self.outputs_changed))
        if parts:
            lines.append("outputs: " + "; ".join(parts))
        parts = []
        if self.triggers_added:
            parts.append("added " + ", ".join(map(_trigger_text, self.triggers_added)))
        if self.triggers_removed:
            parts.append("removed " + ", ".join(map(_trigger_text, self.triggers_removed)))
        if parts:
            lines.append("triggers: " + "; ".join(parts))
        if self.other_changes:
            lines.append(
                "other: "
                + "; ".join(
                    f"{c.path} {_short(c.before)} -> {_short(c.after)}" for c in self.other_changes
                )
            )
        lines.extend(f"BREAKING: {reason}" for reason in self.breaking)
        return "\n".join(lines)


def diff_definitions(old: WorkflowDefinition, new: WorkflowDefinition) -> WorkflowDiff:
    """Compare two definitions by their normalized data (formatting never shows up)."""
    before, after = canonical_data(old), canonical_data(new)
    diff = WorkflowDiff()
    _diff_steps(before, after, diff)
    _diff_inputs(old, new, diff)
    _diff_outputs(before.get("outputs", {}), after.get("outputs", {}), diff)
    _diff_triggers(before.get("triggers", []), after.get("triggers", []), diff)
    for key in ("timeout", "defaults", "vars"):
        _collect(before.get(key), after.get(key), (key,), diff.other_changes)
    for key in ("name", "description", "labels"):
        _collect(
            before["metadata"].get(key),
            after["metadata"].get(key),
            ("metadata", key),
            diff.other_changes,
        )
    return diff


def _diff_steps(before: Mapping[str, Any], after: Mapping[str, Any], diff: WorkflowDiff) -> None:
    old_steps, new_steps = _flatten(before), _flatten(after)
    diff.steps_added.extend(step_id for step_id in new_steps if step_id not in old_steps)
    diff.steps_removed.extend(step_id for step_id in old_steps if step_id not in new_steps)
    for step_id, old_step in old_steps.items():
        new_step = new_steps.get(step_id)
        if new_step is None:
            continue
        changes: list[FieldChange] = []
        _collect(old_step, new_step, (), changes)
        if changes:
            diff.steps_changed.append(StepChange(step_id, changes))


def _flatten(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every step by id; nested step lists are replaced by the ids they hold."""
    found: dict[str, dict[str, Any]] = {}
    pending = [*data.get("steps", []), *data.get("compensations", [])]
    while pending:
        step = dict(pending.pop(0))
        spec = STEP_TYPES.get(step.get("type", ""))
        for nested in spec.nested if spec is not None else ():
            for path, children in list(expand(step, nested.pattern)):
                if isinstance(children, list):
                    pending.extend(children)
                    _replace(step, path, [child.get("id") for child in children])
        found[step["id"]] = step
    return found


def _replace(data: dict[str, Any], path: Path, value: Any) -> None:
    """Set ``value`` at ``path``, copying the containers on the way (the input is shared)."""
    node: Any = data
    for part in path[:-1]:
        child = node[part]
        copy: Any = dict(child) if isinstance(child, dict) else list(child)
        node[part] = copy
        node = copy
    node[path[-1]] = value


def _diff_inputs(old: WorkflowDefinition, new: WorkflowDefinition, diff: WorkflowDiff) -> None:
    for name, spec in new.inputs.items():
        if name not in old.inputs:
            diff.inputs_added.append(name)
            if spec.is_required:
                diff.breaking.append(f"new input {name!r} is required and has no default")
    for name, old_spec in old.inputs.items():
        new_spec = new.inputs.get(name)
        if new_spec is None:
            diff.inputs_removed.append(name)
            diff.breaking.append(f"input {name!r} was removed; callers that pass it are refused")
            continue
        changes: list[FieldChange] = []
        _collect(_input_data(old_spec), _input_data(new_spec), (), changes)
        if not changes:
            continue
        old_type, new_type = old_spec.json_schema().get("type"), new_spec.json_schema().get("type")
        type_changed = old_type != new_type
        if type_changed:
            diff.breaking.append(
                f"input {name!r} changed type from {_short(old_type)} to {_short(new_type)}"
            )
        if new_spec.is_required and not old_spec.is_required:
            diff.breaking.append(f"input {name!r} became required")
        diff.inputs_changed.append(
            InputChange(name, changes, type_changed, old_spec.is_required, new_spec.is_required)
        )


def _input_data(spec: Any) -> dict[str, Any]:
    data: dict[str, Any] = spec.model_dump(mode="json", exclude_none=True)
    return data


def _diff_outputs(before: Mapping[str, Any], after: Mapping[str, Any], diff: WorkflowDiff) -> None:
    diff.outputs_added.extend(name for name in after if name not in before)
    for name, value in before.items():
        if name not in after:
            diff.outputs_removed.append(name)
            diff.breaking.append(f"output {name!r} was removed")
        elif after[name] != value:
            diff.outputs_changed.append(FieldChange(name, value, after[name]))


def _diff_triggers(before: list[Any], after: list[Any], diff: WorkflowDiff) -> None:
    old_keys = {canonical_json(t): t for t in before}
    new_keys = {canonical_json(t): t for t in after}
    diff.triggers_added.extend(t for key, t in new_keys.items() if key not in old_keys)
    for key, trigger in old_keys.items():
        if key in new_keys:
            continue
        diff.triggers_removed.append(trigger)
        if trigger.get("type") == "webhook":
            path = trigger.get("path")
            if not any(t.get("type") == "webhook" and t.get("path") == path for t in after):
                diff.breaking.append(f"webhook path {path!r} was removed")


def _collect(before: Any, after: Any, path: Path, out: list[FieldChange]) -> None:
    """Append a change for every differing leaf (mappings are compared key by key)."""
    if before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in [*before, *(k for k in after if k not in before)]:
            _collect(before.get(key, _ABSENT), after.get(key, _ABSENT), (*path, key), out)
        return
    out.append(FieldChange(format_path(path) or "value", before, after))


def _counted(added: list[str], removed: list[str]) -> list[str]:
    parts: list[str] = []
    if added:
        parts.append(f"added {', '.join(added)}")
    if removed:
        parts.append(f"removed {', '.join(removed)}")
    return parts


def _trigger_text(trigger: Mapping[str, Any]) -> str:
    detail = trigger.get("path") or trigger.get("schedule") or trigger.get("event") or ""
    return f"{trigger.get('type')} {detail}".strip()


def _short(value: Any) -> str:
    text = "absent" if value is None else canonical_json(value)
    return text if len(text) <= 40 else text[:37] + "..."
