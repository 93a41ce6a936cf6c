"""Tenant A can neither read, list, change nor delete tenant B's objects: it gets 404, never 403.

Adding a tenant-owned resource type means adding it to RESOURCES below; the last test fails if a
tenant-owned table has no entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from flowwright.kernel.adapters.metadata import TENANT_OWNED_TABLES
from llm_fakes import FakeLLMServer
from testkit import TenantHandle


@dataclass(frozen=True)
class Resource:
    table: str
    collection: str
    create: Callable[[httpx.Client], str]  # returns the new object's id
    update_body: dict[str, object] | None
    delete_expected: int


def _member(client: httpx.Client) -> str:
    response = client.post(
        "/v1/members",
        json={
            "email": f"m{id(client)}-{len(str(client))}@{client.base_url.host}.test",
            "role": "viewer",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _api_key(client: httpx.Client) -> str:
    response = client.post("/v1/api-keys", json={"name": "to be protected"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


RESOURCES = [
    Resource("memberships", "/v1/members", _member, {"role": "editor"}, 204),
    Resource("api_keys", "/v1/api-keys", _api_key, None, 200),
]


def test_tenant_cannot_touch_another_tenants_objects(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    for resource in RESOURCES:
        object_id = resource.create(b.client)
        url = f"{resource.collection}/{object_id}"

        assert a.client.get(url).status_code == 404, resource.table
        listed = a.client.get(resource.collection)
        assert listed.status_code == 200
        assert object_id not in {item["id"] for item in listed.json()}, resource.table
        if resource.update_body is not None:
            assert a.client.patch(url, json=resource.update_body).status_code == 404
        assert a.client.delete(url).status_code == 404, resource.table

        # The object is untouched and still visible to its owner.
        assert b.client.get(url).status_code == 200
        assert b.client.delete(url).status_code == resource.delete_expected


def test_tenant_records_are_visible_only_to_members(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    assert a.client.get(f"/v1/tenants/{b.id}").status_code == 404
    assert a.client.patch(f"/v1/tenants/{b.id}", json={"name": "hijacked"}).status_code == 404
    assert {t["id"] for t in a.client.get("/v1/tenants").json()} == {a.id}
    assert b.client.get(f"/v1/tenants/{b.id}").json()["name"] == b.slug


def test_administrator_sees_tenants_but_not_their_data(
    make_tenant: Callable[..., TenantHandle], admin: httpx.Client
) -> None:
    b = make_tenant("b")
    key_id = _api_key(b.client)
    assert admin.get(f"/v1/tenants/{b.id}").status_code == 200
    # The administrator's credentials act in their own tenant: B's objects stay invisible.
    assert admin.get(f"/v1/api-keys/{key_id}").status_code == 404
    assert b.owner_email not in {m["email"] for m in admin.get("/v1/members").json()}


@dataclass(frozen=True)
class Probe:
    """Objects made in tenant B, then addressed from tenant A, which must never reach them."""

    tables: tuple[str, ...]
    setup: Callable[[httpx.Client], dict[str, str]]  # returns values for the URL templates
    reads: tuple[str, ...]
    writes: tuple[tuple[str, str, dict[str, object] | None], ...]
    listings: tuple[tuple[str, str], ...]  # (collection URL, field value that must not appear)


WORKFLOW = """
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: private-flow}
triggers: [{type: webhook, path: shared/path}]
outputs: {big: "${{ steps.blob.output }}"}
steps:
  - id: blob
    type: transform
    output: "${{ inputs.text }}"
  - id: ask
    type: approval
    message: secret question
    needs: [blob]
inputs: {text: {type: string, required: true}}
"""


def _workflow_and_run(client: httpx.Client) -> dict[str, str]:
    pushed = client.post("/v1/workflows", json={"source": WORKFLOW})
    assert pushed.status_code == 201, pushed.text
    # An output too large for the hot table: it is stored in run_payloads.
    run = client.post("/v1/workflows/private-flow/runs", json={"inputs": {"text": "x" * 70_000}})
    assert run.status_code == 201, run.text
    run_id = run.json()["id"]
    for _ in range(200):
        if client.get(f"/v1/runs/{run_id}").json()["status"] == "waiting":
            break
        time.sleep(0.05)
    return {"run": run_id, "name": "private-flow"}


PROBES = [
    Probe(
        tables=(
            "workflows",
            "workflow_versions",
            "webhook_routes",
            "runs",
            "run_steps",
            "run_history",
            "run_payloads",
        ),
        setup=_workflow_and_run,
        reads=(
            "/v1/workflows/{name}",
            "/v1/workflows/{name}/versions",
            "/v1/workflows/{name}/graph",
            "/v1/workflows/{name}/diff?from=1&to=1",
            "/v1/runs/{run}",
            "/v1/runs/{run}/history",
            "/v1/runs/{run}/events",
        ),
        writes=(
            ("POST", "/v1/workflows/{name}/runs", {"inputs": {"text": "x"}}),
            ("POST", "/v1/runs/{run}/cancel", None),
            ("POST", "/v1/runs/{run}/resume", None),
            ("POST", "/v1/runs/{run}/approvals/ask", {"decision": "approve"}),
        ),
        listings=(
            ("/v1/workflows", "private-flow"),
            ("/v1/runs", "{run}"),
            ("/v1/approvals", "{run}"),
        ),
    ),
]


def _llm_catalog_and_usage(client: httpx.Client) -> dict[str, str]:
    """A secret, a provider, an alias, a price, a budget, and one recorded call."""
    names = {
        "secret": "PROBE_SECRET",
        "provider": "probe-provider",
        "alias": "probe-alias",
        "model": "probe-model-7f3a",
        "key": "probe-run/step/1",
    }
    assert client.put(f"/v1/secrets/{names['secret']}", json={"value": "v"}).status_code == 201
    with FakeLLMServer() as server:
        provider = {"kind": "openai", "base_url": server.openai_url}
        assert client.put(f"/v1/llm/providers/{names['provider']}", json=provider).is_success
        candidates = [{"provider": names["provider"], "model": names["model"]}]
        alias = {"policy": "priority", "candidates": candidates}
        assert client.put(f"/v1/llm/aliases/{names['alias']}", json=alias).is_success
        price = {"input_per_million": "1", "output_per_million": "2"}
        assert client.put(f"/v1/llm/prices/{names['model']}", json=price).is_success
        assert client.put("/v1/llm/budget", json={"token_limit": 7_654_321}).is_success
        answer = client.post(
            "/v1/llm/chat",
            json={
                "alias": names["alias"],
                "messages": [{"role": "user", "content": "hi"}],
                "idempotency_key": names["key"],
            },
        )
        assert answer.status_code == 200, answer.text
    return {**names, "usage": answer.json()["usage_id"]}


PROBES.append(
    Probe(
        tables=(
            "secrets",
            "llm_providers",
            "llm_aliases",
            "llm_prices",
            "llm_budgets",
            "llm_usage",
            "llm_call_results",
        ),
        setup=_llm_catalog_and_usage,
        reads=(
            "/v1/secrets/{secret}",
            "/v1/llm/providers/{provider}",
            "/v1/llm/aliases/{alias}",
            "/v1/llm/prices/{model}",
            "/v1/usage/records/{usage}",
            "/v1/llm/results/{key}",
        ),
        writes=(
            ("DELETE", "/v1/secrets/{secret}", None),
            ("DELETE", "/v1/llm/providers/{provider}", None),
            ("DELETE", "/v1/llm/aliases/{alias}", None),
            ("DELETE", "/v1/llm/prices/{model}", None),
            ("DELETE", "/v1/llm/results/{key}", None),
            ("DELETE", "/v1/llm/budget", None),
        ),
        listings=(
            ("/v1/secrets", "{secret}"),
            ("/v1/llm/providers", "{provider}"),
            ("/v1/llm/aliases", "{alias}"),
            ("/v1/llm/prices", "{model}"),
            ("/v1/llm/budget", "7654321"),
            ("/v1/usage/records", "{usage}"),
            ("/v1/usage?group_by=model", "{model}"),
            ("/v1/llm/results", "{key}"),
            ("/v1/llm/breakers", "{provider}"),
        ),
    )
)


def _design_conversation(client: httpx.Client) -> dict[str, str]:
    """A design conversation with one turn (no designer model: the answer says what to set up)."""
    started = client.post("/v1/conversations", json={"title": "probe-conversation-5d1e"})
    assert started.status_code == 201, started.text
    conversation = started.json()["id"]
    turn = client.post(
        f"/v1/conversations/{conversation}/messages", json={"content": "triage tickets"}
    )
    assert turn.status_code == 200, turn.text
    return {"conversation": conversation}


PROBES.append(
    Probe(
        tables=("conversations", "conversation_messages"),
        setup=_design_conversation,
        reads=("/v1/conversations/{conversation}",),
        writes=(
            ("POST", "/v1/conversations/{conversation}/messages", {"content": "hello"}),
            ("POST", "/v1/conversations/{conversation}/approve", None),
        ),
        listings=(
            ("/v1/conversations", "{conversation}"),
            ("/v1/conversations", "probe-conversation-5d1e"),
        ),
    )
)


def test_tenant_cannot_reach_another_tenants_workflows_and_runs(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    for probe in PROBES:
        values = probe.setup(b.client)
        for template in probe.reads:
            url = template.format(**values)
            assert a.client.get(url).status_code == 404, url
            # The owner can read it (a live event stream stays open: check its status only).
            with b.client.stream("GET", url) as response:
                assert response.status_code == 200, url
        for method, template, body in probe.writes:
            url = template.format(**values)
            assert a.client.request(method, url, json=body).status_code == 404, url
        for collection, template in probe.listings:
            hidden = template.format(**values)
            assert hidden not in a.client.get(collection).text, collection
            assert hidden in b.client.get(collection).text, collection
        if "run" in values:
            # B's untouched run still waits for B's decision, its large output intact.
            run = b.client.get(f"/v1/runs/{values['run']}").json()
            assert run["status"] == "waiting"
            assert len(run["steps"][0]["output"]) == 70_000


def test_webhook_paths_are_unique_per_tenant_only(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    a, b = make_tenant("a"), make_tenant("b")
    _workflow_and_run(b.client)
    again = a.client.post("/v1/workflows", json={"source": WORKFLOW})
    assert again.status_code == 201, again.text
    clash = WORKFLOW.replace("private-flow", "other-flow")
    refused = a.client.post("/v1/workflows", json={"source": clash})
    assert refused.status_code == 422
    assert "duplicate-webhook-path" in refused.text


def test_every_tenant_owned_table_has_a_cross_tenant_check() -> None:
    covered = {r.table for r in RESOURCES} | {t for p in PROBES for t in p.tables}
    assert set(TENANT_OWNED_TABLES) <= covered, set(TENANT_OWNED_TABLES) - covered
