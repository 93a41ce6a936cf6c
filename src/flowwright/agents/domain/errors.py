"""Errors of the LLM gateway, placed in the kernel's tree::

    FlowwrightError
    ├── RetryableError
    │   └── LLMUnavailable            every candidate failed transiently (timeouts, 5xx, 429)
    └── NonRetryableError
        ├── ValidationFailed
        │   ├── LLMNotConfigured      no provider or alias: says exactly what to set up
        │   └── CapabilityMissing     no candidate can do what was asked (e.g. embeddings)
        ├── LLMRequestRejected        a provider refused the request (4xx other than 429)
        └── StructuredOutputInvalid   the answer broke the schema, also after one repair
    (QuotaExceeded, from the kernel, stops a call before any provider is contacted.)

Messages never contain prompts, answers or secret values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowwright.kernel.errors import NonRetryableError, RetryableError, ValidationFailed

SETUP_HINT = (
    "configure a provider: `flowwright llm provider add openai --kind openai "
    "--api-key-secret OPENAI_API_KEY` after `flowwright secret set OPENAI_API_KEY`, or point at "
    "a local OpenAI-compatible server with `--base-url http://localhost:11434/v1`; then map an "
    "alias to it: `flowwright llm alias set {alias} --candidate openai:gpt-4o-mini`"
)


class LLMNotConfigured(ValidationFailed):
    code = "llm_not_configured"

    @classmethod
    def for_alias(cls, alias: str, *, has_providers: bool) -> LLMNotConfigured:
        if has_providers:
            message = (
                f"no model alias '{alias}' in this tenant: map it to a provider's model with "
                f"`flowwright llm alias set {alias} --candidate PROVIDER:MODEL` "
                "(see `flowwright llm provider list`)"
            )
        else:
            message = "no LLM provider is configured for this tenant: " + SETUP_HINT.format(
                alias=alias
            )
        return cls(message, details={"alias": alias})


class CapabilityMissing(ValidationFailed):
    code = "llm_capability_missing"


class LLMUnavailable(RetryableError):
    code = "llm_unavailable"

    def __init__(
        self,
        message: str,
        *,
        retry_after_seconds: float | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retry_after_seconds = retry_after_seconds


class LLMRequestRejected(NonRetryableError):
    code = "llm_request_rejected"


class StructuredOutputInvalid(NonRetryableError):
    code = "llm_output_invalid"
