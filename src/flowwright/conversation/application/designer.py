"""The designer: turns a person's request into a workflow draft the compiler accepts.

Each turn asks the model for a draft (or a clarifying question), compiles it and, while the
compiler reports errors, sends them back for repair, a bounded number of rounds. Only a draft
that compiles is ever saved; approving it publishes a new version of the workflow.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from flowwright.conversation.application.ports import (
    Actor,
    CheckedDraft,
    ConversationUnitOfWork,
    ConversationUnitOfWorkFactory,
    DesignerModel,
    DesignGuide,
    DesignRequest,
    Example,
    WorkflowCatalog,
)
from flowwright.conversation.domain.model import (
    Conversation,
    ConversationStarted,
    ConversationStatus,
    DesignerAnswerInvalid,
    DesignerNotConfigured,
    DSLGenerated,
    DSLValidated,
    Message,
    MessageOfAnotherConversation,
    MessageReceived,
    NotADraft,
    Role,
    WorkflowApproved,
)
from flowwright.kernel.clock import Clock
from flowwright.kernel.errors import AlreadyExists, NotFound, ValidationFailed
from flowwright.kernel.ids import new_id

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "kind": {"type": "string", "enum": ["question", "draft"]},
        "question": {"type": "string"},
        "yaml": {"type": "string"},
        "explanation": {"type": "string"},
        "assumptions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["kind"],
}

#: Told of a turn's steps as they happen: (event name, data).
Progress = Callable[[str, dict[str, Any]], Awaitable[None]]

MAX_EXAMPLES = 3
MAX_CONTENT = 20_000


@dataclass(frozen=True)
class DesignerServices:
    uow_factory: ConversationUnitOfWorkFactory
    model: DesignerModel
    catalog: WorkflowCatalog
    guide: DesignGuide
    clock: Clock
    repair_rounds: int = 3


@dataclass(frozen=True)
class ConversationView:
    conversation: Conversation
    messages: list[Message]


# --- reading and starting -----------------------------------------------------------------------


async def start_conversation(
    actor: Actor, services: DesignerServices, *, title: str | None, workflow: str | None
) -> Conversation:
    if workflow is not None and not await services.catalog.exists(actor, workflow):
        raise NotFound(f"workflow '{workflow}' not found")
    now = services.clock.now()
    conversation = Conversation(
        id=new_id(),
        tenant_id=actor.tenant_id,
        user_id=actor.user_id,
        title=(title or (f"Edit {workflow}" if workflow else "New workflow"))[:200],
        workflow_name=workflow,
        status=ConversationStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    async with services.uow_factory(actor.tenant_id) as uow:
        await uow.conversations.add(conversation)
        uow.emit(
            ConversationStarted(
                tenant_id=actor.tenant_id,
                conversation_id=conversation.id,
                user_id=actor.user_id,
                workflow=workflow,
            )
        )
        await uow.commit()
    return conversation


async def list_conversations(actor: Actor, services: DesignerServices) -> list[Conversation]:
    async with services.uow_factory(actor.tenant_id) as uow:
        return await uow.conversations.list()


async def get_conversation(
    actor: Actor, services: DesignerServices, conversation_id: str
) -> ConversationView:
    async with services.uow_factory(actor.tenant_id) as uow:
        conversation = await _load(uow, conversation_id)
        return ConversationView(conversation, await uow.conversations.messages(conversation_id))


async def _load(uow: ConversationUnitOfWork, conversation_id: str) -> Conversation:
    conversation = await uow.conversations.get(conversation_id)
    if conversation is None:
        raise NotFound(f"conversation '{conversation_id}' not found")
    return conversation


# --- a turn ---------------------------------------------------------------------------------------


async def take_turn(
    actor: Actor,
    services: DesignerServices,
    conversation_id: str,
    content: str,
    *,
    progress: Progress | None = None,
) -> Message:
    """Record the person's message, let the designer answer, and record its answer."""
    content = content.strip()
    if not content:
        raise ValidationFailed("the message is empty")
    if len(content) > MAX_CONTENT:
        raise ValidationFailed(f"the message is longer than {MAX_CONTENT} characters")
    async with services.uow_factory(actor.tenant_id) as uow:
        conversation = await _load(uow, conversation_id)
        history = await uow.conversations.messages(conversation_id)
        said = Message(
            id=new_id(),
            tenant_id=actor.tenant_id,
            conversation_id=conversation_id,
            role=Role.USER,
            content=content,
            created_at=services.clock.now(),
        )
        await uow.conversations.add_message(said)
        uow.emit(
            MessageReceived(
                tenant_id=actor.tenant_id, conversation_id=conversation_id, message_id=said.id
            )
        )
        await uow.commit()

    reply_id = new_id()
    answer = await _answer(
        actor, services, conversation, [*history, said], content, reply_id, progress or _quiet
    )

    async with services.uow_factory(actor.tenant_id) as uow:
        conversation = await _load(uow, conversation_id)
        await uow.conversations.add_message(answer)
        conversation.status = ConversationStatus.OPEN
        conversation.updated_at = answer.created_at
        await uow.conversations.update(conversation)
        kind = answer.meta.get("kind")
        if kind in ("draft", "invalid"):
            uow.emit(
                DSLGenerated(
                    tenant_id=actor.tenant_id,
                    conversation_id=conversation_id,
                    message_id=answer.id,
                    rounds=int(answer.meta.get("rounds", 0)),
                    valid=answer.draft is not None,
                )
            )
        if answer.draft is not None:
            uow.emit(
                DSLValidated(
                    tenant_id=actor.tenant_id,
                    conversation_id=conversation_id,
                    message_id=answer.id,
                    workflow=str(answer.draft["workflow"]),
                    warnings=len(answer.draft["validation"]["warnings"]),
                )
            )
        await uow.commit()
    return answer


async def _answer(
    actor: Actor,
    services: DesignerServices,
    conversation: Conversation,
    history: list[Message],
    request: str,
    reply_id: str,
    progress: Progress,
) -> Message:
    def reply(content: str, draft: dict[str, Any] | None, **meta: Any) -> Message:
        return Message(
            id=reply_id,
            tenant_id=actor.tenant_id,
            conversation_id=conversation.id,
            role=Role.ASSISTANT,
            content=content,
            created_at=services.clock.now(),
            draft=draft,
            meta=meta,
        )

    examples = closest_examples(services.guide.examples(), request)
    base = _latest_draft_source(history)
    if base is None and conversation.workflow_name is not None:
        base = await services.catalog.current_source(actor, conversation.workflow_name)
    system = _system_prompt(services, examples, base, conversation.workflow_name)
    await progress(
        "context",
        {"examples": [e.name for e in examples], "starts_from_previous": base is not None},
    )
    messages: list[tuple[str, str]] = [
        (m.role.value, _replayed(m)) for m in history if m.content or m.draft
    ]
    usage = Usage()
    rounds = 0
    last_errors: list[str] = []
    while rounds <= services.repair_rounds:
        rounds += 1
        await progress("round", {"round": rounds})
        try:
            answer = await services.model.design(
                DesignRequest(
                    tenant_id=actor.tenant_id,
                    user_id=actor.user_id,
                    conversation_id=conversation.id,
                    system=system,
                    messages=tuple(messages),
                    schema=ANSWER_SCHEMA,
                )
            )
        except DesignerNotConfigured as exc:
            names = [e.name for e in examples]
            listed = ", ".join(names) if names else "none found"
            return reply(
                "No model is configured for the designer, so I cannot write a draft yet. "
                f"To configure one: {exc.message}. "
                f"Closest example workflows to start from: {listed}.",
                None,
                kind="not_configured",
                configure=exc.message,
                examples=names,
                usage=usage.to_dict(),
            )
        except DesignerAnswerInvalid as exc:
            last_errors = [f"the answer did not have the expected shape: {exc.message}"]
            messages.append(("user", _shape_reminder()))
            continue
        usage.add(answer.usage)
        value = answer.value
        if value.get("kind") == "question":
            question = str(value.get("question") or "").strip()
            if question:
                return reply(question, None, kind="question", usage=usage.to_dict(), rounds=rounds)
            last_errors = ["a question was announced but none was given"]
            messages.append(("assistant", json.dumps(value)))
            messages.append(("user", _shape_reminder()))
            continue
        source = str(value.get("yaml") or "")
        messages.append(("assistant", json.dumps(value)))
        if not source.strip():
            last_errors = ["the draft has no YAML"]
            messages.append(("user", _shape_reminder()))
            continue
        checked = await services.catalog.check(actor, source)
        errors = [format_diagnostic(d) for d in checked.diagnostics if d["severity"] == "error"]
        await progress("compiled", {"round": rounds, "ok": checked.ok, "errors": errors})
        if checked.ok:
            draft = _draft(services, checked, source, value, base, usage, rounds)
            return reply(
                str(value.get("explanation") or "").strip()
                or f"Here is a draft of '{checked.name}'.",
                draft,
                kind="draft",
                usage=usage.to_dict(),
                rounds=rounds,
            )
        last_errors = errors
        messages.append(("user", _repair_request(last_errors)))
    listed = "\n".join(f"- {e}" for e in last_errors)
    return reply(
        f"I could not produce a valid workflow in {rounds} attempt(s); nothing was saved. "
        f"These problems remained:\n{listed}\n"
        "Rephrase or add detail to the request and I will try again.",
        None,
        kind="invalid",
        errors=last_errors,
        usage=usage.to_dict(),
        rounds=rounds,
    )


async def _quiet(event: str, data: dict[str, Any]) -> None:
    return None


def _draft(
    services: DesignerServices,
    checked: CheckedDraft,
    source: str,
    value: dict[str, Any],
    base: str | None,
    usage: Usage,
    rounds: int,
) -> dict[str, Any]:
    warnings = [d for d in checked.diagnostics if d["severity"] != "error"]
    assumptions = value.get("assumptions") or []
    return {
        "workflow": checked.name,
        "source": source,
        "validation": {
            "ok": True,
            "warnings": warnings,
            "report": [format_diagnostic(d) for d in warnings],
        },
        "graph": checked.graph,
        "mermaid": checked.mermaid,
        "diff": services.catalog.diff(base, source) if base is not None else None,
        "explanation": str(value.get("explanation") or ""),
        "assumptions": [str(a) for a in assumptions if isinstance(a, str | int | float)],
        "usage": usage.to_dict(),
        "rounds": rounds,
    }


def format_diagnostic(d: dict[str, Any]) -> str:
    """``LINE:COL error[CODE]: message (hint)``."""
    text = f"{d['line']}:{d['column']} {d['severity']}[{d['code']}]: {d['message']}"
    return f"{text} ({d['hint']})" if d.get("hint") else text


def _repair_request(errors: list[str]) -> str:
    listed = "\n".join(errors)
    return (
        "The workflow compiler rejected that draft:\n"
        f"{listed}\n"
        "Fix every error and answer again with the complete corrected YAML "
        '(kind "draft").'
    )


def _shape_reminder() -> str:
    return (
        'Answer with JSON only: {"kind": "question", "question": "..."} to ask one question, '
        'or {"kind": "draft", "yaml": "...", "explanation": "...", "assumptions": ["..."]}.'
    )


def _replayed(message: Message) -> str:
    if message.draft is not None:
        return f"{message.content}\n\nDraft (valid):\n```yaml\n{message.draft['source']}\n```"
    return message.content


def _latest_draft_source(history: list[Message]) -> str | None:
    for message in reversed(history):
        if message.draft is not None:
            return str(message.draft["source"])
    return None


def _system_prompt(
    services: DesignerServices, examples: list[Example], base: str | None, editing: str | None
) -> str:
    parts = [
        "You design workflows in the Flowwright DSL (YAML, apiVersion flowwright/v1, "
        "kind Workflow). Answer with JSON only. Ask one short question "
        '({"kind": "question", "question": "..."}) only when the request cannot be drafted '
        'without it; otherwise answer {"kind": "draft", "yaml": "<the complete workflow>", '
        '"explanation": "<what it does, for people>", "assumptions": ["<each guess you made>"]}.'
        " Never invent secrets' values: reference them as ${{ secrets.NAME }}.",
        "## The language\n" + services.guide.digest(),
        "## Step types this installation can run\n"
        + ", ".join(sorted(services.catalog.available_step_types())),
    ]
    if base is not None:
        what = f"the current version of '{editing}'" if editing else "the current draft"
        parts.append(
            f"## Start from {what}\nChange only what the person asks; keep metadata.name.\n"
            f"```yaml\n{base}\n```"
        )
    for example in examples:
        parts.append(f"## Example: {example.name}\n```yaml\n{example.text}\n```")
    return "\n\n".join(parts)


_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    re.findall(
        r"\w+",
        "a an and the to of in on for with from by at or is are be it this that when each every "
        "then i we me my want need please workflow",
    )
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in _STOP}


def closest_examples(examples: list[Example], request: str) -> list[Example]:
    """The examples sharing the most words with the request (ties: by name)."""
    wanted = _words(request)
    scored = [(len(wanted & _words(f"{e.name} {e.text}")), e) for e in examples]
    scored.sort(key=lambda item: (-item[0], item[1].name))
    return [e for score, e in scored[:MAX_EXAMPLES] if score > 0] or [
        e for _, e in scored[:MAX_EXAMPLES]
    ]


class Usage:
    """Usage summed over a turn's model calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.cost_micros = 0
        self.models: list[str] = []

    def add(self, usage: dict[str, Any]) -> None:
        self.calls += 1
        self.input_tokens += int(usage.get("input_tokens") or 0)
        self.output_tokens += int(usage.get("output_tokens") or 0)
        self.cost_micros += int(usage.get("cost_micros") or 0)
        model = usage.get("model")
        if model and model not in self.models:
            self.models.append(str(model))

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_micros": self.cost_micros,
            "models": self.models,
        }


# --- dry run --------------------------------------------------------------------------------------


async def dry_run(
    actor: Actor, services: DesignerServices, conversation_id: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """Run the latest valid draft with simulated effects; the answer says it was simulated."""
    draft = await _latest_valid_draft(actor, services, conversation_id)
    result = await services.catalog.dry_run(actor, str(draft["source"]), inputs)
    return {"dry_run": True, "workflow": draft["workflow"], **result}


async def _latest_valid_draft(
    actor: Actor, services: DesignerServices, conversation_id: str
) -> dict[str, Any]:
    async with services.uow_factory(actor.tenant_id) as uow:
        await _load(uow, conversation_id)
        return _latest_draft(await uow.conversations.messages(conversation_id))


def _latest_draft(messages: list[Message]) -> dict[str, Any]:
    latest = next((m for m in reversed(messages) if m.role is Role.ASSISTANT), None)
    if latest is None or latest.draft is None:
        raise ValidationFailed("there is no valid draft: the designer's latest answer has no draft")
    return latest.draft


# --- approval -------------------------------------------------------------------------------------


async def approve(
    actor: Actor,
    services: DesignerServices,
    conversation_id: str,
    *,
    message_id: str | None = None,
) -> tuple[Conversation, int]:
    """Publish a valid draft as a new version: the latest answer's, or that of the message named.

    Returns the conversation and the version number.
    """
    async with services.uow_factory(actor.tenant_id) as uow:
        conversation = await _load(uow, conversation_id)
        if message_id is None:
            draft = _latest_draft(await uow.conversations.messages(conversation_id))
        else:
            found = await uow.conversations.message(message_id)
            draft = _chosen_draft(conversation_id, message_id, found)
    name = str(draft["workflow"])
    if name != conversation.workflow_name and await services.catalog.exists(actor, name):
        raise AlreadyExists(
            f"a workflow named '{name}' already exists and this conversation does not edit it; "
            "ask the designer to choose another name"
        )
    note = f"approved from conversation {conversation_id}"
    if message_id is not None:
        note += f", message {message_id}"
    published = await services.catalog.publish(actor, str(draft["source"]), note)
    async with services.uow_factory(actor.tenant_id) as uow:
        conversation = await _load(uow, conversation_id)
        conversation.status = ConversationStatus.APPROVED
        conversation.workflow_name = published.workflow
        conversation.updated_at = services.clock.now()
        await uow.conversations.update(conversation)
        uow.emit(
            WorkflowApproved(
                tenant_id=actor.tenant_id,
                conversation_id=conversation_id,
                workflow=published.workflow,
                version=published.version,
                approved_by=actor.user_id,
            )
        )
        await uow.commit()
    return conversation, published.version


_WITHOUT_DRAFT = {
    "user": "the person's message",
    "question": "a clarifying question",
    "invalid": "an answer whose draft never compiled",
    "not_configured": "an answer given while no model was configured",
}


def _chosen_draft(conversation_id: str, message_id: str, message: Message | None) -> dict[str, Any]:
    """The valid draft of the named message, which must belong to this conversation."""
    if message is None:
        raise NotFound(f"message '{message_id}' not found")
    if message.conversation_id != conversation_id:
        raise MessageOfAnotherConversation(
            f"message '{message_id}' belongs to conversation '{message.conversation_id}', "
            f"not to '{conversation_id}'",
            details={"conversation": message.conversation_id},
        )
    if message.draft is None:
        kind = "user" if message.role is Role.USER else str(message.meta.get("kind"))
        raise NotADraft(
            f"message '{message_id}' has no draft to approve: it is "
            f"{_WITHOUT_DRAFT.get(kind, 'an answer without a draft')}",
            details={"kind": kind},
        )
    return message.draft
