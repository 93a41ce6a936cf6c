"""Monthly budgets through the public API: a warning once, then a hard stop before any provider
is contacted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_fakes import text
from llm_helpers import ServerFactory, add_provider, chat, fake_llm, query, set_alias
from testkit import LiveServer, TenantHandle

__all__ = ["fake_llm"]

Tenants = Callable[..., TenantHandle]


def _events(server: LiveServer, tenant_id: str, name: str) -> list[dict[str, Any]]:
    return query(
        server.settings.resolved_database_url,
        "SELECT payload FROM outbox WHERE tenant_id = :tenant AND name = :name",
        tenant=tenant_id,
        name=name,
    )


def test_token_budget_warns_once_then_stops_calls_before_the_provider(
    make_tenant: Tenants, fake_llm: ServerFactory, live_server: LiveServer
) -> None:
    t = make_tenant("llm")
    server = fake_llm(default=text("ok", input_tokens=10, output_tokens=5))
    add_provider(t.client, "p", server)
    set_alias(t.client, "fast", "p:m")
    budget = t.client.put("/v1/llm/budget", json={"token_limit": 40, "warn_percent": 50})
    assert budget.status_code == 200, budget.text

    assert chat(t.client, "fast").status_code == 200  # 15 of 40 tokens
    assert _events(live_server, t.id, "agents.BudgetWarning") == []
    assert chat(t.client, "fast").status_code == 200  # 30: past the 50 % warning
    assert chat(t.client, "fast").status_code == 200  # 45: it started under the limit
    stopped = chat(t.client, "fast")
    chat(t.client, "fast")

    assert stopped.status_code == 429
    assert stopped.headers["content-type"].startswith("application/problem+json")
    assert stopped.json()["code"] == "quota_exceeded"
    assert "monthly token budget of 40 tokens is used up" in stopped.json()["detail"]
    assert int(stopped.headers["retry-after"]) > 0
    assert server.count() == 3  # the provider was not contacted once the budget was used up
    warnings = _events(live_server, t.id, "agents.BudgetWarning")
    assert len(warnings) == 1
    stops = _events(live_server, t.id, "agents.QuotaExceeded")
    assert len(stops) == 1  # once per month, not once per refused call
    shown = t.client.get("/v1/llm/budget").json()
    assert (shown["used_tokens"], shown["token_limit"]) == (45, 40)
    counters = query(
        live_server.settings.resolved_database_url,
        "SELECT used_tokens, warned_period, stopped_period FROM llm_budgets WHERE tenant_id = :t",
        t=t.id,
    )
    period = shown["period"]
    assert counters == [{"used_tokens": 45, "warned_period": period, "stopped_period": period}]


def test_money_budget_stops_calls_once_spent(make_tenant: Tenants, fake_llm: ServerFactory) -> None:
    t = make_tenant("llm")
    server = fake_llm(default=text("ok", input_tokens=1000, output_tokens=0))
    add_provider(t.client, "p", server)
    set_alias(t.client, "fast", "p:pricey")
    price = {"input_per_million": "10", "output_per_million": "10"}
    t.client.put("/v1/llm/prices/pricey", json=price)  # $0.01 per call
    t.client.put("/v1/llm/budget", json={"cost_limit_usd": "0.02"})

    assert chat(t.client, "fast").status_code == 200
    assert chat(t.client, "fast").status_code == 200
    refused = chat(t.client, "fast")

    assert refused.status_code == 429
    assert "$0.020000" in refused.json()["detail"]
    assert server.count() == 2
    raised = t.client.put("/v1/llm/budget", json={"cost_limit_usd": "1.00"})
    assert raised.json()["used_usd"] == "0.020000"
    assert chat(t.client, "fast").status_code == 200


def test_a_budget_set_mid_month_counts_what_was_already_used(
    make_tenant: Tenants, fake_llm: ServerFactory
) -> None:
    t = make_tenant("llm")
    add_provider(t.client, "p", fake_llm(default=text("ok", input_tokens=60, output_tokens=0)))
    set_alias(t.client, "fast", "p:m")
    chat(t.client, "fast")
    assert t.client.get("/v1/llm/budget").json()["token_limit"] is None

    status = t.client.put("/v1/llm/budget", json={"token_limit": 50}).json()

    assert status["used_tokens"] == 60
    assert chat(t.client, "fast").status_code == 429
    assert t.client.delete("/v1/llm/budget").status_code == 204
    assert chat(t.client, "fast").status_code == 200
