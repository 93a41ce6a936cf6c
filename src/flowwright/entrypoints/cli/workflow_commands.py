"""``flowwright workflow``, ``run`` and ``approvals``: publish workflows and operate their runs."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from flowwright.entrypoints.cli.client import ApiClient, ApiError
from flowwright.entrypoints.cli.output import print_json, print_table
from flowwright.entrypoints.cli.session import api_client, fail

workflow_app = typer.Typer(no_args_is_help=True, help="Workflows and their versions.")
run_app = typer.Typer(no_args_is_help=True, help="Runs: start, follow, cancel, resume.")
approvals_app = typer.Typer(no_args_is_help=True, help="Approvals waiting for a decision.")

SUB_APPS = {"workflow": workflow_app, "run": run_app, "approvals": approvals_app}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
TERMINAL = {"succeeded", "failed", "cancelled", "timed_out"}


# --- workflows -------------------------------------------------------------------------------


@workflow_app.command("push")
def push(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The definition (YAML or JSON).")],
    message: Annotated[str | None, typer.Option("-m", "--message")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Publish a definition; a new version is made only if it changed."""
    source = _read(file)
    with api_client(ctx) as client:
        try:
            pushed = client.post(
                "/v1/workflows", {"source": source, "filename": str(file), "message": message}
            )
        except ApiError as exc:
            _print_invalid(exc, file)
            raise
    if as_json:
        print_json(pushed)
        return
    version = pushed["version"]
    verb = "published" if pushed["created"] else "unchanged, still"
    typer.echo(
        f"{pushed['workflow']['name']} {verb} version {version['version']} "
        f"({version['content_hash'][:12]})"
    )
    for warning in pushed.get("warnings", []):
        typer.echo(
            f"{file}:{warning['line']}:{warning['column']}: warning[{warning['code']}]: "
            f"{warning['message']}",
            err=True,
        )


def _print_invalid(exc: ApiError, file: Path) -> None:
    for d in exc.diagnostics:
        hint = f" ({d['hint']})" if d.get("hint") else ""
        typer.echo(
            f"{file}:{d['line']}:{d['column']}: {d['severity']}[{d['code']}]: {d['message']}{hint}",
            err=True,
        )


@workflow_app.command("list")
def list_workflows(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the tenant's workflows."""
    with api_client(ctx) as client:
        workflows = client.get("/v1/workflows")
    if as_json:
        print_json(workflows)
    else:
        print_table(workflows, ["name", "latest_version", "description", "updated_at"])


@workflow_app.command("show")
def show(
    ctx: typer.Context,
    name: str,
    version: Annotated[int | None, typer.Option("--version", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Print a version's source (latest unless --version)."""
    with api_client(ctx) as client:
        detail = client.get(f"/v1/workflows/{name}", version=version)
    if as_json:
        print_json(detail)
        return
    typer.echo(
        f"# {detail['workflow']} version {detail['version']} "
        f"({detail['content_hash'][:12]}, {detail['created_at']})"
    )
    typer.echo(detail["source"].rstrip("\n"))


@workflow_app.command("versions")
def versions(ctx: typer.Context, name: str, as_json: JsonOpt = False) -> None:
    """List a workflow's versions."""
    with api_client(ctx) as client:
        rows = client.get(f"/v1/workflows/{name}/versions")
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["version", "content_hash", "created_at", "message"])


@workflow_app.command("diff")
def diff(ctx: typer.Context, name: str, old: int, new: int, as_json: JsonOpt = False) -> None:
    """What changed from version OLD to version NEW, and whether it breaks callers."""
    with api_client(ctx) as client:
        result = client.get(f"/v1/workflows/{name}/diff", **{"from": old, "to": new})
    if as_json:
        print_json(result)
    else:
        typer.echo(result["summary"])


@workflow_app.command("graph")
def graph(
    ctx: typer.Context,
    name: str,
    version: Annotated[int | None, typer.Option("--version", min=1)] = None,
    output_format: Annotated[str, typer.Option("--format", help="mermaid or json")] = "mermaid",
) -> None:
    """Print a version's graph as Mermaid (or JSON)."""
    if output_format not in ("mermaid", "json"):
        fail("--format must be 'mermaid' or 'json'", 2)
    with api_client(ctx) as client:
        response = client.raw(
            "GET",
            f"/v1/workflows/{name}/graph",
            params={"version": version, "format": output_format},
        )
    typer.echo(response.rstrip("\n"))


# --- runs ------------------------------------------------------------------------------------


@run_app.command("start")
def start(
    ctx: typer.Context,
    name: str,
    inputs: Annotated[
        str | None, typer.Option("--input", help="JSON object, or @file.json")
    ] = None,
    version: Annotated[int | None, typer.Option("--version", min=1)] = None,
    idempotency_key: Annotated[str | None, typer.Option("--idempotency-key")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Wait for the end; print the run.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds --wait waits at most.")] = 3600.0,
) -> None:
    """Start a run; with --wait, print the final run as JSON (exit 1 unless it succeeded)."""
    body: dict[str, Any] = {"inputs": _inputs(inputs)}
    if version:
        body["version"] = version
    if idempotency_key:
        body["idempotency_key"] = idempotency_key
    with api_client(ctx) as client:
        run = client.post(f"/v1/workflows/{name}/runs", body)
        if not wait:
            typer.echo(run["id"])
            return
        final = _wait(client, run["id"], timeout)
    print_json(_final(final))
    if final["status"] != "succeeded":
        raise typer.Exit(1)


def _final(run: dict[str, Any]) -> dict[str, Any]:
    return {
        key: run[key]
        for key in ("id", "workflow", "version", "status", "reason", "outputs", "error")
    }


def _wait(client: ApiClient, run_id: str, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        run: dict[str, Any] = client.get(f"/v1/runs/{run_id}")
        if run["status"] in TERMINAL:
            return run
        if time.monotonic() > deadline:
            fail(f"run {run_id} is still {run['status']} after {timeout:.0f}s", 3)
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


@run_app.command("get")
def get(ctx: typer.Context, run_id: str) -> None:
    """Print a run with its steps as JSON."""
    with api_client(ctx) as client:
        print_json(client.get(f"/v1/runs/{run_id}"))


@run_app.command("list")
def list_runs(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status")] = None,
    workflow: Annotated[str | None, typer.Option("--workflow")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List recent runs, newest first."""
    with api_client(ctx) as client:
        runs = client.get("/v1/runs", status=status, workflow=workflow, limit=limit)
    if as_json:
        print_json(runs)
    else:
        print_table(runs, ["id", "workflow", "version", "status", "created_at", "reason"])


@run_app.command("events")
def events(
    ctx: typer.Context,
    run_id: str,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Stream until the run ends.")
    ] = False,
) -> None:
    """Print the run's history, one JSON line per entry (live with --follow)."""
    with api_client(ctx) as client:
        if not follow:
            for entry in client.get(f"/v1/runs/{run_id}/history"):
                typer.echo(json.dumps(entry, sort_keys=True))
            return
        for entry in client.stream_events(f"/v1/runs/{run_id}/events"):
            typer.echo(json.dumps(entry, sort_keys=True))
            sys.stdout.flush()


@run_app.command("cancel")
def cancel(ctx: typer.Context, run_id: str) -> None:
    """Cancel a run; running steps are stopped."""
    with api_client(ctx) as client:
        run = client.post(f"/v1/runs/{run_id}/cancel", None)
    typer.echo(f"{run['id']} {run['status']}")


@run_app.command("resume")
def resume(ctx: typer.Context, run_id: str) -> None:
    """Resume a failed, cancelled or timed-out run from its unfinished steps."""
    with api_client(ctx) as client:
        run = client.post(f"/v1/runs/{run_id}/resume", None)
    typer.echo(f"{run['id']} {run['status']}")


# --- approvals -------------------------------------------------------------------------------


@approvals_app.command("list")
def approvals(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Approvals waiting for a decision."""
    with api_client(ctx) as client:
        rows = client.get("/v1/approvals")
    if as_json:
        print_json(rows)
    else:
        print_table(rows, ["run_id", "step_key", "workflow", "message", "expires_at"])


@approvals_app.command("decide")
def decide(
    ctx: typer.Context,
    run_id: str,
    step: str,
    approve: Annotated[bool | None, typer.Option("--approve/--reject")] = None,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
) -> None:
    """Approve or reject the approval at STEP of RUN_ID."""
    if approve is None:
        fail("say --approve or --reject", 2)
    with api_client(ctx) as client:
        run = client.post(
            f"/v1/runs/{run_id}/approvals/{step}",
            {"decision": "approve" if approve else "reject", "comment": comment},
        )
    typer.echo(f"{'approved' if approve else 'rejected'}; run {run['id']} is {run['status']}")


def _read(file: Path) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", 2)


def _inputs(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    raw = _read(Path(text[1:])) if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        fail(f"--input is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", 2)
    if not isinstance(value, dict):
        fail("--input must be a JSON object", 2)
    return value
