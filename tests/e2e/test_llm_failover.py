"""Routing and failover through the public API, against local servers speaking the real wire
formats: policies, transient faults, Retry-After and circuit breakers."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx

from llm_fakes import fault, malformed, rate_limited, slow, text
from llm_helpers import ServerFactory, add_provider, chat, fake_llm, path_of, set_alias
from testkit import TenantHandle

__all__ = ["fake_llm"]

Tenants = Callable[..., TenantHandle]


def test_priority_fails_over_on_5xx_timeouts_and_unreadable_answers(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    down, stuck, garbled, good = fake_llm(), fake_llm(), fake_llm(), fake_llm()
    down.push(fault(500))
    stuck.push(slow(3))
    garbled.push(malformed())
    good.push(text("from the fourth"))
    add_provider(t.client, "down", down)
    add_provider(t.client, "stuck", stuck, timeout_seconds=0.5)
    add_provider(t.client, "garbled", garbled)
    add_provider(t.client, "good", good)
    set_alias(t.client, "smart", "down:m", "stuck:m", "garbled:m", "good:m")

    response = chat(t.client, "smart")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["content"] == "from the fourth"
    assert path_of(body) == [
        ("down", "error"),
        ("stuck", "timeout"),
        ("garbled", "error"),
        ("good", "ok"),
    ]
    assert [s.count("/chat/completions") for s in (down, stuck, garbled, good)] == [1, 1, 1, 1]


def test_client_errors_other_than_429_are_not_failed_over(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    first, second = fake_llm(), fake_llm()
    first.push(fault(400))
    add_provider(t.client, "first", first)
    add_provider(t.client, "second", second)
    set_alias(t.client, "fast", "first:m", "second:m")

    response = chat(t.client, "fast")

    assert response.status_code == 400
    assert response.json()["code"] == "llm_request_rejected"
    assert second.count() == 0


def test_cheapest_policy_tries_the_cheapest_capable_candidate_first(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    server = fake_llm()
    add_provider(t.client, "p", server)
    for model, price in {"big": "30", "small": "0.5", "no-tools": "0.01"}.items():
        body = {"input_per_million": price, "output_per_million": price}
        assert t.client.put(f"/v1/llm/prices/{model}", json=body).status_code == 200
    no_tools = {"provider": "p", "model": "no-tools", "capabilities": {"tools": False}}
    set_alias(t.client, "cheap", "p:big", "p:small", no_tools, policy="cheapest")

    plain = chat(t.client, "cheap")
    tool = {"name": "lookup", "parameters": {"type": "object", "properties": {}}}
    with_tools = chat(t.client, "cheap", tools=[tool])

    assert plain.json()["model"] == "no-tools"
    assert with_tools.json()["model"] == "small"  # no-tools cannot call tools: skipped
    assert [b["model"] for b in server.bodies()] == ["no-tools", "small"]


def test_lowest_latency_policy_prefers_the_faster_candidate_once_measured(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    sluggish, quick = fake_llm(default=slow(0.3, text("slow"))), fake_llm()
    add_provider(t.client, "sluggish", sluggish)
    add_provider(t.client, "quick", quick)
    set_alias(t.client, "fast", "sluggish:m", "quick:m", policy="lowest_latency")

    answered = [chat(t.client, "fast").json()["provider"] for _ in range(4)]

    # Unmeasured candidates go first (in listed order) so each gets measured once.
    assert answered == ["sluggish", "quick", "quick", "quick"]


def test_weighted_policy_keeps_zero_weight_candidates_as_fallbacks(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    main, spare = fake_llm(), fake_llm()
    add_provider(t.client, "main", main)
    add_provider(t.client, "spare", spare)
    set_alias(
        t.client,
        "split",
        {"provider": "spare", "model": "m", "weight": 0},
        {"provider": "main", "model": "m", "weight": 3},
        policy="weighted",
    )

    assert {chat(t.client, "split").json()["provider"] for _ in range(5)} == {"main"}
    main.push(fault(503))
    assert path_of(chat(t.client, "split").json()) == [("main", "error"), ("spare", "ok")]


def test_retry_after_is_honoured_by_skipping_the_candidate_until_then(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    limited, backup = fake_llm(), fake_llm()
    limited.push(rate_limited(1))
    add_provider(t.client, "limited", limited)
    add_provider(t.client, "backup", backup)
    set_alias(t.client, "fast", "limited:m", "backup:m")
    set_alias(t.client, "only", "limited:m")

    first = chat(t.client, "fast").json()
    second = chat(t.client, "fast").json()
    alone = chat(t.client, "only")

    assert path_of(first) == [("limited", "rate_limited"), ("backup", "ok")]
    assert path_of(second) == [("limited", "cooling_down"), ("backup", "ok")]
    assert alone.status_code == 503
    assert alone.json()["code"] == "llm_unavailable"
    assert alone.headers["retry-after"] == "1"
    assert limited.count() == 1  # not contacted while it asked us to wait

    time.sleep(1.1)
    third = chat(t.client, "fast").json()
    assert path_of(third) == [("limited", "ok")]


def _breaker(client: httpx.Client, provider: str) -> str:
    states = {b["provider"]: b["state"] for b in client.get("/v1/llm/breakers").json()}
    return states[provider]


def test_breaker_opens_after_consecutive_failures_then_probes_once_after_the_cooldown(
    make_tenant: Tenants, fake_llm: ServerFactory, admin: httpx.Client
) -> None:
    t = make_tenant("llm")
    flaky, backup = fake_llm(default=fault(500)), fake_llm()
    add_provider(t.client, "flaky", flaky, breaker_threshold=2, breaker_cooldown_seconds=0.5)
    add_provider(t.client, "backup", backup)
    set_alias(t.client, "fast", "flaky:m", "backup:m")

    chat(t.client, "fast")
    assert _breaker(t.client, "flaky") == "closed"  # one failure is below the threshold
    chat(t.client, "fast")
    assert _breaker(t.client, "flaky") == "open"
    skipped = chat(t.client, "fast").json()
    assert path_of(skipped) == [("flaky", "breaker_open"), ("backup", "ok")]
    assert flaky.count() == 2

    time.sleep(0.6)
    assert _breaker(t.client, "flaky") == "half_open"
    failed_probe = chat(t.client, "fast").json()
    assert path_of(failed_probe) == [("flaky", "error"), ("backup", "ok")]
    assert _breaker(t.client, "flaky") == "open"  # the probe failed: open again

    time.sleep(0.6)
    flaky.default = text("back")
    recovered = chat(t.client, "fast").json()
    assert path_of(recovered) == [("flaky", "ok")]
    assert _breaker(t.client, "flaky") == "closed"

    metrics = admin.get("/metrics")
    assert metrics.status_code == 200
    gauge = re.search(
        rf'flowwright_llm_breaker_state\{{provider="flaky",tenant="{t.id}"\}} (\S+)', metrics.text
    )
    assert gauge is not None and float(gauge.group(1)) == 0.0
    assert 'flowwright_llm_calls_total{model="m",outcome="error",provider="flaky"}' in metrics.text


def test_metrics_are_for_installation_administrators_only(make_tenant: Tenants) -> None:
    t = make_tenant("llm")
    assert t.client.get("/metrics").status_code == 403


def test_every_candidate_failing_answers_503_naming_each_attempt(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    one, two = fake_llm(default=fault(502)), fake_llm(default=fault(500))
    add_provider(t.client, "one", one)
    add_provider(t.client, "two", two)
    set_alias(t.client, "fast", "one:m", "two:m")

    response = chat(t.client, "fast")

    assert response.status_code == 503
    problem = response.json()
    assert problem["code"] == "llm_unavailable"
    assert "one/m: error" in problem["detail"] and "two/m: error" in problem["detail"]
    outcomes = {(r["provider"], r["outcome"]) for r in t.client.get("/v1/usage/records").json()}
    assert outcomes == {("one", "error"), ("two", "error")}
