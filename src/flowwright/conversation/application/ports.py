"""Ports of the conversation context, filled in the composition root (wiring/designer.py)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Protocol

from flowwright.conversation.domain.model import Conversation, Message
from flowwright.kernel.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Actor:
    """Who acts in the conversation (permissions are checked at the edge)."""

    tenant_id: str
    user_id: str | None
    role: str


class ConversationRepository(Protocol):
    async def add(self, conversation: Conversation) -> None: ...
    async def get(self, conversation_id: str) -> Conversation | None: ...
    async def update(self, conversation: Conversation) -> None: ...
    async def list(self) -> builtins.list[Conversation]: ...
    async def add_message(self, message: Message) -> None: ...
    async def messages(self, conversation_id: str) -> builtins.list[Message]: ...
    async def message(self, message_id: str) -> Message | None:
        """A message of any of the tenant's conversations."""
        ...


class ConversationUnitOfWork(UnitOfWork, Protocol):
    @property
    def conversations(self) -> ConversationRepository: ...


class ConversationUnitOfWorkFactory(Protocol):
    def __call__(self, tenant_id: str) -> ConversationUnitOfWork: ...


@dataclass(frozen=True)
class DesignRequest:
    tenant_id: str
    user_id: str | None
    conversation_id: str
    system: str
    #: (role, content) pairs, oldest first; role is ``user`` or ``assistant``.
    messages: tuple[tuple[str, str], ...]
    schema: dict[str, Any]


@dataclass(frozen=True)
class DesignAnswer:
    value: dict[str, Any]
    usage: dict[str, Any]  # provider, model, input_tokens, output_tokens, cost_micros


class DesignerModel(Protocol):
    """A model answering with JSON matching ``request.schema``.

    Raises ``DesignerNotConfigured`` when the tenant has no model for the designer, and
    ``DesignerAnswerInvalid`` when the answer does not match the schema.
    """

    async def design(self, request: DesignRequest) -> DesignAnswer: ...


@dataclass(frozen=True)
class CheckedDraft:
    """A draft as the workflow compiler sees it."""

    ok: bool
    name: str | None
    #: Each: code, severity, message, path, line, column, hint.
    diagnostics: list[dict[str, Any]]
    graph: dict[str, Any] | None
    mermaid: str | None


@dataclass(frozen=True)
class Published:
    workflow: str
    version: int
    created: bool


class WorkflowCatalog(Protocol):
    """The workflow context, as the designer needs it."""

    def available_step_types(self) -> frozenset[str]: ...
    async def check(self, actor: Actor, source: str) -> CheckedDraft: ...
    async def current_source(self, actor: Actor, name: str) -> str | None: ...
    async def exists(self, actor: Actor, name: str) -> bool: ...
    def diff(self, old_source: str, new_source: str) -> dict[str, Any]:
        """``diff_definitions`` of two valid sources, with a ``summary`` line."""
        ...

    async def publish(self, actor: Actor, source: str, message: str) -> Published: ...
    async def dry_run(self, actor: Actor, source: str, inputs: dict[str, Any]) -> dict[str, Any]:
        """Run the source once with every effect simulated; nothing is stored."""
        ...


@dataclass(frozen=True)
class Example:
    name: str
    text: str


class DesignGuide(Protocol):
    """What the designer is told about the language."""

    def digest(self) -> str:
        """Step types with summaries, trigger types and the expression syntax, in short."""
        ...

    def examples(self) -> builtins.list[Example]: ...
