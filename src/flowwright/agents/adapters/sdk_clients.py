"""Model clients on the official SDKs: ``openai.AsyncOpenAI`` and ``anthropic.AsyncAnthropic``.

The SDKs' own retries are off (``max_retries=0``): the gateway fails over itself. Base URLs and
API keys are always passed explicitly, so a client never picks up the operator's environment
(``OPENAI_API_KEY``, ``ANTHROPIC_BASE_URL``, ...) on a tenant's behalf.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anthropic
import openai

from flowwright.agents.adapters import anthropic_wire, openai_wire
from flowwright.agents.adapters.provider_errors import translate
from flowwright.agents.application.ports import (
    EmbeddingReply,
    ModelCall,
    ModelReply,
    ProviderCallFailed,
)
from flowwright.agents.domain.catalog import Provider
from flowwright.agents.domain.messages import TokenUsage
from flowwright.agents.domain.usage import Outcome

OPENAI_URL = "https://api.openai.com/v1"
ANTHROPIC_URL = "https://api.anthropic.com"
# Local OpenAI-compatible servers (Ollama, vLLM, llama.cpp) need no key, but the SDK sends one.
NO_KEY = "no-key"
# The overall deadline leaves the SDK's own timeout the first word.
_DEADLINE_MARGIN = 1.0


class OpenAIModelClient:
    def __init__(self, provider: Provider, api_key: str | None) -> None:
        self._api_key = api_key
        self._timeout = provider.timeout_seconds
        self._official = provider.base_url is None
        self._sdk = openai.AsyncOpenAI(
            api_key=api_key or NO_KEY,
            base_url=provider.base_url or OPENAI_URL,
            timeout=provider.timeout_seconds,
            max_retries=0,
        )

    async def complete(self, call: ModelCall) -> ModelReply:
        kwargs = openai_wire.request(call, official=self._official)
        try:
            async with asyncio.timeout(self._timeout + _DEADLINE_MARGIN):
                response = await self._sdk.chat.completions.create(**kwargs)
            return openai_wire.reply(response)
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc

    async def stream(self, call: ModelCall) -> AsyncIterator[str | ModelReply]:
        kwargs = openai_wire.request(call, official=self._official, stream=True)
        accumulator = openai_wire.StreamAccumulator()
        try:
            async with asyncio.timeout(self._timeout + _DEADLINE_MARGIN):
                chunks = await self._sdk.chat.completions.create(**kwargs)
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc
        try:
            async for chunk in chunks:
                piece = accumulator.feed(chunk)
                if piece:
                    yield piece
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc
        finally:
            await chunks.close()
        yield accumulator.reply()

    async def embed(
        self, model: str, inputs: Sequence[str], *, dimensions: int | None
    ) -> EmbeddingReply:
        extra: dict[str, Any] = {"dimensions": dimensions} if dimensions else {}
        try:
            async with asyncio.timeout(self._timeout + _DEADLINE_MARGIN):
                response = await self._sdk.embeddings.create(
                    model=model, input=list(inputs), encoding_format="float", **extra
                )
            vectors = tuple(
                tuple(float(x) for x in item.embedding)
                for item in sorted(response.data, key=lambda d: d.index)
            )
            if len(vectors) != len(inputs):
                raise ValueError(f"{len(vectors)} vectors for {len(inputs)} inputs")
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc
        tokens = response.usage.prompt_tokens if response.usage else 0
        return EmbeddingReply(vectors=vectors, usage=TokenUsage(input_tokens=tokens))

    async def aclose(self) -> None:
        await self._sdk.close()


class AnthropicModelClient:
    def __init__(self, provider: Provider, api_key: str | None) -> None:
        self._api_key = api_key
        self._timeout = provider.timeout_seconds
        self._sdk = anthropic.AsyncAnthropic(
            api_key=api_key or NO_KEY,
            base_url=provider.base_url or ANTHROPIC_URL,
            timeout=provider.timeout_seconds,
            max_retries=0,
        )

    async def complete(self, call: ModelCall) -> ModelReply:
        kwargs = anthropic_wire.request(call)
        try:
            async with asyncio.timeout(self._timeout + _DEADLINE_MARGIN):
                response = await self._sdk.messages.create(**kwargs)
            return anthropic_wire.reply(response, call)
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc

    async def stream(self, call: ModelCall) -> AsyncIterator[str | ModelReply]:
        kwargs = anthropic_wire.request(call, stream=True)
        accumulator = anthropic_wire.StreamAccumulator()
        try:
            async with asyncio.timeout(self._timeout + _DEADLINE_MARGIN):
                events = await self._sdk.messages.create(**kwargs)
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc
        try:
            async for event in events:
                piece = accumulator.feed(event)
                if piece:
                    yield piece
        except Exception as exc:
            raise _verdict(exc, self._api_key) from exc
        finally:
            await events.close()
        yield accumulator.reply()

    async def embed(
        self, model: str, inputs: Sequence[str], *, dimensions: int | None
    ) -> EmbeddingReply:
        raise ProviderCallFailed(
            Outcome.REJECTED,
            "Anthropic has no embeddings API: use an OpenAI-compatible provider for embeddings",
        )

    async def aclose(self) -> None:
        await self._sdk.close()


def _verdict(exc: Exception, api_key: str | None) -> Exception:
    failure = translate(exc, api_key=api_key)
    return failure if failure is not None else exc
