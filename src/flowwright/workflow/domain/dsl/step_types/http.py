"""``http``: call an HTTP API."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field

from flowwright.workflow.domain.dsl.codes import Code
from flowwright.workflow.domain.dsl.model_types import JSONValue
from flowwright.workflow.domain.dsl.paths import ANY, DEEP
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, CheckContext, StepTypeSpec
from flowwright.workflow.domain.dsl.shapes import ANY as ANY_SHAPE
from flowwright.workflow.domain.dsl.shapes import Shape, obj, scalar
from flowwright.workflow.domain.dsl.step_base import StepBase

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_EXPRESSION_START = "${{"

StatusCode = Annotated[int, Field(ge=100, le=599)]


class HttpStep(StepBase):
    """Sends one request; the step fails when the status is not expected."""

    type: Literal["http"]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] = "GET"
    url: str = Field(description="Absolute http(s) URL; may contain templates.")
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str | int | float | bool] = Field(default_factory=dict)
    body: JSONValue = Field(None, description="JSON body, or a template giving one.")
    expect_status: list[StatusCode] | None = Field(
        None, min_length=1, description="Accepted statuses; 200-299 when omitted."
    )
    response: Literal["json", "text"] = "json"


def _check(step: HttpStep, context: CheckContext) -> None:
    _check_url(step.url, context)
    for name in step.headers:
        if not _TOKEN.match(name):
            context.report(
                Code.INVALID_VALUE,
                f"{name!r} is not a valid HTTP header name",
                ("headers", name),
                key=True,
                hint="header names are ASCII letters, digits and '-'",
            )
    if step.method in ("GET", "HEAD") and step.body is not None:
        context.report(
            Code.CONFLICTING_FIELDS,
            f"a {step.method} request cannot have a body",
            ("body",),
            key=True,
            hint="use method: POST, or move the data to query",
        )


def _check_url(url: str, context: CheckContext) -> None:
    literal = url.split(_EXPRESSION_START, 1)[0]
    whole = literal == url
    if not whole and not literal:
        return  # The URL is computed; it is checked when the run renders it.
    if "://" not in literal:
        if whole or not literal.startswith(("http", "HTTP")):
            context.report(
                Code.INVALID_URL,
                f"{_short(url)} is not an absolute URL",
                ("url",),
                hint="start it with https:// (or http://)",
            )
        return
    parts = urlsplit(literal)
    if parts.scheme.lower() not in ("http", "https"):
        context.report(
            Code.INVALID_URL,
            f"scheme {parts.scheme!r} is not allowed; only http and https are",
            ("url",),
        )
    elif whole and not parts.hostname:
        context.report(Code.INVALID_URL, f"{_short(url)} has no host", ("url",))
    elif any(char.isspace() for char in literal.strip()):
        context.report(
            Code.INVALID_URL, f"{_short(url)} contains spaces", ("url",), hint="encode them as %20"
        )


def _short(text: str) -> str:
    return repr(text if len(text) <= 60 else text[:57] + "...")


_OUTPUT: Shape = obj(status=scalar("number"), headers=Shape("object"), body=ANY_SHAPE)

SPEC = STEP_TYPES.register(
    StepTypeSpec(
        name="http",
        model=HttpStep,
        summary="Call an HTTP API.",
        template_fields=(("url",), ("headers", ANY), ("query", ANY), ("body", DEEP)),
        secret_fields=(("url",), ("headers", ANY), ("query", ANY), ("body", DEEP)),
        output_shape=lambda raw, context: _OUTPUT,
        check=_check,
        output_doc="`{status, headers, body}`; body is parsed JSON, or text with response: text.",
        example="""\
- id: create_contact
  type: http
  method: POST
  url: https://crm.example.com/api/contacts
  headers:
    Authorization: "Bearer ${{ secrets.CRM_TOKEN }}"
  body:
    email: ${{ inputs.email }}
  expect_status: [200, 201]
  retry: {max_attempts: 5, backoff: exponential, initial: 2s, max: 1m}
""",
    )
)
