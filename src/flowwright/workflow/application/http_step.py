"""The ``http`` step: one request through the installation's guarded HTTP client.

The attempt's idempotency key travels as ``Idempotency-Key`` so a receiver can drop the repeat
of a request whose response was lost to a crash. 5xx, 429, timeouts and connection errors are
retryable; other unexpected statuses are not (the request itself is wrong).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flowwright.workflow.application.ports import OutboundHttp, StepCall
from flowwright.workflow.domain.runs.outcome import Failed, Outcome, Succeeded

MAX_RESPONSE_TEXT = 1_000_000


@dataclass
class HttpStepExecutor:
    client: OutboundHttp

    async def execute(self, call: StepCall) -> Outcome:
        config = call.config
        body = config.get("body")
        reply = await self.client.send(
            str(config.get("method") or "GET"),
            str(config["url"]),
            headers={str(k): str(v) for k, v in (config.get("headers") or {}).items()},
            params={str(k): _query_value(v) for k, v in (config.get("query") or {}).items()},
            json_body=body,
            timeout=call.timeout_ms / 1000 if call.timeout_ms else None,
            idempotency_key=call.idempotency_key,
        )
        expected = config.get("expect_status")
        accepted = reply.status in expected if expected else 200 <= reply.status < 300
        parsed = _body(reply.body, reply.headers, config.get("response") or "json")
        result = {"status": reply.status, "headers": dict(reply.headers), "body": parsed}
        if accepted:
            return Succeeded(result)
        retryable = reply.status >= 500 or reply.status == 429
        code = f"HTTP_{reply.status}"  # non_retryable may name it or its family (HTTP_4XX)
        return Failed(
            code,
            f"{config.get('method', 'GET')} {config['url']} answered {reply.status}",
            retryable=retryable,
            details={"response": result},
        )


def _body(raw: bytes, headers: Any, mode: str) -> Any:
    text = raw[:MAX_RESPONSE_TEXT].decode("utf-8", errors="replace")
    content_type = str(dict(headers).get("content-type", ""))
    if mode == "json" and (not content_type or "json" in content_type):
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError:
            return text
    return text


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)
