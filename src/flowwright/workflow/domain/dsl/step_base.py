"""Fields every step has, whatever its type, and the policies they refer to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from flowwright.workflow.domain.dsl.model_types import (
    DslModel,
    Duration,
    ErrorCodeName,
    StepId,
)

if TYPE_CHECKING:
    # At run time "AnyStep" stays a forward reference until models.py has assembled the
    # union of registered step types and rebuilt the models that use it.
    AnyStep: TypeAlias = "StepBase"

#: Validation context flag: leave nested step lists unvalidated (the compiler validates each
#: nested step on its own so that one broken step does not hide the others' findings).
SHALLOW = "shallow"


class RetryPolicy(DslModel):
    """How a failed attempt is retried. Durations bound the wait between attempts."""

    max_attempts: int = Field(3, ge=1, le=100, description="Attempts in total, the first included.")
    backoff: Literal["exponential", "linear", "fixed"] = "exponential"
    initial: Duration = Field("1s", description="Wait before the second attempt.")
    max: Duration = Field("1m", description="Longest wait between two attempts.")
    jitter: bool = Field(True, description="Randomize waits by up to 20% to spread load.")
    non_retryable: list[ErrorCodeName] = Field(
        default_factory=list,
        description="Error codes that fail at once, such as HTTP_4XX or LLM_OUTPUT_INVALID.",
    )


class OnErrorGoto(DslModel):
    """Route a failure to a handler step of the same scope."""

    goto: StepId


def _on_error_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<action>"
    if isinstance(value, dict | OnErrorGoto):
        return "<goto>"
    return None


OnError = Annotated[
    Annotated[Literal["fail", "continue"], Tag("<action>")] | Annotated[OnErrorGoto, Tag("<goto>")],
    Discriminator(
        _on_error_tag,
        custom_error_type="fw.invalid-type",
        custom_error_message="on_error must be fail, continue or a mapping {goto: step_id}",
    ),
]


def _nested_steps(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    if isinstance(info.context, dict) and info.context.get(SHALLOW):
        if not isinstance(value, list):
            raise PydanticCustomError("list_type", "Input should be a valid list")
        if not value:
            raise PydanticCustomError(
                "too_short", "List should have at least 1 item after validation, not 0"
            )
        return []
    result = handler(value)
    if not result:
        raise PydanticCustomError(
            "too_short", "List should have at least 1 item after validation, not 0"
        )
    return result


#: A non-empty list of steps inside another step (or the workflow's own ``steps``).
NestedSteps = Annotated[
    list["AnyStep"],
    WrapValidator(_nested_steps),
    Field(json_schema_extra={"minItems": 1}),
]


def _optional_steps(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
    if isinstance(info.context, dict) and info.context.get(SHALLOW):
        if not isinstance(value, list):
            raise PydanticCustomError("list_type", "Input should be a valid list")
        return []
    return handler(value)


#: A possibly empty list of steps (``compensations``).
OptionalSteps = Annotated[list["AnyStep"], WrapValidator(_optional_steps)]


class StepBase(DslModel):
    """Fields shared by all step types; each type adds its own fields beside them."""

    id: StepId = Field(description="Unique id, used as steps.<id> in expressions.")
    type: str
    name: str | None = Field(None, max_length=200, description="Display name.")
    description: str | None = Field(None, max_length=2000)
    needs: list[StepId] = Field(
        default_factory=list, description="Sibling steps that must finish first."
    )
    if_: str | bool | None = Field(
        None, alias="if", description="Condition; when false the step is skipped."
    )
    retry: RetryPolicy | None = None
    timeout: Duration | None = None
    on_error: OnError = "fail"
    compensate_with: StepId | None = Field(
        None, description="Id of a step in compensations that undoes this one."
    )
