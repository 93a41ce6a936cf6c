"""llm steps in runs: answers through the gateway, usage per run, and no second model call on
resume or retry (the attempt's idempotency key replays the recorded answer)."""

from __future__ import annotations

from collections.abc import Callable

from llm_fakes import json_text, text
from llm_helpers import ServerFactory, add_provider, fake_llm, set_alias
from sink import Sink
from testkit import TenantHandle
from workflow_helpers import push, start, step, wait_for

__all__ = ["fake_llm"]  # the fixture, used by name below


def _triage(sink_url: str) -> str:
    return f"""
        apiVersion: flowwright/v1
        kind: Workflow
        metadata: {{name: triage}}
        inputs: {{body: {{type: string, required: true}}}}
        outputs:
          urgency: ${{{{ steps.classify.output.urgency }}}}
          summary: ${{{{ steps.summarize.output }}}}
        steps:
          - id: classify
            type: llm
            model: fast
            system: You triage support tickets.
            prompt: "Classify: ${{{{ inputs.body }}}}"
            output_schema:
              type: object
              properties: {{urgency: {{enum: [low, high]}}}}
              required: [urgency]
          - id: summarize
            type: llm
            model: fast
            needs: [classify]
            prompt: "Summarize in five words: ${{{{ inputs.body }}}}"
          - id: notify
            type: http
            method: POST
            needs: [summarize]
            url: {sink_url}
            retry: {{max_attempts: 1}}
        """


def test_llm_steps_answer_through_the_gateway_and_resume_never_calls_again(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory, sink: Sink
) -> None:
    t = make_tenant()
    server = fake_llm()
    server.script.extend([json_text({"urgency": "high"}), text("Printer on fire, help now")])
    add_provider(t.client, "local", server)
    set_alias(t.client, "fast", "local:small-model")
    push(t.client, _triage(f"{sink.url}/fail/1/{t.slug}-notify"))

    run = wait_for(t.client, start(t.client, "triage", {"body": "The printer is on fire"})["id"])
    assert run["status"] == "failed"  # the notification failed once, after both model calls
    assert step(run, "classify")["output"] == {"urgency": "high"}
    calls_before = len(server.requests)
    assert calls_before == 2

    resumed = t.client.post(f"/v1/runs/{run['id']}/resume")
    assert resumed.status_code == 200, resumed.text
    done = wait_for(t.client, run["id"])
    assert done["status"] == "succeeded", done
    assert done["outputs"] == {"urgency": "high", "summary": "Printer on fire, help now"}
    assert len(server.requests) == calls_before  # finished model calls are never repeated

    history = t.client.get(f"/v1/runs/{run['id']}/history").json()
    usage = [
        h["data"]["usage"]
        for h in history
        if h["type"] == "step_succeeded" and h["step_key"] in ("classify", "summarize")
    ]
    assert [u["model"] for u in usage] == ["small-model", "small-model"]
    assert all(u["input_tokens"] > 0 for u in usage)

    by_run = t.client.get("/v1/usage", params={"group_by": "run"})
    assert by_run.status_code == 200, by_run.text
    assert run["id"] in by_run.text


def test_a_run_needing_a_model_without_one_fails_with_what_to_configure(
    make_tenant: Callable[..., TenantHandle], sink: Sink
) -> None:
    t = make_tenant()
    push(t.client, _triage(f"{sink.url}/ok/{t.slug}"))
    run = wait_for(t.client, start(t.client, "triage", {"body": "x"})["id"])
    assert run["status"] == "failed"
    message = run["error"]["message"]
    assert "provider" in message and ("--base-url" in message or "api-key" in message), message
