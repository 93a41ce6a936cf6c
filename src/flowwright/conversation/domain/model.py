"""Design conversations: a person and the designer agent shaping one workflow, turn by turn."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from flowwright.kernel.errors import ValidationFailed
from flowwright.kernel.events import DomainEvent


class ConversationStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"


class Role(StrEnum):
    USER = "user"
    ASSISTANT = "assistant"


@dataclass
class Conversation:
    id: str
    tenant_id: str
    user_id: str | None
    title: str
    #: The workflow this conversation edits, or the one its approval produced.
    workflow_name: str | None
    status: ConversationStatus
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Message:
    id: str
    tenant_id: str
    conversation_id: str
    role: Role
    content: str
    created_at: datetime
    #: A valid draft only: source, validation report, graph, mermaid, diff, explanation,
    #: assumptions and usage. Never set for a draft that did not compile.
    draft: dict[str, Any] | None = None
    #: What else the turn produced: its kind, usage, remaining errors, suggested examples.
    meta: dict[str, Any] = field(default_factory=dict)


class DesignerNotConfigured(ValidationFailed):
    """No model answers the designer in this tenant; the message says what to configure."""

    code = "llm_not_configured"


class DesignerAnswerInvalid(ValidationFailed):
    """The model's answer did not have the expected shape."""

    code = "designer_answer_invalid"


class MessageOfAnotherConversation(ValidationFailed):
    """A message named for approval belongs to another conversation of the tenant."""

    code = "message_of_another_conversation"


class NotADraft(ValidationFailed):
    """A message named for approval carries no valid draft (a question, the person's words)."""

    code = "not_a_draft"


@dataclass(frozen=True, kw_only=True)
class ConversationStarted(DomainEvent):
    name: ClassVar[str] = "conversation.started"
    conversation_id: str
    user_id: str | None
    workflow: str | None


@dataclass(frozen=True, kw_only=True)
class MessageReceived(DomainEvent):
    name: ClassVar[str] = "conversation.message_received"
    conversation_id: str
    message_id: str


@dataclass(frozen=True, kw_only=True)
class DSLGenerated(DomainEvent):
    name: ClassVar[str] = "conversation.dsl_generated"
    conversation_id: str
    message_id: str
    rounds: int
    valid: bool


@dataclass(frozen=True, kw_only=True)
class DSLValidated(DomainEvent):
    name: ClassVar[str] = "conversation.dsl_validated"
    conversation_id: str
    message_id: str
    workflow: str
    warnings: int


@dataclass(frozen=True, kw_only=True)
class WorkflowApproved(DomainEvent):
    name: ClassVar[str] = "conversation.workflow_approved"
    conversation_id: str
    workflow: str
    version: int
    approved_by: str | None
