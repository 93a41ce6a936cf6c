"""``flowwright design``: a terminal conversation with the workflow designer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TextIO

import typer

from flowwright.entrypoints.cli.client import ApiClient, ApiError
from flowwright.entrypoints.cli.profile import load_profile
from flowwright.entrypoints.cli.session import fail, profile_name

HELP = (
    "Describe what to automate. Commands: /show (the draft's YAML), /graph (Mermaid), "
    "/drafts (every draft so far, numbered), /approve [N] (publish the latest draft, or draft N), "
    "/quit."
)
TURN_TIMEOUT = 300.0  # a turn may take several model calls


def design(
    ctx: typer.Context,
    workflow: Annotated[
        str | None, typer.Option("--workflow", "-w", help="An existing workflow to edit.")
    ] = None,
    conversation: Annotated[
        str | None, typer.Option("--conversation", "-c", help="Continue a conversation.")
    ] = None,
) -> None:
    """Chat with the designer: it drafts a workflow, you review and approve it."""
    name = profile_name(ctx)
    profile = load_profile(name)
    if profile is None:
        fail(
            f"no CLI profile '{name}': run 'flowwright up' on this machine, or set "
            "FLOWWRIGHT_URL and FLOWWRIGHT_API_KEY",
            2,
        )
    client = ApiClient(profile.url, api_key=profile.api_key, timeout=TURN_TIMEOUT)
    try:
        chat(client, workflow=workflow, conversation_id=conversation, read=input, out=None)
    except ApiError as exc:
        fail(str(exc), 2 if exc.code == "unreachable" else 1)
    finally:
        client.close()


def chat(
    client: ApiClient,
    *,
    workflow: str | None,
    conversation_id: str | None,
    read: Callable[[str], str],
    out: TextIO | None,
) -> None:
    def say(text: str) -> None:
        typer.echo(text, file=out)

    if conversation_id is None:
        body: dict[str, Any] = {"workflow": workflow} if workflow else {}
        conversation_id = str(client.post("/v1/conversations", body)["id"])
    say(f"conversation {conversation_id}. {HELP}")
    draft: dict[str, Any] | None = None
    while True:
        try:
            line = read("> ").strip()
        except EOFError:
            return
        if not line:
            continue
        if line in ("/quit", "/exit"):
            return
        if line == "/show":
            say(draft["source"] if draft else "no valid draft yet")
            continue
        if line == "/graph":
            say(draft["mermaid"] if draft else "no valid draft yet")
            continue
        if line == "/drafts":
            drafts = _drafts(client, conversation_id)
            say(_listing(drafts) if drafts else "no valid draft yet")
            continue
        if line == "/approve" or line.startswith("/approve "):
            say(_approve(client, conversation_id, line.removeprefix("/approve").strip()))
            continue
        answer = client.post(f"/v1/conversations/{conversation_id}/messages", {"content": line})
        say(answer["content"])
        if answer.get("draft"):
            draft = answer["draft"]
            say(_summary(answer["draft"]))


def _drafts(client: ApiClient, conversation_id: str) -> list[dict[str, Any]]:
    """The conversation's answers that carry a valid draft, oldest first (draft 1 is first)."""
    messages = client.get(f"/v1/conversations/{conversation_id}")["messages"]
    return [m for m in messages if m.get("draft")]


def _listing(drafts: list[dict[str, Any]]) -> str:
    lines = []
    for number, answer in enumerate(drafts, start=1):
        draft = answer["draft"]
        latest = " (latest)" if number == len(drafts) else ""
        lines.append(f"{number}. '{draft['workflow']}'{latest}: {draft['explanation']}".rstrip())
    return "\n".join(lines)


def _approve(client: ApiClient, conversation_id: str, number: str) -> str:
    body: dict[str, Any] = {}
    if number:
        drafts = _drafts(client, conversation_id)
        if not number.isdigit() or not 1 <= int(number) <= len(drafts):
            return f"no draft {number}: there are {len(drafts)} (see /drafts)"
        body["message_id"] = drafts[int(number) - 1]["id"]
    try:
        approved = client.post(f"/v1/conversations/{conversation_id}/approve", body)
    except ApiError as exc:
        return f"not approved: {exc.detail}"
    return f"published {approved['workflow']} version {approved['version']}"


def _summary(draft: dict[str, Any]) -> str:
    lines = [f"draft of '{draft['workflow']}' compiles"]
    warnings = draft["validation"]["report"]
    lines += [f"  warning {w}" for w in warnings]
    if draft.get("diff"):
        lines.append(f"  changes: {draft['diff']['summary']}")
    lines += [f"  assumes: {a}" for a in draft.get("assumptions", [])]
    usage = draft.get("usage") or {}
    lines.append(
        f"  usage: {usage.get('calls', 0)} call(s), {usage.get('input_tokens', 0)} in / "
        f"{usage.get('output_tokens', 0)} out tokens, cost {usage.get('cost_micros', 0)} micros"
    )
    lines.append(
        "  /show for the YAML, /graph for Mermaid, /approve to publish (/drafts for earlier ones)"
    )
    return "\n".join(lines)
