"""The designer's turn and approval against in-memory ports: rounds, events, what is saved."""

from __future__ import annotations

import builtins
from collections import deque
from types import TracebackType
from typing import Any, Self

import pytest

from flowwright.conversation.application import designer
from flowwright.conversation.application.ports import (
    Actor,
    CheckedDraft,
    DesignAnswer,
    DesignRequest,
    Example,
    Published,
)
from flowwright.conversation.domain.model import (
    Conversation,
    DesignerNotConfigured,
    Message,
    MessageOfAnotherConversation,
    NotADraft,
)
from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import AlreadyExists, NotFound, ValidationFailed
from flowwright.kernel.events import DomainEvent

ACTOR = Actor(tenant_id="t1", user_id="u1", role="editor")


class Store:
    def __init__(self) -> None:
        self.conversations: dict[str, Conversation] = {}
        self.messages: list[Message] = []
        self.events: list[DomainEvent] = []


class Repository:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def add(self, conversation: Conversation) -> None:
        self._store.conversations[conversation.id] = conversation

    async def get(self, conversation_id: str) -> Conversation | None:
        return self._store.conversations.get(conversation_id)

    async def update(self, conversation: Conversation) -> None:
        self._store.conversations[conversation.id] = conversation

    async def list(self) -> builtins.list[Conversation]:
        return builtins.list(self._store.conversations.values())

    async def add_message(self, message: Message) -> None:
        self._store.messages.append(message)

    async def messages(self, conversation_id: str) -> builtins.list[Message]:
        return [m for m in self._store.messages if m.conversation_id == conversation_id]

    async def message(self, message_id: str) -> Message | None:
        return next((m for m in self._store.messages if m.id == message_id), None)


class UnitOfWork:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._pending: list[DomainEvent] = []
        self.conversations = Repository(store)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending = []

    def emit(self, event: DomainEvent) -> None:
        self._pending.append(event)

    async def commit(self) -> None:
        self._store.events += self._pending
        self._pending = []

    async def rollback(self) -> None:
        self._pending = []


class ScriptedModel:
    def __init__(self, *answers: dict[str, Any] | Exception) -> None:
        self.answers: deque[dict[str, Any] | Exception] = deque(answers)
        self.requests: list[DesignRequest] = []

    async def design(self, request: DesignRequest) -> DesignAnswer:
        self.requests.append(request)
        answer = self.answers.popleft()
        if isinstance(answer, Exception):
            raise answer
        return DesignAnswer(answer, {"model": "m", "input_tokens": 3, "output_tokens": 2})


class Catalog:
    """Sources containing ``BROKEN`` fail to compile; ``existing`` names are taken."""

    def __init__(self, *existing: str) -> None:
        self.existing = set(existing)
        self.published: list[str] = []

    def available_step_types(self) -> frozenset[str]:
        return frozenset({"transform"})

    async def check(self, actor: Actor, source: str) -> CheckedDraft:
        if "BROKEN" in source:
            error = {
                "code": "unknown-need",
                "severity": "error",
                "message": "needs names 'x'",
                "path": "steps[0].needs[0]",
                "line": 7,
                "column": 12,
                "hint": "name a step",
            }
            return CheckedDraft(False, None, [error], None, None)
        name = source.split()[0]
        return CheckedDraft(True, name, [], {"nodes": []}, "flowchart TD")

    async def current_source(self, actor: Actor, name: str) -> str | None:
        return f"{name} v1" if name in self.existing else None

    async def exists(self, actor: Actor, name: str) -> bool:
        return name in self.existing

    def diff(self, old_source: str, new_source: str) -> dict[str, Any]:
        return {"summary": f"{old_source} -> {new_source}"}

    async def publish(self, actor: Actor, source: str, message: str) -> Published:
        self.published.append(source)
        name = source.split()[0]
        created = name not in self.existing
        self.existing.add(name)
        return Published(name, 1 if created else 2, True)


class Guide:
    def digest(self) -> str:
        return "the digest"

    def examples(self) -> list[Example]:
        return [
            Example("ticket-triage.yaml", "triage support tickets by urgency"),
            Example("daily-digest.yaml", "summarize news every morning"),
            Example("order-saga.yaml", "orders payments refunds"),
            Example("expense-approval.yaml", "approve expenses with a manager"),
        ]


def services(model: ScriptedModel, catalog: Catalog, store: Store) -> designer.DesignerServices:
    return designer.DesignerServices(
        uow_factory=lambda tenant_id: UnitOfWork(store),
        model=model,
        catalog=catalog,
        guide=Guide(),
        clock=FixedClock(),
        repair_rounds=2,
    )


def draft(source: str) -> dict[str, Any]:
    return {"kind": "draft", "yaml": source, "explanation": "why", "assumptions": ["a"]}


async def test_a_repaired_draft_is_saved_with_usage_of_every_round_and_events() -> None:
    store, catalog = Store(), Catalog()
    model = ScriptedModel(draft("greet BROKEN"), draft("greet fixed"))
    svc = services(model, catalog, store)
    conversation = await designer.start_conversation(ACTOR, svc, title=None, workflow=None)

    answer = await designer.take_turn(ACTOR, svc, conversation.id, "greet people")

    assert answer.draft is not None
    assert answer.draft["workflow"] == "greet"
    assert answer.draft["usage"]["calls"] == 2
    assert answer.draft["usage"]["input_tokens"] == 6
    repair = model.requests[1].messages[-1][1]
    assert "7:12 error[unknown-need]: needs names 'x' (name a step)" in repair
    assert [e.name for e in store.events] == [
        "conversation.started",
        "conversation.message_received",
        "conversation.dsl_generated",
        "conversation.dsl_validated",
    ]

    _, version = await designer.approve(ACTOR, svc, conversation.id)
    assert version == 1 and catalog.published == ["greet fixed"]
    assert store.conversations[conversation.id].workflow_name == "greet"
    assert store.events[-1].name == "conversation.workflow_approved"


async def test_rounds_are_bounded_and_no_draft_is_saved() -> None:
    store = Store()
    model = ScriptedModel(*[draft("greet BROKEN")] * 3)
    svc = services(model, Catalog(), store)
    conversation = await designer.start_conversation(ACTOR, svc, title=None, workflow=None)

    answer = await designer.take_turn(ACTOR, svc, conversation.id, "greet people")

    assert answer.draft is None and answer.meta["kind"] == "invalid"
    assert len(model.requests) == 3  # the first draft and two repairs
    assert all(m.draft is None for m in store.messages)
    assert "dsl_validated" not in " ".join(e.name for e in store.events)
    with pytest.raises(ValidationFailed):
        await designer.approve(ACTOR, svc, conversation.id)


async def test_editing_diffs_against_the_current_version_and_a_name_clash_conflicts() -> None:
    store, catalog = Store(), Catalog("greet", "other")
    model = ScriptedModel(draft("greet v2"), draft("other v9"))
    svc = services(model, catalog, store)
    conversation = await designer.start_conversation(ACTOR, svc, title=None, workflow="greet")

    answer = await designer.take_turn(ACTOR, svc, conversation.id, "change it")
    assert answer.draft is not None
    assert answer.draft["diff"] == {"summary": "greet v1 -> greet v2"}
    assert "greet v1" in model.requests[0].system

    renamed = await designer.take_turn(ACTOR, svc, conversation.id, "rename it to other")
    assert renamed.draft is not None
    assert renamed.draft["diff"] == {"summary": "greet v2 -> other v9"}  # vs the previous draft
    with pytest.raises(AlreadyExists):
        await designer.approve(ACTOR, svc, conversation.id)


async def test_a_chosen_draft_of_the_conversation_is_approved_other_messages_are_not() -> None:
    store, catalog = Store(), Catalog()
    model = ScriptedModel(
        draft("greet one"),
        {"kind": "question", "question": "which?"},
        draft("greet two"),
        draft("greet three"),
    )
    svc = services(model, catalog, store)
    conversation = await designer.start_conversation(ACTOR, svc, title=None, workflow=None)
    first = await designer.take_turn(ACTOR, svc, conversation.id, "greet people")
    question = await designer.take_turn(ACTOR, svc, conversation.id, "differently")
    await designer.take_turn(ACTOR, svc, conversation.id, "politely")
    other = await designer.start_conversation(ACTOR, svc, title=None, workflow=None)
    elsewhere = await designer.take_turn(ACTOR, svc, other.id, "greet others")

    with pytest.raises(NotFound):
        await designer.approve(ACTOR, svc, conversation.id, message_id="nope")
    with pytest.raises(MessageOfAnotherConversation):
        await designer.approve(ACTOR, svc, conversation.id, message_id=elsewhere.id)
    with pytest.raises(NotADraft, match="a clarifying question"):
        await designer.approve(ACTOR, svc, conversation.id, message_id=question.id)
    said = store.messages[0]
    with pytest.raises(NotADraft, match="the person's message"):
        await designer.approve(ACTOR, svc, conversation.id, message_id=said.id)
    assert catalog.published == []

    await designer.approve(ACTOR, svc, conversation.id, message_id=first.id)
    assert catalog.published == ["greet one"]


async def test_without_a_model_the_answer_relays_what_to_configure() -> None:
    store = Store()
    model = ScriptedModel(DesignerNotConfigured("set up a provider for alias 'designer'"))
    svc = services(model, Catalog(), store)
    conversation = await designer.start_conversation(ACTOR, svc, title=None, workflow=None)

    answer = await designer.take_turn(ACTOR, svc, conversation.id, "triage support tickets")

    assert answer.meta["kind"] == "not_configured"
    assert answer.meta["examples"][0] == "ticket-triage.yaml"
    assert len(answer.meta["examples"]) == 1  # only examples sharing words with the request
    assert "set up a provider for alias 'designer'" in answer.content


def test_closest_examples_fall_back_to_the_first_ones_when_nothing_matches() -> None:
    found = designer.closest_examples(Guide().examples(), "zzz")
    assert [e.name for e in found] == [
        "daily-digest.yaml",
        "expense-approval.yaml",
        "order-saga.yaml",
    ]
