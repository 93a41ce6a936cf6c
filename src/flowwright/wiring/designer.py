"""The conversation context's ports, answered by the workflow and agents contexts."""

from __future__ import annotations

from dataclasses import asdict
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from flowwright.agents.application.gateway import LLMGateway
from flowwright.agents.domain.errors import LLMNotConfigured, StructuredOutputInvalid
from flowwright.agents.domain.messages import ChatMessage, ChatRequest, MessageRole
from flowwright.agents.domain.usage import CallContext
from flowwright.conversation.application.ports import (
    Actor,
    CheckedDraft,
    DesignAnswer,
    DesignRequest,
    Example,
    Published,
)
from flowwright.conversation.domain.model import DesignerAnswerInvalid, DesignerNotConfigured
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import NotFound
from flowwright.wiring.language_model import usage_of
from flowwright.workflow.application import versions
from flowwright.workflow.application.dry_run import dry_run
from flowwright.workflow.application.ports import WorkflowUnitOfWorkFactory
from flowwright.workflow.application.versions import Installation
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.dsl import (
    STEP_TYPES,
    CompileOptions,
    compile_workflow,
    diff_definitions,
)

_ROLES = {"user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}


class GatewayDesignerModel:
    """Structured answers from the LLM gateway, under the designer's model alias."""

    def __init__(self, gateway: LLMGateway, alias: str) -> None:
        self._gateway = gateway
        self._alias = alias

    async def design(self, request: DesignRequest) -> DesignAnswer:
        messages = [ChatMessage(MessageRole.SYSTEM, request.system)]
        messages += [ChatMessage(_ROLES[role], content) for role, content in request.messages]
        chat = ChatRequest(alias=self._alias, messages=tuple(messages), params={})
        context = CallContext(
            agent="designer", conversation_id=request.conversation_id, user_id=request.user_id
        )
        try:
            result = await self._gateway.structured(
                chat, request.schema, tenant_id=request.tenant_id, context=context
            )
        except LLMNotConfigured as exc:
            raise DesignerNotConfigured(exc.message, details=dict(exc.details)) from exc
        except StructuredOutputInvalid as exc:
            raise DesignerAnswerInvalid(exc.message) from exc
        if not isinstance(result.parsed, dict):
            raise DesignerAnswerInvalid("the answer is not a JSON object")
        return DesignAnswer(result.parsed, usage_of(result))


def _caller(actor: Actor) -> Caller:
    return Caller(tenant_id=actor.tenant_id, user_id=actor.user_id, role=actor.role)


class WorkflowDesignCatalog:
    """The workflow context's compiler and versions, as the designer needs them."""

    def __init__(
        self, uow_factory: WorkflowUnitOfWorkFactory, installation: Installation, clock: Clock
    ) -> None:
        self._uow_factory = uow_factory
        self._installation = installation
        self._clock = clock

    def available_step_types(self) -> frozenset[str]:
        return self._installation.available_step_types

    async def check(self, actor: Actor, source: str) -> CheckedDraft:
        result = await versions.validate(
            source,
            caller=_caller(actor),
            uow_factory=self._uow_factory,
            installation=self._installation,
            filename="draft.yaml",
        )
        name = result.definition.metadata.name if result.definition is not None else None
        return CheckedDraft(
            ok=result.ok and result.definition is not None,
            name=name,
            diagnostics=[d.to_dict() for d in result.diagnostics],
            graph=result.graph.to_dict() if result.graph else None,
            mermaid=result.graph.to_mermaid() if result.graph else None,
        )

    async def current_source(self, actor: Actor, name: str) -> str | None:
        try:
            _, version = await versions.get_version(
                name, None, caller=_caller(actor), uow_factory=self._uow_factory
            )
        except NotFound:
            return None
        return version.source

    async def exists(self, actor: Actor, name: str) -> bool:
        async with self._uow_factory(actor.tenant_id) as uow:
            return await uow.workflows.get_by_name(name) is not None

    def diff(self, old_source: str, new_source: str) -> dict[str, Any]:
        old = compile_workflow(old_source, options=CompileOptions())
        new = compile_workflow(new_source, options=CompileOptions())
        if old.definition is None or new.definition is None:
            return {"summary": "the previous draft no longer compiles; no diff"}
        result = diff_definitions(old.definition, new.definition)
        return {"summary": result.summary(), **result.to_dict()}

    async def publish(self, actor: Actor, source: str, message: str) -> Published:
        pushed = await versions.push(
            source,
            caller=_caller(actor),
            uow_factory=self._uow_factory,
            installation=self._installation,
            clock=self._clock,
            message=message[:500],
            filename="draft.yaml",
        )
        return Published(pushed.workflow.name, pushed.version.version, pushed.created)

    async def dry_run(self, actor: Actor, source: str, inputs: dict[str, Any]) -> dict[str, Any]:
        result = await dry_run(
            source,
            inputs,
            caller=_caller(actor),
            uow_factory=self._uow_factory,
            installation=self._installation,
            clock=self._clock,
        )
        return asdict(result)


_TRIGGERS = (
    "triggers (optional list): manual; webhook (path: /hooks/x); cron (schedule: '0 9 * * 1-5', "
    "timezone); event (name: some.event). Without triggers a workflow is started by API or CLI."
)

_EXPRESSIONS = """\
Expressions: `${{ ... }}` in template fields (prompts, urls, bodies, transform output, outputs,
vars). Roots: inputs, steps (steps.ID.output...), vars, run, item/index (in foreach), secrets
(only where a secret may be used). A string that is exactly one `${{ }}` keeps the value's type.
`if`, switch `when`, foreach `items` must be exactly one expression; ids, types, model, durations
and schemas are static. Operators: == != < <= > >= && || ! in + - * / % c ? a : b  a ?? b.
Functions: len lower upper trim contains startsWith endsWith replace split join keys values int
float string bool json parseJson round min max abs default coalesce has matches.
A step runs after the steps in its `needs: [...]`; steps without needs start at once."""

_SKELETON = """\
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: lower-case-name, description: one line}
inputs: {NAME: {type: string, required: true}}
outputs: {NAME: ${{ steps.ID.output }}}
steps: [...]"""


class RegistryDesignGuide:
    """The DSL digest from the step type registry, and the example workflows of a folder."""

    def __init__(self, examples_dir: Traversable | None) -> None:
        self._examples_dir = examples_dir
        self._examples: list[Example] | None = None

    def digest(self) -> str:
        lines = [f"Document shape:\n{_SKELETON}", "Step types:"]
        for spec in STEP_TYPES.specs():
            lines.append(f"- {spec.name}: {spec.summary}")
            if spec.example:
                lines.append("  example:\n" + _indent(spec.example.rstrip(), "    "))
        lines += [_TRIGGERS, _EXPRESSIONS]
        return "\n".join(lines)

    def examples(self) -> list[Example]:
        if self._examples is None:
            found: list[Example] = []
            folder = self._examples_dir
            if folder is not None and folder.is_dir():
                files = [f for f in folder.iterdir() if f.name.endswith(".yaml") and f.is_file()]
                for file in sorted(files, key=lambda f: f.name):
                    found.append(Example(file.name, file.read_text(encoding="utf-8")))
            self._examples = found
        return self._examples


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def examples_dir(configured: Path | None) -> Traversable | None:
    """Where the example workflows are: the configured folder, else those shipped in the
    installed package, else the repository's ``examples/`` when running from a checkout."""
    if configured is not None:
        return configured
    shipped = resources.files("flowwright") / "examples"
    if shipped.is_dir():
        return shipped
    checkout = Path(__file__).resolve().parents[3] / "examples"
    return checkout if checkout.is_dir() else None
