"""SQLAlchemy repository of conversations and messages, scoped to the unit of work's tenant."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flowwright.conversation.adapters.tables import conversation_messages, conversations
from flowwright.conversation.domain.model import Conversation, ConversationStatus, Message, Role


class SqlConversationRepository:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id

    async def add(self, conversation: Conversation) -> None:
        await self._session.execute(insert(conversations).values(**_row(conversation)))

    async def get(self, conversation_id: str) -> Conversation | None:
        query = select(conversations).where(
            conversations.c.tenant_id == self._tenant_id, conversations.c.id == conversation_id
        )
        row = (await self._session.execute(query)).mappings().first()
        return _conversation(row) if row else None

    async def update(self, conversation: Conversation) -> None:
        await self._session.execute(
            update(conversations)
            .where(
                conversations.c.tenant_id == self._tenant_id,
                conversations.c.id == conversation.id,
            )
            .values(
                title=conversation.title,
                workflow_name=conversation.workflow_name,
                status=conversation.status.value,
                updated_at=conversation.updated_at,
            )
        )

    async def list(self) -> builtins.list[Conversation]:
        query = (
            select(conversations)
            .where(conversations.c.tenant_id == self._tenant_id)
            .order_by(conversations.c.updated_at.desc(), conversations.c.id)
        )
        return [_conversation(row) for row in (await self._session.execute(query)).mappings()]

    async def add_message(self, message: Message) -> None:
        await self._session.execute(
            insert(conversation_messages).values(
                id=message.id,
                tenant_id=message.tenant_id,
                conversation_id=message.conversation_id,
                role=message.role.value,
                content=message.content,
                draft=message.draft,
                meta=message.meta,
                created_at=message.created_at,
            )
        )

    async def messages(self, conversation_id: str) -> builtins.list[Message]:
        query = (
            select(conversation_messages)
            .where(
                conversation_messages.c.tenant_id == self._tenant_id,
                conversation_messages.c.conversation_id == conversation_id,
            )
            .order_by(conversation_messages.c.created_at, conversation_messages.c.id)
        )
        return [_message(row) for row in (await self._session.execute(query)).mappings()]

    async def message(self, message_id: str) -> Message | None:
        query = select(conversation_messages).where(
            conversation_messages.c.tenant_id == self._tenant_id,
            conversation_messages.c.id == message_id,
        )
        row = (await self._session.execute(query)).mappings().first()
        return _message(row) if row else None


def _row(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "tenant_id": conversation.tenant_id,
        "user_id": conversation.user_id,
        "title": conversation.title,
        "workflow_name": conversation.workflow_name,
        "status": conversation.status.value,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
    }


def _conversation(row: RowMapping) -> Conversation:
    return Conversation(
        id=row["id"],
        tenant_id=row["tenant_id"],
        user_id=row["user_id"],
        title=row["title"],
        workflow_name=row["workflow_name"],
        status=ConversationStatus(row["status"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _message(row: RowMapping) -> Message:
    return Message(
        id=row["id"],
        tenant_id=row["tenant_id"],
        conversation_id=row["conversation_id"],
        role=Role(row["role"]),
        content=row["content"],
        created_at=row["created_at"],
        draft=row["draft"],
        meta=row["meta"] or {},
    )
