"""The workflow definition: the validated, typed form of a workflow document."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, ConfigDict, Field

from flowwright.workflow.domain.dsl import step_types as _builtin_step_types
from flowwright.workflow.domain.dsl.model_types import (
    DslModel,
    Duration,
    FieldName,
    JSONValue,
    LabelKey,
    WorkflowName,
    code_error,
)
from flowwright.workflow.domain.dsl.paths import ANY as ANY_PART
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, StepTypeRegistry
from flowwright.workflow.domain.dsl.step_base import (
    NestedSteps,
    OptionalSteps,
    RetryPolicy,
    StepBase,
)
from flowwright.workflow.domain.dsl.step_types.foreach import ForeachStep
from flowwright.workflow.domain.dsl.step_types.parallel import ParallelBranch, ParallelStep
from flowwright.workflow.domain.dsl.triggers import Trigger

API_VERSION = "flowwright/v1"

assert _builtin_step_types  # imported for its side effect: registering the built-in types


def _check_api_version(value: str) -> str:
    if value != API_VERSION:
        raise code_error(
            "unsupported-api-version",
            f"apiVersion {value!r} is not supported; this compiler reads {API_VERSION}",
        )
    return value


ApiVersion = Annotated[
    str, AfterValidator(_check_api_version), Field(json_schema_extra={"const": API_VERSION})
]


class Metadata(DslModel):
    """Identity and description of the workflow."""

    name: WorkflowName
    description: str | None = Field(None, max_length=2000)
    labels: dict[LabelKey, Annotated[str, Field(max_length=63)]] = Field(default_factory=dict)


class InputSpec(DslModel):
    """One input: a JSON Schema fragment plus ``required``.

    ``required: true`` means callers must pass the input (unless it has a ``default``); a list
    keeps its JSON Schema meaning (required properties of an object input) and also makes the
    input itself required. Every other key, ``default`` and ``description`` included, is JSON
    Schema and is kept as written.
    """

    model_config = ConfigDict(extra="allow")

    required: bool | list[str] = False

    @property
    def schema_keywords(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def has_default(self) -> bool:
        return "default" in self.schema_keywords

    @property
    def default(self) -> Any:
        return self.schema_keywords.get("default")

    @property
    def description(self) -> str | None:
        value = self.schema_keywords.get("description")
        return value if isinstance(value, str) else None

    @property
    def is_required(self) -> bool:
        """Whether a caller must pass this input."""
        return self.required is not False and not self.has_default

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the input's value (without the language's own keys)."""
        schema = self.schema_keywords
        if isinstance(self.required, list):
            schema["required"] = list(self.required)
        return schema


class Defaults(DslModel):
    """Step settings applied where a step does not set its own."""

    timeout: Duration | None = Field(None, description="Not applied to approval and delay.")
    retry: RetryPolicy | None = Field(None, description="Only for steps that support retries.")


def build_step_union(registry: StepTypeRegistry) -> Any:
    """The discriminated union of every registered step model, keyed by ``type``."""
    models = tuple(spec.model for spec in registry.specs())
    return Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007


AnyStep = build_step_union(STEP_TYPES)


class WorkflowDefinition(DslModel):
    """A complete, validated workflow."""

    api_version: ApiVersion = Field(alias="apiVersion")
    kind: Literal["Workflow"]
    metadata: Metadata
    inputs: dict[FieldName, InputSpec] = Field(default_factory=dict)
    outputs: dict[FieldName, JSONValue] = Field(
        default_factory=dict, description="Values computed when the run ends; templates."
    )
    vars: dict[FieldName, JSONValue] = Field(
        default_factory=dict, description="Values computed when the run starts; templates."
    )
    triggers: list[Trigger] = Field(default_factory=list)
    timeout: Duration | None = Field(None, description="Bound of the whole run.")
    defaults: Defaults = Field(default_factory=Defaults)
    steps: NestedSteps
    compensations: OptionalSteps = Field(
        default_factory=list, description="Steps that undo others when the run fails."
    )

    def all_steps(self) -> Iterator[StepBase]:
        """Every step, nested ones included, compensations last."""
        yield from walk_steps(self.steps)
        yield from walk_steps(self.compensations)

    def inputs_schema(self) -> dict[str, Any]:
        """One object schema for all inputs, with ``required`` assembled from the specs."""
        required = sorted(name for name, spec in self.inputs.items() if spec.is_required)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {name: spec.json_schema() for name, spec in self.inputs.items()},
            "additionalProperties": False,
        }
        if required:
            schema["required"] = required
        return schema


def walk_steps(steps: list[Any]) -> Iterator[StepBase]:
    """``steps`` and every step nested in them, depth first, in document order."""
    for step in steps:
        yield step
        for nested in nested_scopes(step):
            yield from walk_steps(nested.steps)


@dataclass(frozen=True, slots=True)
class NestedScope:
    """A nested step list of a typed step: a parallel branch or a foreach body."""

    kind: Literal["branch", "loop"]
    group: str | None
    steps: list[Any]


def nested_scopes(step: StepBase) -> list[NestedScope]:
    """The nested step lists of a typed step, as its type's registry entry declares them."""
    spec = STEP_TYPES.get(step.type)
    if spec is None:
        return []
    found: list[NestedScope] = []
    for nested in spec.nested:
        for parent in _attributes(step, nested.pattern[:-1]):
            children = getattr(parent, str(nested.pattern[-1]), None)
            if not isinstance(children, list):
                continue
            group = getattr(parent, nested.group_key, None) if nested.group_key else None
            name = group if isinstance(group, str) else None
            found.append(NestedScope(nested.kind, name, children))
    return found


def _attributes(node: Any, pattern: tuple[Any, ...]) -> Iterator[Any]:
    """Objects reached from ``node`` along ``pattern`` (``*`` spans list items)."""
    if not pattern:
        yield node
        return
    head, rest = pattern[0], pattern[1:]
    if head == ANY_PART:
        if isinstance(node, list):
            for item in node:
                yield from _attributes(item, rest)
        return
    child = getattr(node, head, None)
    if child is not None:
        yield from _attributes(child, rest)


for _model in (ParallelBranch, ForeachStep, ParallelStep, WorkflowDefinition):
    _model.model_rebuild(_types_namespace={"AnyStep": AnyStep})
