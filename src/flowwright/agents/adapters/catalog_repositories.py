"""SQL repositories of the model catalog: providers, aliases, prices (scoped to one tenant)."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from flowwright.agents.adapters.tables import llm_aliases, llm_prices, llm_providers
from flowwright.agents.application.ports import PriceEntry
from flowwright.agents.domain.catalog import (
    Alias,
    Candidate,
    Capabilities,
    Provider,
    ProviderKind,
    RoutingPolicy,
)
from flowwright.agents.domain.pricing import Price
from flowwright.kernel.ids import new_id


class TenantScoped:
    def __init__(self, session: AsyncSession, tenant_id: str) -> None:
        self._session = session
        self._tenant_id = tenant_id


class SqlProviderRepository(TenantScoped):
    async def add(self, provider: Provider) -> None:
        await self._session.execute(insert(llm_providers).values(**self._row(provider)))

    async def update(self, provider: Provider) -> None:
        row = self._row(provider)
        del row["id"], row["tenant_id"], row["created_at"]
        await self._session.execute(
            update(llm_providers)
            .where(
                llm_providers.c.tenant_id == self._tenant_id, llm_providers.c.name == provider.name
            )
            .values(**row)
        )

    async def get(self, name: str) -> Provider | None:
        query = select(llm_providers).where(
            llm_providers.c.tenant_id == self._tenant_id, llm_providers.c.name == name
        )
        row = (await self._session.execute(query)).mappings().first()
        return _provider(row) if row else None

    async def list(self) -> builtins.list[Provider]:
        query = (
            select(llm_providers)
            .where(llm_providers.c.tenant_id == self._tenant_id)
            .order_by(llm_providers.c.name)
        )
        return [_provider(row) for row in (await self._session.execute(query)).mappings()]

    async def delete(self, name: str) -> None:
        await self._session.execute(
            delete(llm_providers).where(
                llm_providers.c.tenant_id == self._tenant_id, llm_providers.c.name == name
            )
        )

    def _row(self, p: Provider) -> dict[str, Any]:
        if p.tenant_id != self._tenant_id:
            raise RuntimeError("provider belongs to another tenant")
        return {
            "id": p.id,
            "tenant_id": p.tenant_id,
            "name": p.name,
            "kind": p.kind.value,
            "base_url": p.base_url,
            "api_key_secret": p.api_key_secret,
            "timeout_seconds": p.timeout_seconds,
            "breaker_threshold": p.breaker_threshold,
            "breaker_cooldown_seconds": p.breaker_cooldown_seconds,
            "created_at": p.created_at,
            "updated_at": p.updated_at,
        }


def _provider(row: RowMapping) -> Provider:
    return Provider(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        kind=ProviderKind(row["kind"]),
        base_url=row["base_url"],
        api_key_secret=row["api_key_secret"],
        timeout_seconds=float(row["timeout_seconds"]),
        breaker_threshold=int(row["breaker_threshold"]),
        breaker_cooldown_seconds=float(row["breaker_cooldown_seconds"]),
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlAliasRepository(TenantScoped):
    async def add(self, alias: Alias) -> None:
        if alias.tenant_id != self._tenant_id:
            raise RuntimeError("alias belongs to another tenant")
        await self._session.execute(
            insert(llm_aliases).values(
                id=alias.id,
                tenant_id=alias.tenant_id,
                name=alias.name,
                policy=alias.policy.value,
                candidates=[candidate_to_json(c) for c in alias.candidates],
                created_at=alias.created_at,
                updated_at=alias.updated_at,
            )
        )

    async def update(self, alias: Alias) -> None:
        await self._session.execute(
            update(llm_aliases)
            .where(llm_aliases.c.tenant_id == self._tenant_id, llm_aliases.c.name == alias.name)
            .values(
                policy=alias.policy.value,
                candidates=[candidate_to_json(c) for c in alias.candidates],
                updated_at=alias.updated_at,
            )
        )

    async def get(self, name: str) -> Alias | None:
        query = select(llm_aliases).where(
            llm_aliases.c.tenant_id == self._tenant_id, llm_aliases.c.name == name
        )
        row = (await self._session.execute(query)).mappings().first()
        return _alias(row) if row else None

    async def list(self) -> builtins.list[Alias]:
        query = (
            select(llm_aliases)
            .where(llm_aliases.c.tenant_id == self._tenant_id)
            .order_by(llm_aliases.c.name)
        )
        return [_alias(row) for row in (await self._session.execute(query)).mappings()]

    async def delete(self, name: str) -> None:
        await self._session.execute(
            delete(llm_aliases).where(
                llm_aliases.c.tenant_id == self._tenant_id, llm_aliases.c.name == name
            )
        )


def candidate_to_json(c: Candidate) -> dict[str, Any]:
    return {
        "provider": c.provider,
        "model": c.model,
        "params": c.params,
        "weight": c.weight,
        "capabilities": {
            "json_schema": c.capabilities.json_schema,
            "tools": c.capabilities.tools,
            "context_window": c.capabilities.context_window,
        },
    }


def candidate_from_json(data: dict[str, Any]) -> Candidate:
    caps = data.get("capabilities") or {}
    return Candidate(
        provider=data["provider"],
        model=data["model"],
        params=dict(data.get("params") or {}),
        weight=float(data.get("weight", 1.0)),
        capabilities=Capabilities(
            json_schema=caps.get("json_schema"),
            tools=caps.get("tools"),
            context_window=caps.get("context_window"),
        ),
    )


def _alias(row: RowMapping) -> Alias:
    return Alias(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        policy=RoutingPolicy(row["policy"]),
        candidates=[candidate_from_json(c) for c in row["candidates"]],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


class SqlPriceRepository(TenantScoped):
    async def set(self, model: str, price: Price, *, at: datetime) -> None:
        changed = await self._session.execute(
            update(llm_prices)
            .where(llm_prices.c.tenant_id == self._tenant_id, llm_prices.c.model == model)
            .values(
                input_micros=price.input_micros, output_micros=price.output_micros, updated_at=at
            )
        )
        if getattr(changed, "rowcount", 0) == 0:
            await self._session.execute(
                insert(llm_prices).values(
                    id=new_id(),
                    tenant_id=self._tenant_id,
                    model=model,
                    input_micros=price.input_micros,
                    output_micros=price.output_micros,
                    updated_at=at,
                )
            )

    async def list(self) -> builtins.list[PriceEntry]:
        query = (
            select(llm_prices)
            .where(llm_prices.c.tenant_id == self._tenant_id)
            .order_by(llm_prices.c.model)
        )
        return [
            PriceEntry(
                model=row["model"],
                price=Price(int(row["input_micros"]), int(row["output_micros"])),
                updated_at=row["updated_at"],
            )
            for row in (await self._session.execute(query)).mappings()
        ]

    async def delete(self, model: str) -> bool:
        result = await self._session.execute(
            delete(llm_prices).where(
                llm_prices.c.tenant_id == self._tenant_id, llm_prices.c.model == model
            )
        )
        return bool(getattr(result, "rowcount", 0))
