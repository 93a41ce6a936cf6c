"""The workflow designer: conversation -> draft (compiled, repaired) -> approval -> runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from llm_fakes import FakeLLMServer, json_text
from llm_helpers import ServerFactory, add_provider, fake_llm, set_alias
from testkit import LiveServer, TenantHandle
from workflow_helpers import push, start, wait_for

__all__ = ["fake_llm"]  # the fixture, used by name below

ROOT = Path(__file__).resolve().parents[2]


def greeting(name: str, *, salutation: str = "Hello", needs: str | None = None) -> str:
    extra = f"\n    needs: [{needs}]" if needs else ""
    return f"""\
apiVersion: flowwright/v1
kind: Workflow
metadata: {{name: {name}, description: Greets a person.}}
inputs: {{person: {{type: string, required: true}}}}
outputs:
  greeting: ${{{{ steps.compose.output.text }}}}
  shout: ${{{{ steps.shout.output.text }}}}
steps:
  - id: compose
    type: transform{extra}
    output:
      text: "{salutation} ${{{{ inputs.person }}}}"
  - id: shout
    type: transform
    needs: [compose]
    output:
      text: ${{{{ upper(steps.compose.output.text) }}}}
"""


def draft(source: str, explanation: str = "Greets the person.", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "draft",
        "yaml": source,
        "explanation": explanation,
        "assumptions": ["the person's name is given as input"],
        **extra,
    }


def designer_for(t: TenantHandle, fake_llm: ServerFactory) -> FakeLLMServer:
    server = fake_llm()
    add_provider(t.client, "local", server)
    set_alias(t.client, "designer", "local:design-model")
    return server


def open_conversation(client: httpx.Client, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/conversations", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def say(client: httpx.Client, conversation_id: str, content: str) -> dict[str, Any]:
    response = client.post(
        f"/v1/conversations/{conversation_id}/messages", json={"content": content}
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_valid_draft_on_the_first_try_has_graph_mermaid_and_explanation(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(json_text(draft(greeting("greet"))))
    conversation = open_conversation(t.client, title="Greeting")

    answer = say(t.client, conversation["id"], "Greet a person by name, then shout it")

    assert answer["kind"] == "draft", answer["errors"]
    assert answer["content"] == "Greets the person."
    d = answer["draft"]
    assert d["workflow"] == "greet"
    assert d["validation"]["ok"] is True
    assert {n["id"] for n in d["graph"]["nodes"]} >= {"compose", "shout"}
    assert d["mermaid"].startswith(("flowchart", "graph"))
    assert d["explanation"] == "Greets the person."
    assert d["assumptions"] == ["the person's name is given as input"]
    assert d["diff"] is None  # nothing to compare with yet
    assert d["usage"]["calls"] == 1 and d["usage"]["input_tokens"] > 0
    assert server.count("/chat/completions") == 1

    shown = t.client.get(f"/v1/conversations/{conversation['id']}").json()
    assert [m["role"] for m in shown["messages"]] == ["user", "assistant"]
    assert shown["messages"][1]["draft"]["source"] == greeting("greet")
    listed = t.client.get("/v1/conversations").json()
    assert conversation["id"] in [c["id"] for c in listed]
    # Nothing is published before approval.
    assert t.client.get("/v1/workflows/greet").status_code == 404


def test_a_draft_with_errors_is_repaired_from_the_compilers_diagnostics(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(
        json_text(draft(greeting("greet", needs="prepare"))),
        json_text(draft(greeting("greet"))),
    )
    conversation = open_conversation(t.client)

    answer = say(t.client, conversation["id"], "Greet a person")

    assert answer["kind"] == "draft", answer["errors"]
    assert answer["draft"]["rounds"] == 2
    assert answer["draft"]["usage"]["calls"] == 2
    bodies = server.bodies("/chat/completions")
    assert len(bodies) == 2
    repair = json.dumps(bodies[1]["messages"])
    assert "error[unknown-need]" in repair and "prepare" in repair
    assert "unknown-need" not in json.dumps(bodies[0]["messages"][1:])


def test_the_designer_may_ask_a_clarifying_question(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(json_text({"kind": "question", "question": "Which channel should it post to?"}))
    conversation = open_conversation(t.client)

    answer = say(t.client, conversation["id"], "Tell the team when something happens")

    assert answer["kind"] == "question"
    assert answer["content"] == "Which channel should it post to?"
    assert answer["draft"] is None
    refused = t.client.post(f"/v1/conversations/{conversation['id']}/approve")
    assert refused.status_code == 422, refused.text


def test_output_that_stays_invalid_saves_no_draft_and_cannot_be_approved(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = fake_llm(default=json_text(draft(greeting("greet", needs="prepare"))))
    add_provider(t.client, "local", server)
    set_alias(t.client, "designer", "local:design-model")
    conversation = open_conversation(t.client)

    answer = say(t.client, conversation["id"], "Greet a person")

    assert answer["kind"] == "invalid"
    assert answer["draft"] is None
    assert "nothing was saved" in answer["content"]
    assert "unknown-need" in answer["content"]
    assert any("unknown-need" in e for e in answer["errors"])
    assert server.count("/chat/completions") == 4  # the first draft and three repairs
    shown = t.client.get(f"/v1/conversations/{conversation['id']}").json()
    assert all(m["draft"] is None for m in shown["messages"])
    refused = t.client.post(f"/v1/conversations/{conversation['id']}/approve")
    assert refused.status_code == 422, refused.text
    assert t.client.get("/v1/workflows/greet").status_code == 404


def test_editing_a_workflow_starts_from_its_version_and_diffs_the_changed_step(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    push(t.client, greeting("greet"))
    server = designer_for(t, fake_llm)
    server.push(json_text(draft(greeting("greet", salutation="Good morning"))))
    conversation = open_conversation(t.client, workflow="greet")
    assert conversation["workflow"] == "greet"

    answer = say(t.client, conversation["id"], "Say good morning instead of hello")

    assert answer["kind"] == "draft", answer["errors"]
    diff = answer["draft"]["diff"]
    assert [c["id"] for c in diff["steps_changed"]] == ["compose"]
    assert diff["steps_added"] == [] and diff["steps_removed"] == []
    system = server.bodies("/chat/completions")[0]["messages"][0]["content"]
    assert "Start from the current version of 'greet'" in system
    assert "Hello ${{ inputs.person }}" in system

    approved = t.client.post(f"/v1/conversations/{conversation['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["version"] == 2
    assert "Good morning" in t.client.get("/v1/workflows/greet").json()["source"]


def test_conversation_to_draft_to_approval_to_a_succeeded_run(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(json_text(draft(greeting("welcome"))))
    conversation = open_conversation(t.client)
    say(t.client, conversation["id"], "Welcome a person by name")

    approved = t.client.post(f"/v1/conversations/{conversation['id']}/approve")
    assert approved.status_code == 200, approved.text
    body = approved.json()
    assert body["workflow"] == "welcome" and body["version"] == 1
    assert body["conversation"]["status"] == "approved"
    assert body["conversation"]["workflow"] == "welcome"
    version = t.client.get("/v1/workflows/welcome").json()
    assert conversation["id"] in version["message"]

    run = wait_for(t.client, start(t.client, "welcome", {"person": "Ada"})["id"])
    assert run["status"] == "succeeded", run
    assert run["outputs"] == {"greeting": "Hello Ada", "shout": "HELLO ADA"}


def test_approving_a_draft_named_like_another_workflow_conflicts(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    push(t.client, greeting("taken"))
    server = designer_for(t, fake_llm)
    server.push(json_text(draft(greeting("taken", salutation="Hi"))))
    conversation = open_conversation(t.client)
    assert say(t.client, conversation["id"], "Greet someone")["kind"] == "draft"

    refused = t.client.post(f"/v1/conversations/{conversation['id']}/approve")
    assert refused.status_code == 409, refused.text
    assert t.client.get("/v1/workflows/taken").json()["version"] == 1


def approve(client: httpx.Client, conversation_id: str, **body: Any) -> httpx.Response:
    """Approve; without arguments the request has no body, as before drafts could be chosen."""
    path = f"/v1/conversations/{conversation_id}/approve"
    return client.post(path, json=body) if body else client.post(path)


def approved(client: httpx.Client, conversation_id: str, **body: Any) -> dict[str, Any]:
    response = approve(client, conversation_id, **body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_problem(response: httpx.Response, status: int, code: str, *words: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status and problem["code"] == code
    assert problem["type"].endswith("/" + code)
    for word in words:
        assert word in problem["detail"], problem["detail"]


def test_an_earlier_draft_may_be_approved_instead_of_the_latest(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(
        json_text(draft(greeting("welcome"))),
        json_text(draft(greeting("welcome", salutation="Hi"))),
    )
    conversation = open_conversation(t.client)
    first = say(t.client, conversation["id"], "Welcome a person by name")
    latest = say(t.client, conversation["id"], "Say hi instead")
    assert "Hi" in latest["draft"]["source"]

    body = approved(t.client, conversation["id"], message_id=first["id"])

    assert body["workflow"] == "welcome" and body["version"] == 1
    assert body["conversation"]["status"] == "approved"
    version = t.client.get("/v1/workflows/welcome").json()
    assert version["source"] == greeting("welcome")
    assert conversation["id"] in version["message"] and first["id"] in version["message"]

    # As before, an approved conversation may be approved again: the same draft answers the
    # version it already is, another draft becomes the next version.
    assert approved(t.client, conversation["id"], message_id=first["id"])["version"] == 1
    assert approved(t.client, conversation["id"])["version"] == 2
    assert "Hi" in t.client.get("/v1/workflows/welcome").json()["source"]


def test_approving_a_message_that_is_not_a_draft_of_this_conversation_is_refused(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(
        json_text({"kind": "question", "question": "Whom should it greet?"}),
        json_text(draft(greeting("chosen"))),
        json_text(draft(greeting("elsewhere"))),
    )
    conversation = open_conversation(t.client)
    question = say(t.client, conversation["id"], "Greet someone")
    answer = say(t.client, conversation["id"], "A person by name")
    shown = t.client.get(f"/v1/conversations/{conversation['id']}").json()
    said = shown["messages"][0]
    other = open_conversation(t.client)
    elsewhere = say(t.client, other["id"], "Greet somebody else")
    stranger = make_tenant()
    foreign = open_conversation(stranger.client)
    foreign_said = say(stranger.client, foreign["id"], "Hello")  # answered: not configured
    c = conversation["id"]

    assert_problem(approve(t.client, c, message_id="no-such-message"), 404, "not_found")
    assert_problem(
        approve(t.client, c, message_id=foreign_said["id"]), 404, "not_found", foreign_said["id"]
    )
    assert_problem(
        approve(t.client, c, message_id=elsewhere["id"]),
        422,
        "message_of_another_conversation",
        elsewhere["id"],
        other["id"],
    )
    assert_problem(
        approve(t.client, c, message_id=question["id"]),
        422,
        "not_a_draft",
        "a clarifying question",
    )
    assert_problem(
        approve(t.client, c, message_id=said["id"]), 422, "not_a_draft", "the person's message"
    )
    assert_problem(approve(t.client, c, message="x"), 422, "validation_failed", "message")
    for name in ("chosen", "elsewhere"):
        assert t.client.get(f"/v1/workflows/{name}").status_code == 404

    assert approved(t.client, c, message_id=answer["id"])["workflow"] == "chosen"


def test_without_a_model_it_says_what_to_configure_and_offers_examples(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    t = make_tenant()
    conversation = open_conversation(t.client)

    answer = say(t.client, conversation["id"], "Triage support tickets and escalate incidents")

    assert answer["kind"] == "not_configured"
    assert answer["draft"] is None
    assert "provider" in answer["configure"] and "designer" in answer["configure"]
    assert answer["configure"] in answer["content"]
    assert "ticket-triage.yaml" in answer["examples"]
    assert len(answer["examples"]) == 3
    for name in answer["examples"]:
        assert name in answer["content"]


def test_reading_needs_workflows_read_and_unknown_ids_are_not_found(
    make_tenant: Callable[..., TenantHandle],
) -> None:
    t = make_tenant()
    assert t.client.get("/v1/conversations/nope").status_code == 404
    missing = t.client.post("/v1/conversations", json={"workflow": "no-such-flow"})
    assert missing.status_code == 404, missing.text


@dataclass(frozen=True)
class Terminal:
    """``flowwright design`` run by a tenant's owner, with a scripted model behind the designer."""

    tenant: TenantHandle
    server: FakeLLMServer
    url: str
    folder: Path

    def type(self, *lines: str) -> subprocess.CompletedProcess[str]:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")},
            "FLOWWRIGHT_CONFIG_DIR": str(self.folder / "cfg"),
            "FLOWWRIGHT_URL": self.url,
            "FLOWWRIGHT_API_KEY": self.tenant.owner_key,
            "NO_COLOR": "1",
        }
        return subprocess.run(
            [sys.executable, "-m", "flowwright", "design"],
            input="".join(line + "\n" for line in lines),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.folder,
        )


@pytest.fixture
def terminal(
    live_server: LiveServer,
    make_tenant: Callable[..., TenantHandle],
    fake_llm: ServerFactory,
    tmp_path: Path,
) -> Terminal:
    t = make_tenant("cli")
    return Terminal(t, designer_for(t, fake_llm), live_server.url, tmp_path)


def test_the_terminal_chat_drafts_shows_and_approves(terminal: Terminal) -> None:
    terminal.server.push(json_text(draft(greeting("chatted"))))

    done = terminal.type("Greet a person by name", "/show", "/approve", "/quit")

    assert done.returncode == 0, done.stderr
    assert "draft of 'chatted' compiles" in done.stdout
    assert "type: transform" in done.stdout  # /show printed the YAML
    assert "published chatted version 1" in done.stdout
    assert terminal.tenant.client.get("/v1/workflows/chatted").status_code == 200


def test_the_terminal_chat_lists_drafts_and_approves_the_one_named(terminal: Terminal) -> None:
    terminal.server.push(
        json_text(draft(greeting("chosen"), "Says hello.")),
        json_text(draft(greeting("chosen", salutation="Hi"), "Says hi.")),
    )

    done = terminal.type("Greet a person", "Say hi", "/drafts", "/approve 3", "/approve 1", "/quit")

    assert done.returncode == 0, done.stderr
    assert "1. 'chosen': Says hello." in done.stdout
    assert "2. 'chosen' (latest): Says hi." in done.stdout
    assert "no draft 3: there are 2" in done.stdout
    assert "published chosen version 1" in done.stdout
    published = terminal.tenant.client.get("/v1/workflows/chosen").json()
    assert published["source"] == greeting("chosen")


def test_the_evaluation_script_reports_kinds_rounds_tokens_and_checks(
    live_server: LiveServer,
    make_tenant: Callable[..., TenantHandle],
    fake_llm: ServerFactory,
    tmp_path: Path,
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(
        json_text(draft(greeting("evaluated", needs="prepare"))),
        json_text(draft(greeting("evaluated"))),
        json_text({"kind": "question", "question": "Which topic?"}),
    )
    expect = {
        "step_types": ["transform"],
        "absent_step_types": ["http", "llm"],
        "triggers": ["webhook", "manual"],
        "branches": False,
    }
    cases = tmp_path / "cases.json"
    # Both forms: a case with expectations, and a bare request string.
    cases.write_text(json.dumps([{"request": "Greet a person", "expect": expect}, "Send news"]))
    env = {
        **os.environ,
        "FLOWWRIGHT_URL": live_server.url,
        "FLOWWRIGHT_API_KEY": t.owner_key,
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "designer_eval.py"), "--cases", str(cases), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    greeted, asked = report["results"]
    assert [greeted["kind"], asked["kind"]] == ["draft", "question"]
    assert greeted["rounds"] == 2 and greeted["workflow"] == "evaluated"
    assert greeted["expect"] == expect
    assert greeted["checks"] == [
        {"check": "step_types", "passed": True, "expected": ["transform"], "missing": []},
        {
            "check": "triggers",
            "passed": False,
            "expected": ["webhook", "manual"],
            "missing": ["webhook"],  # a manual start needs no declaration
        },
        {
            "check": "absent_step_types",
            "passed": True,
            "expected": ["http", "llm"],
            "unexpected": [],
        },
        {"check": "branches", "passed": True, "expected": False, "found": []},
    ]
    assert asked["expect"] == {} and asked["checks"] == []
    total = report["summary"]
    assert total["drafts"] == 1 and total["drafts_share"] == 0.5 and total["first_try"] == 0
    assert total["repairs_mean"] == 1 and total["repairs_median"] == 1
    assert (total["checks"], total["checks_passed"], total["checks_share"]) == (4, 3, 0.75)
    assert total["as_expected"] == 0 and total["questions"] == 1
    assert total["input_tokens"] > 0
    assert t.client.get("/v1/workflows/evaluated").status_code == 404  # nothing published


TRIAGE = """\
apiVersion: flowwright/v1
kind: Workflow
metadata: {name: triage-dry}
inputs: {body: {type: string, required: true}}
outputs:
  urgency: ${{ steps.classify.output.urgency }}
  status: ${{ steps.notify.output.status }}
  note: ${{ steps.note.output.text }}
steps:
  - id: classify
    type: llm
    model: fast
    prompt: "Classify: ${{ inputs.body }}"
    output_schema:
      type: object
      properties: {urgency: {enum: [low, high]}}
      required: [urgency]
  - id: notify
    type: http
    method: POST
    needs: [classify]
    url: https://hooks.example.com/notify
    body: {urgency: "${{ steps.classify.output.urgency }}"}
  - id: note
    type: transform
    needs: [notify]
    output: {text: "urgency ${{ steps.classify.output.urgency }} for ${{ inputs.body }}"}
"""


def test_a_dry_run_runs_the_draft_with_simulated_effects_and_stores_nothing(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(json_text(draft(TRIAGE)))
    conversation = open_conversation(t.client)
    path = f"/v1/conversations/{conversation['id']}/dry-run"
    assert t.client.post(path, json={}).status_code == 422  # no draft yet
    assert say(t.client, conversation["id"], "Triage tickets")["kind"] == "draft"

    response = t.client.post(path, json={"inputs": {"body": "printer on fire"}})

    assert response.status_code == 200, response.text
    result = response.json()
    assert result["dry_run"] is True and result["workflow"] == "triage-dry"
    assert result["status"] == "succeeded", result
    assert result["outputs"] == {
        "urgency": "low",
        "status": 200,
        "note": "urgency low for printer on fire",
    }
    assert set(result["simulated"]) == {"classify", "notify"}
    steps = {s["key"]: s for s in result["steps"]}
    assert steps["note"]["simulated"] is False and steps["notify"]["simulated"] is True
    assert server.count("/chat/completions") == 1  # only the designer's turn reached a model
    assert "triage-dry" not in t.client.get("/v1/runs").text  # nothing stored
    assert t.client.get("/v1/workflows/triage-dry").status_code == 404
    missing = t.client.post(path, json={"inputs": {}})
    assert missing.status_code == 422, missing.text


def test_a_turn_streams_its_progress_and_ends_with_the_answer(
    make_tenant: Callable[..., TenantHandle], fake_llm: ServerFactory
) -> None:
    t = make_tenant()
    server = designer_for(t, fake_llm)
    server.push(
        json_text(draft(greeting("streamed", needs="prepare"))),
        json_text(draft(greeting("streamed"))),
    )
    conversation = open_conversation(t.client)
    path = f"/v1/conversations/{conversation['id']}/messages/stream"

    with t.client.stream("POST", path, json={"content": "Greet a person"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())

    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    assert [name for name, _ in events] == [
        "context",
        "round",
        "compiled",
        "round",
        "compiled",
        "message",
    ]
    assert events[2][1]["ok"] is False and "unknown-need" in events[2][1]["errors"][0]
    assert events[4][1] == {"round": 2, "ok": True, "errors": []}
    assert events[5][1]["draft"]["workflow"] == "streamed"
    shown = t.client.get(f"/v1/conversations/{conversation['id']}").json()
    assert shown["messages"][-1]["draft"]["workflow"] == "streamed"
    assert (
        t.client.post("/v1/conversations/nope/messages/stream", json={"content": "x"}).status_code
        == 404
    )
