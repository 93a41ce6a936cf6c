"""What starts a run besides a manual start (which is always allowed)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from flowwright.workflow.domain.dsl.model_types import (
    CronSchedule,
    DslModel,
    EventName,
    FieldName,
    JSONValue,
    Timezone,
    WebhookPath,
)


class ManualTrigger(DslModel):
    """Started by a person or the API; implicit, listing it is optional."""

    type: Literal["manual"]


class WebhookTrigger(DslModel):
    """Started by a POST to the tenant's webhook URL; the JSON body becomes the inputs."""

    type: Literal["webhook"]
    path: WebhookPath = Field(description="Unique per tenant, like crm/contacts.")


class CronTrigger(DslModel):
    """Started on a schedule with fixed inputs."""

    type: Literal["cron"]
    schedule: CronSchedule = Field(description="Five-field cron expression or @daily etc.")
    timezone: Timezone = "UTC"
    inputs: dict[FieldName, JSONValue] = Field(
        default_factory=dict, description="Input values for scheduled runs (no templates)."
    )


class EventTrigger(DslModel):
    """Started by a platform event; the event payload becomes the inputs."""

    type: Literal["event"]
    event: EventName
    filter: str | None = Field(
        None, description="A ${{ }} condition on inputs; the run starts only when true."
    )


Trigger = Annotated[
    ManualTrigger | WebhookTrigger | CronTrigger | EventTrigger,
    Field(discriminator="type"),
]
