"""Model calls through the public API: tools, structured output, streaming, embeddings,
recorded answers, cost, and the messages that say what to configure."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from llm_fakes import FakeLLMServer, json_text, text, tool_call
from llm_helpers import ServerFactory, add_provider, chat, fake_llm, set_alias
from testkit import TenantHandle

__all__ = ["fake_llm"]

Tenants = Callable[..., TenantHandle]
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
URGENCY = {
    "type": "object",
    "properties": {"urgency": {"enum": ["low", "high"]}},
    "required": ["urgency"],
}


def _one_provider(
    t: TenantHandle, server: FakeLLMServer, kind: str = "openai", model: str = "m"
) -> None:
    add_provider(t.client, "p", server, kind=kind)
    set_alias(t.client, "fast", f"p:{model}")


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_tool_calls_come_back_in_one_normalized_format(
    kind: str, make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server, kind)
    server.push(tool_call("get_weather", {"city": "Paris"}, call_id="call-1"), text("Sunny."))

    first = chat(t.client, "fast", "Weather in Paris?", tools=[WEATHER_TOOL]).json()
    assert first["finish_reason"] == "tool_calls"
    assert first["tool_calls"] == [
        {"id": "call-1", "name": "get_weather", "arguments": {"city": "Paris"}, "error": None}
    ]

    history = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": first["tool_calls"][:1]},
        {"role": "tool", "tool_call_id": "call-1", "content": '{"sky": "clear"}'},
    ]
    history[2]["tool_calls"][0].pop("error")
    second = t.client.post(
        "/v1/llm/chat", json={"alias": "fast", "messages": history, "tools": [WEATHER_TOOL]}
    )
    assert second.json()["content"] == "Sunny."

    sent = server.bodies()
    if kind == "openai":
        assert sent[0]["tools"][0] == {"type": "function", "function": WEATHER_TOOL}
        assert sent[1]["messages"][2]["tool_calls"][0]["function"] == {
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        }
        assert sent[1]["messages"][3] == {
            "role": "tool",
            "tool_call_id": "call-1",
            "content": '{"sky": "clear"}',
        }
    else:
        assert sent[0]["tools"][0]["input_schema"] == WEATHER_TOOL["parameters"]
        assert sent[1]["system"] == "Be brief."
        assert sent[1]["messages"][1]["content"][0] == {
            "type": "tool_use",
            "id": "call-1",
            "name": "get_weather",
            "input": {"city": "Paris"},
        }
        assert sent[1]["messages"][2]["content"][0]["type"] == "tool_result"


def test_malformed_tool_arguments_are_reported_not_raised(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server)
    server.push(tool_call("get_weather", '{"city": "Par'))

    body = chat(t.client, "fast", tools=[WEATHER_TOOL]).json()

    assert body["tool_calls"][0]["arguments"] == {}
    assert body["tool_calls"][0]["error"].startswith("arguments are not valid JSON")


@pytest.mark.parametrize(
    ("kind", "model", "how"),
    [
        ("openai", "gpt-4o-mini", "response_format"),  # native JSON-schema output
        ("openai", "local-llama", "instruction"),  # unknown model: asked in words
        ("anthropic", "claude-haiku-4-5", "forced_tool"),
    ],
)
def test_structured_output_gets_one_repair_attempt_with_the_validation_error(
    kind: str, model: str, how: str, make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server, kind, model)
    if kind == "anthropic":
        server.push(
            tool_call("structured_output", {"urgency": "medium"}),
            tool_call("structured_output", {"urgency": "high"}),
        )
    else:
        server.push(json_text({"urgency": "medium"}), text('```json\n{"urgency": "high"}\n```'))

    response = chat(t.client, "fast", "Triage: the site is down", output_schema=URGENCY)

    assert response.status_code == 200, response.text
    assert response.json()["parsed"] == {"urgency": "high"}
    first, repair = server.bodies()
    if how == "response_format":
        assert first["response_format"]["json_schema"]["schema"] == URGENCY
    elif how == "instruction":
        assert "response_format" not in first
        assert "JSON Schema" in first["messages"][0]["content"]
    else:
        assert first["tool_choice"] == {"type": "tool", "name": "structured_output"}
    complaint = json.dumps(repair["messages"][-1])
    assert "does not match the required JSON Schema" in complaint
    assert "'medium' is not one of ['low', 'high']" in complaint


def test_structured_output_fails_clearly_when_the_repair_is_invalid_too(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server, "openai", "gpt-4o-mini")
    server.push(json_text({"urgency": "medium"}), text("not json at all"))

    response = chat(t.client, "fast", output_schema=URGENCY)

    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "llm_output_invalid"
    assert "also after one repair attempt" in problem["detail"]
    assert "the answer is not JSON" in problem["detail"]
    assert server.count() == 2


def test_an_invalid_output_schema_is_the_callers_error(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server)
    response = chat(t.client, "fast", output_schema={"type": "no-such-type"})
    assert response.status_code == 422
    assert "not a valid JSON Schema" in response.json()["detail"]
    assert server.count() == 0


def _sse(response: httpx.Response) -> list[tuple[str, dict[str, Any]]]:
    events, name = [], ""
    for line in response.text.splitlines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[6:])))
    return events


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_streams_are_re_streamed_as_server_sent_events(
    kind: str, make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server, kind)
    server.push(text("A streamed answer, in pieces.", input_tokens=12, output_tokens=7))

    response = chat(t.client, "fast", stream=True)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = _sse(response)
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) > 1
    assert "".join(deltas) == "A streamed answer, in pieces."
    name, done = events[-1]
    assert name == "done"
    assert done["content"] == "A streamed answer, in pieces."
    assert done["usage"] == {"input_tokens": 12, "output_tokens": 7, "total_tokens": 19}
    record = t.client.get(f"/v1/usage/records/{done['usage_id']}").json()
    assert (record["operation"], record["input_tokens"]) == ("stream", 12)


def test_a_refused_stream_is_an_ordinary_problem_response(make_tenant: Tenants) -> None:
    t = make_tenant("llm")
    response = chat(t.client, "fast", stream=True)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


def test_embeddings_from_an_openai_compatible_provider(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    add_provider(t.client, "local", server)
    set_alias(t.client, "embed", "local:nomic-embed-text")

    response = t.client.post("/v1/llm/embeddings", json={"alias": "embed", "input": ["ab", "c"]})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["vectors"] == [[2.0, 0.5, 0.5, 0.5], [2.0, 0.5, 0.5, 0.5]]
    assert body["usage"]["input_tokens"] == 10
    assert server.bodies("/embeddings")[0]["encoding_format"] == "float"


def test_anthropic_says_clearly_that_it_has_no_embeddings(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    _one_provider(t, server, "anthropic")
    response = t.client.post("/v1/llm/embeddings", json={"alias": "fast", "input": "x"})
    assert response.status_code == 422
    assert response.json()["code"] == "llm_capability_missing"
    assert "Anthropic has no embeddings API" in response.json()["detail"]
    assert server.count() == 0


@pytest.mark.parametrize("mode", ["chat", "stream", "structured", "embeddings"])
def test_the_same_idempotency_key_does_not_call_the_model_again(
    mode: str, make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm(default=json_text({"urgency": "low"}))
    _one_provider(t, server, "openai", "gpt-4o-mini")
    key = f"run-1/step-classify/attempt-1/{mode}"

    def call() -> httpx.Response:
        if mode == "embeddings":
            body = {"alias": "fast", "input": "x", "idempotency_key": key}
            return t.client.post("/v1/llm/embeddings", json=body)
        extra: dict[str, Any] = {"idempotency_key": key}
        if mode == "stream":
            extra["stream"] = True
        if mode == "structured":
            extra["output_schema"] = URGENCY
        return chat(t.client, "fast", **extra)

    first, again = call(), call()

    assert server.count() == 1
    if mode == "stream":
        first_body, again_body = _sse(first)[-1][1], _sse(again)[-1][1]
    else:
        first_body, again_body = first.json(), again.json()
    assert (first_body["replayed"], again_body["replayed"]) == (False, True)
    assert again_body["usage_id"] == first_body["usage_id"]
    if mode == "structured":
        assert again_body["parsed"] == {"urgency": "low"}
    assert len(t.client.get("/v1/usage/records").json()) == 1
    recorded = t.client.get(f"/v1/llm/results/{key}")
    assert recorded.status_code == 200
    assert t.client.delete(f"/v1/llm/results/{key}").status_code == 204
    call()
    assert server.count() == 2  # forgotten: the model is asked again


def test_cost_is_exact_per_price_and_unpriced_models_say_so(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm(default=text("ok", input_tokens=1000, output_tokens=500))
    add_provider(t.client, "p", server)
    set_alias(t.client, "priced", "p:house-model")
    set_alias(t.client, "unpriced", "p:mystery-model")
    set_alias(t.client, "default", "p:gpt-4o")
    price = {"input_per_million": "2.50", "output_per_million": "10"}
    assert t.client.put("/v1/llm/prices/house-model", json=price).status_code == 200

    priced = chat(t.client, "priced", context={"run_id": "run-a"}).json()
    unpriced = chat(t.client, "unpriced", context={"run_id": "run-a"}).json()
    defaulted = chat(t.client, "default", context={"run_id": "run-b"}).json()

    # 1000 x $2.50/M + 500 x $10/M = $0.0025 + $0.005
    assert (priced["cost_usd"], priced["cost_micros"], priced["priced"]) == ("0.007500", 7500, True)
    assert (unpriced["cost_micros"], unpriced["priced"]) == (0, False)
    assert defaulted["cost_usd"] == "0.007500"  # gpt-4o's default list price is the same
    by_run = {g["key"]: g for g in t.client.get("/v1/usage?group_by=run").json()["groups"]}
    assert by_run["run-a"]["cost_usd"] == "0.007500"
    assert by_run["run-a"]["unpriced_calls"] == 1
    assert by_run["run-b"]["input_tokens"] == 1000
    by_model = t.client.get("/v1/usage", params={"group_by": "model"}).json()
    assert by_model["total"]["cost_micros"] == 15000
    assert {g["key"] for g in by_model["groups"]} == {"house-model", "mystery-model", "gpt-4o"}


def test_without_a_provider_the_error_says_exactly_what_to_configure(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")

    nothing = chat(t.client, "fast")
    assert nothing.status_code == 422
    problem = nothing.json()
    assert problem["code"] == "llm_not_configured"
    assert (
        "flowwright llm provider add openai --kind openai --api-key-secret OPENAI_API_KEY"
        in problem["detail"]
    )
    assert "flowwright secret set OPENAI_API_KEY" in problem["detail"]
    assert "--base-url http://localhost:11434/v1" in problem["detail"]

    add_provider(t.client, "openai", fake_llm(), secret="OPENAI_API_KEY")
    no_alias = chat(t.client, "fast").json()
    assert no_alias["code"] == "llm_not_configured"
    assert "flowwright llm alias set fast --candidate PROVIDER:MODEL" in no_alias["detail"]

    set_alias(t.client, "fast", "openai:gpt-4o-mini")
    no_secret = chat(t.client, "fast").json()
    assert no_secret["code"] == "llm_not_configured"
    assert "flowwright secret set OPENAI_API_KEY" in no_secret["detail"]


def test_the_api_key_comes_from_the_tenant_secret(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    add_provider(t.client, "p", server, kind="anthropic", secret="ANTHROPIC_API_KEY")
    set_alias(t.client, "fast", "p:claude-haiku-4-5")
    t.client.put("/v1/secrets/ANTHROPIC_API_KEY", json={"value": "sk-ant-test-123"})

    assert chat(t.client, "fast").status_code == 200
    headers = server.requests[0].headers
    sent = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
    assert sent == "sk-ant-test-123"


@pytest.mark.parametrize(
    "base_url",
    [
        "http://169.254.169.254/v1",
        "http://10.1.2.3:8000/v1",
        "http://localhost:11434/v1",
        "http://[::1]:8000/v1",
        "http://2130706433/v1",
        "http://[::ffff:169.254.169.254]/v1",
        "file:///etc/passwd",
        "http://user:pass@example.com/v1",
    ],
)
def test_provider_base_urls_cannot_reach_internal_addresses(
    base_url: str, make_tenant: Tenants
) -> None:
    t = make_tenant("llm")
    response = t.client.put("/v1/llm/providers/evil", json={"kind": "openai", "base_url": base_url})
    assert response.status_code == 422, response.text


def test_roles_viewers_read_editors_call_admins_configure(
    make_tenant: Tenants, fake_llm: ServerFactory, live_server: Any
) -> None:
    t = make_tenant("llm")
    _one_provider(t, fake_llm())
    keys = {}
    for role in ("viewer", "editor"):
        email = f"{role}@{t.slug}.test"
        member = {"email": email, "role": role, "password": "member-password-1"}
        assert t.client.post("/v1/members", json=member).status_code == 201
        token = httpx.post(
            live_server.url + "/v1/auth/login",
            json={"email": email, "password": "member-password-1", "tenant": t.slug},
        ).json()["access_token"]
        keys[role] = token
    with live_server.client(keys["viewer"]) as viewer, live_server.client(keys["editor"]) as ed:
        assert viewer.get("/v1/usage").status_code == 200
        assert viewer.get("/v1/llm/aliases").status_code == 200
        assert chat(viewer, "fast").status_code == 403
        assert chat(ed, "fast").status_code == 200
        body = {"kind": "openai", "base_url": "http://127.0.0.1:1/v1"}
        assert ed.put("/v1/llm/providers/x", json=body).status_code == 403
        assert ed.put("/v1/llm/budget", json={"token_limit": 5}).status_code == 403
