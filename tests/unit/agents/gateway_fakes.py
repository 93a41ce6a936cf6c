"""In-memory stand-ins for the gateway's outside world: scripted model clients, secrets, a guard
that allows everything, and a clock for breakers that only moves when told to."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from flowwright.agents.application.ports import (
    EmbeddingReply,
    ModelCall,
    ModelClient,
    ModelReply,
    ProviderCallFailed,
)
from flowwright.agents.domain.catalog import Provider
from flowwright.agents.domain.messages import TokenUsage

Script = ModelReply | ProviderCallFailed


def answer(text: str, input_tokens: int = 10, output_tokens: int = 5) -> ModelReply:
    return ModelReply(text, (), "stop", TokenUsage(input_tokens, output_tokens))


@dataclass
class ScriptedClient:
    """One provider: answers from its script, or ``default`` when the script is empty."""

    default: Script = field(default_factory=lambda: answer("ok"))
    script: deque[Script] = field(default_factory=deque)
    calls: list[ModelCall] = field(default_factory=list)

    def _next(self, call: ModelCall) -> ModelReply:
        self.calls.append(call)
        item = self.script.popleft() if self.script else self.default
        if isinstance(item, ProviderCallFailed):
            raise item
        return item

    async def complete(self, call: ModelCall) -> ModelReply:
        return self._next(call)

    async def stream(self, call: ModelCall) -> AsyncIterator[str | ModelReply]:
        reply = self._next(call)
        for index in range(0, len(reply.content), 3):
            yield reply.content[index : index + 3]
        yield reply

    async def embed(
        self, model: str, inputs: Sequence[str], *, dimensions: int | None
    ) -> EmbeddingReply:
        self.calls.append(ModelCall(model=model, messages=()))
        return EmbeddingReply(tuple((float(len(i)),) for i in inputs), TokenUsage(len(inputs)))


class ScriptedClients:
    def __init__(self) -> None:
        self.by_provider: dict[str, ScriptedClient] = {}
        self.api_keys: dict[str, str | None] = {}

    def __getitem__(self, provider: str) -> ScriptedClient:
        return self.by_provider.setdefault(provider, ScriptedClient())

    def client_for(self, provider: Provider, api_key: str | None) -> ModelClient:
        self.api_keys[provider.name] = api_key
        return self[provider.name]

    async def aclose(self) -> None:
        return None


class DictSecrets:
    def __init__(self, values: dict[tuple[str, str], str] | None = None) -> None:
        self.values = values or {}

    async def read(self, tenant_id: str, name: str) -> str | None:
        return self.values.get((tenant_id, name))


class AllowAll:
    async def check(self, url: str) -> None:
        return None


class ManualMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now
