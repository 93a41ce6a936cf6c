"""Design conversations: describe an automation, review the designer's draft, approve it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from flowwright.conversation.application import designer
from flowwright.conversation.application.ports import Actor
from flowwright.conversation.domain.model import Conversation, Message
from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal
from flowwright.kernel.errors import FlowwrightError
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Permission

router = APIRouter(tags=["conversations"])


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, max_length=200)
    workflow: str | None = Field(
        default=None, max_length=63, description="An existing workflow to edit."
    )


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    content: str = Field(min_length=1, max_length=designer.MAX_CONTENT)


class ConversationOut(BaseModel):
    id: str
    title: str
    workflow: str | None
    status: str
    created_by: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, conversation: Conversation) -> ConversationOut:
        return cls(
            id=conversation.id,
            title=conversation.title,
            workflow=conversation.workflow_name,
            status=conversation.status.value,
            created_by=conversation.user_id,
            created_at=conversation.created_at,
            updated_at=conversation.updated_at,
        )


class MessageOut(BaseModel):
    id: str
    role: str
    content: str
    kind: str | None = Field(
        description="For the designer's answers: draft, question, invalid or not_configured."
    )
    draft: dict[str, Any] | None = Field(
        description="A valid draft: source, validation, graph, mermaid, diff, explanation, "
        "assumptions, usage."
    )
    usage: dict[str, Any] | None
    errors: list[str] = Field(description="What stayed wrong when no valid draft was produced.")
    examples: list[str] = Field(description="Closest example workflows, when no model answers.")
    configure: str | None = Field(description="What to configure, when no model answers.")
    created_at: datetime

    @classmethod
    def of(cls, message: Message) -> MessageOut:
        meta = message.meta
        return cls(
            id=message.id,
            role=message.role.value,
            content=message.content,
            kind=meta.get("kind"),
            draft=message.draft,
            usage=meta.get("usage"),
            errors=list(meta.get("errors") or []),
            examples=list(meta.get("examples") or []),
            configure=meta.get("configure"),
            created_at=message.created_at,
        )


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]


class DryRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    inputs: dict[str, Any] = Field(default_factory=dict)


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: str | None = Field(
        default=None,
        max_length=36,
        description="An answer of this conversation whose draft to publish; "
        "the latest answer's by default.",
    )


class ApprovedOut(BaseModel):
    conversation: ConversationOut
    workflow: str
    version: int


def _actor(principal: Principal) -> Actor:
    return Actor(
        tenant_id=principal.tenant_id, user_id=principal.user_id, role=principal.role.value
    )


@router.post(
    "/conversations",
    response_model=ConversationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Start a design conversation, optionally editing an existing workflow",
)
async def start(
    body: StartIn, principal: CurrentPrincipal, container: ContainerDep
) -> ConversationOut:
    principal.require(Permission.WORKFLOWS_WRITE)
    conversation = await designer.start_conversation(
        _actor(principal), container.designer, title=body.title, workflow=body.workflow
    )
    return ConversationOut.of(conversation)


@router.get("/conversations", response_model=list[ConversationOut])
async def list_conversations(
    principal: CurrentPrincipal, container: ContainerDep
) -> list[ConversationOut]:
    principal.require(Permission.WORKFLOWS_READ)
    found = await designer.list_conversations(_actor(principal), container.designer)
    return [ConversationOut.of(c) for c in found]


@router.get("/conversations/{conversation_id}", response_model=ConversationDetailOut)
async def show(
    conversation_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> ConversationDetailOut:
    principal.require(Permission.WORKFLOWS_READ)
    view = await designer.get_conversation(_actor(principal), container.designer, conversation_id)
    return ConversationDetailOut(
        **ConversationOut.of(view.conversation).model_dump(),
        messages=[MessageOut.of(m) for m in view.messages],
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=MessageOut,
    summary="Say something; the designer answers with a draft, a question or what went wrong",
)
async def say(
    conversation_id: str, body: MessageIn, principal: CurrentPrincipal, container: ContainerDep
) -> MessageOut:
    principal.require(Permission.WORKFLOWS_WRITE)
    answer = await designer.take_turn(
        _actor(principal), container.designer, conversation_id, body.content
    )
    return MessageOut.of(answer)


@router.post(
    "/conversations/{conversation_id}/messages/stream",
    summary="A turn whose progress streams as Server-Sent Events, ending with the answer",
    response_class=StreamingResponse,
)
async def say_streaming(
    conversation_id: str, body: MessageIn, principal: CurrentPrincipal, container: ContainerDep
) -> StreamingResponse:
    principal.require(Permission.WORKFLOWS_WRITE)
    actor = _actor(principal)
    await designer.get_conversation(actor, container.designer, conversation_id)  # 404 first
    events: asyncio.Queue[tuple[str, dict[str, Any]] | None] = asyncio.Queue()

    async def progress(event: str, data: dict[str, Any]) -> None:
        await events.put((event, data))

    async def turn() -> None:
        try:
            answer = await designer.take_turn(
                actor, container.designer, conversation_id, body.content, progress=progress
            )
            await events.put(("message", MessageOut.of(answer).model_dump(mode="json")))
        except FlowwrightError as exc:
            await events.put(("error", {"code": exc.code, "detail": exc.message}))
        finally:
            await events.put(None)

    task = asyncio.create_task(turn())

    async def stream() -> AsyncIterator[str]:
        # The turn finishes (and is recorded) even if the client goes away.
        while (item := await events.get()) is not None:
            event, data = item
            yield f"event: {event}\ndata: {json.dumps(data)}\n\n"
        await task

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post(
    "/conversations/{conversation_id}/approve",
    response_model=ApprovedOut,
    summary="Publish a valid draft (the latest, or a chosen one) as a new version of its workflow",
)
async def approve(
    conversation_id: str,
    principal: CurrentPrincipal,
    container: ContainerDep,
    body: ApproveIn | None = None,
) -> ApprovedOut:
    principal.require(Permission.WORKFLOWS_WRITE)
    conversation, version = await designer.approve(
        _actor(principal),
        container.designer,
        conversation_id,
        message_id=body.message_id if body else None,
    )
    assert conversation.workflow_name is not None
    return ApprovedOut(
        conversation=ConversationOut.of(conversation),
        workflow=conversation.workflow_name,
        version=version,
    )


@router.post(
    "/conversations/{conversation_id}/dry-run",
    summary="Run the latest valid draft once with llm, http and waits simulated; nothing is stored",
)
async def dry_run(
    conversation_id: str, body: DryRunIn, principal: CurrentPrincipal, container: ContainerDep
) -> dict[str, Any]:
    principal.require(Permission.WORKFLOWS_WRITE)
    return await designer.dry_run(
        _actor(principal), container.designer, conversation_id, body.inputs
    )
