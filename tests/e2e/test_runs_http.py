"""http steps: idempotency keys, retries with backoff, failures, timeouts and the SSRF guard."""

from __future__ import annotations

from collections.abc import Callable

from sink import Sink
from testkit import LiveServer, TenantHandle
from workflow_helpers import push, start, step, wait_for


def _workflow(name: str, url: str, *, retry: str = "", timeout: str = "") -> str:
    return f"""
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {{name: {name}}}
        inputs: {{order: {{type: string, required: true}}}}
        outputs: {{reply: "${{{{ steps.call.output.body }}}}"}}
        steps:
          - id: call
            type: http
            method: POST
            url: {url}
            body: {{order: "${{{{ inputs.order }}}}"}}
            {retry}
            {timeout}
        """


def test_http_step_sends_the_attempts_idempotency_key(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    push(t.client, _workflow("notify", f"{sink.url}/ok/{t.slug}-notify"))
    run = wait_for(t.client, start(t.client, "notify", {"order": "A-1"})["id"])
    assert run["status"] == "succeeded", run
    assert run["outputs"]["reply"]["echo"] == {"order": "A-1"}
    assert sink.keys_for(run["id"]) == [f"{run['id']}/call"]


def test_http_step_retries_server_errors_with_the_same_key(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    name = f"{t.slug}-flaky"
    retry = "retry: {max_attempts: 4, backoff: fixed, initial: 100ms, jitter: false}"
    push(t.client, _workflow("flaky", f"{sink.url}/fail/2/{name}", retry=retry))
    run = wait_for(t.client, start(t.client, "flaky", {"order": "B"})["id"])
    assert run["status"] == "succeeded", run
    assert step(run, "call")["attempt"] == 3
    keys = [r["key"] for r in sink.requests if r["path"].endswith(name)]
    assert keys == [f"{run['id']}/call"] * 3
    history = t.client.get(f"/v1/runs/{run['id']}/history").json()
    assert [h["type"] for h in history].count("step_retried") == 2


def test_http_client_errors_are_not_retried(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    retry = "retry: {max_attempts: 5, initial: 100ms}"
    push(t.client, _workflow("rejected", f"{sink.url}/status/404/{t.slug}-x", retry=retry))
    run = wait_for(t.client, start(t.client, "rejected", {"order": "C"})["id"])
    assert run["status"] == "failed"
    assert run["error"]["code"] == "HTTP_404"
    assert step(run, "call")["attempt"] == 1


def test_http_step_times_out_and_fails_after_its_attempts(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    retry = "retry: {max_attempts: 2, backoff: fixed, initial: 100ms}"
    push(
        t.client,
        _workflow(
            "slowpoke", f"{sink.url}/slow/3000/{t.slug}-slow", retry=retry, timeout="timeout: 300ms"
        ),
    )
    run = wait_for(t.client, start(t.client, "slowpoke", {"order": "D"})["id"])
    assert run["status"] == "failed"
    assert run["error"]["code"] == "step_timeout"
    assert step(run, "call")["attempt"] == 2


def test_http_step_cannot_reach_internal_addresses(
    live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> None:
    t = make_tenant()
    # The API server itself listens on loopback and is not on the allow list.
    for index, url in enumerate(
        [
            f"{live_server.url}/v1/me",
            "http://169.254.169.254/latest",
            "http://2130706433:80/",
            "http://[::1]/",
        ]
    ):
        name = f"ssrf-{index}"
        push(t.client, _workflow(name, url))
        run = wait_for(t.client, start(t.client, name, {"order": "E"})["id"])
        assert run["status"] == "failed", url
        assert run["error"]["code"] in ("ssrf_blocked", "invalid_url"), run["error"]
