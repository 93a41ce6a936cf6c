"""The workflow, run and approval commands as people use them, against a real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from testkit import LiveServer, TenantHandle

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowwright", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=env.get("CWD"),
    )


@pytest.fixture
def env(
    tmp_path: Path, live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> dict[str, str]:
    t = make_tenant("cli")
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    return {
        **base,
        "FLOWWRIGHT_CONFIG_DIR": str(tmp_path / "cfg"),
        "FLOWWRIGHT_URL": live_server.url,
        "FLOWWRIGHT_API_KEY": t.owner_key,
        "NO_COLOR": "1",
        "COLUMNS": "200",
        "CWD": str(tmp_path),
    }


def test_validate_works_offline_and_points_at_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: x}\n"
        "steps:\n  - id: a\n    type: transfrom\n"
    )
    offline = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    ok = cli("validate", str(ROOT / "examples" / "ticket-triage.yaml"), env=offline)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    result = cli("validate", str(bad), env=offline)
    assert result.returncode == 1
    assert re.search(
        rf"^{re.escape(str(bad))}:6:11: error\[unknown-step-type\]: .*\(did you mean "
        r"'transform'\?\)",
        result.stdout,
        re.M,
    ), result.stdout
    as_json = json.loads(cli("validate", "--format", "json", str(bad), env=offline).stdout)
    assert as_json[0]["diagnostics"][0]["code"] == "unknown-step-type"


def test_push_show_diff_graph(env: dict[str, str], tmp_path: Path) -> None:
    flow = tmp_path / "flow.yaml"
    flow.write_text(
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: cli-flow}\n"
        "inputs: {n: {type: integer, required: true}}\n"
        "outputs: {double: '${{ steps.calc.output }}'}\n"
        "steps:\n  - {id: calc, type: transform, output: '${{ inputs.n * 2 }}'}\n"
    )
    first = cli("workflow", "push", str(flow), env=env)
    assert first.returncode == 0, first.stderr
    assert "published version 1" in first.stdout
    assert "unchanged, still version 1" in cli("workflow", "push", str(flow), env=env).stdout
    flow.write_text(
        flow.read_text()
        .replace("inputs.n * 2", "inputs.n + inputs.n")
        .replace(
            "{n: {type: integer, required: true}}",
            "{n: {type: integer, required: true}, m: {type: integer, required: true}}",
        )
    )
    assert "published version 2" in cli("workflow", "push", str(flow), env=env).stdout
    diff = cli("workflow", "diff", "cli-flow", "1", "2", env=env)
    assert diff.returncode == 0, diff.stderr
    assert "calc" in diff.stdout and "m" in diff.stdout
    assert "breaking" in diff.stdout.lower()
    shown = cli("workflow", "show", "cli-flow", "--version", "1", env=env)
    assert "inputs.n * 2" in shown.stdout
    graph = cli("workflow", "graph", "cli-flow", env=env)
    assert graph.stdout.startswith("flowchart")
    listed = cli("workflow", "list", "--json", env=env)
    assert json.loads(listed.stdout)[0]["latest_version"] == 2


def test_push_of_an_invalid_file_prints_each_finding(env: dict[str, str], tmp_path: Path) -> None:
    flow = tmp_path / "broken.yaml"
    flow.write_text(
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: broken}\n"
        "steps:\n  - {id: a, type: transform, output: 1, needs: [b]}\n"
    )
    result = cli("workflow", "push", str(flow), env=env)
    assert result.returncode == 1
    assert f"{flow}:5:" in result.stderr and "unknown-need" in result.stderr


def test_run_start_wait_events_and_approvals(env: dict[str, str], tmp_path: Path) -> None:
    flow = tmp_path / "ok.yaml"
    flow.write_text(
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: ask-me}\n"
        "inputs: {x: {type: integer, required: true}}\n"
        "outputs: {ok: '${{ steps.ask.output.approved }}', x: '${{ inputs.x }}'}\n"
        "steps:\n  - {id: ask, type: approval, message: 'ok?'}\n"
    )
    assert cli("workflow", "push", str(flow), env=env).returncode == 0
    run_id = cli("run", "start", "ask-me", "--input", '{"x": 7}', env=env).stdout.strip()
    listed = json.loads(cli("approvals", "list", "--json", env=env).stdout)
    assert listed[0]["run_id"] == run_id
    decided = cli("approvals", "decide", run_id, "ask", "--approve", "--comment", "fine", env=env)
    assert decided.returncode == 0, decided.stderr
    inputs = tmp_path / "inputs.json"
    inputs.write_text('{"x": 1}')
    waited = cli(
        "run", "start", "ask-me", "--input", f"@{inputs}", "--wait", "--timeout", "2", env=env
    )
    assert waited.returncode == 3  # still waiting for its approval
    events = cli("run", "events", run_id, env=env)
    kinds = [json.loads(line)["type"] for line in events.stdout.splitlines()]
    assert kinds[0] == "run_started" and "approval_decided" in kinds
    final = json.loads(cli("run", "get", run_id, env=env).stdout)
    assert final["status"] == "succeeded" and final["outputs"] == {"ok": True, "x": 7}


def test_run_start_wait_prints_the_final_run(env: dict[str, str], tmp_path: Path) -> None:
    flow = tmp_path / "quick.yaml"
    flow.write_text(
        "apiVersion: flowwright/v1\nkind: Workflow\nmetadata: {name: quick}\n"
        "outputs: {v: '${{ steps.a.output }}'}\n"
        "steps:\n  - {id: a, type: transform, output: 5}\n"
    )
    assert cli("workflow", "push", str(flow), env=env).returncode == 0
    result = cli("run", "start", "quick", "--wait", env=env)
    assert result.returncode == 0, result.stderr
    final = json.loads(result.stdout)
    assert final["status"] == "succeeded" and final["outputs"] == {"v": 5}
    follow = cli("run", "events", final["id"], "--follow", env=env)
    assert json.loads(follow.stdout.splitlines()[-1])["type"] == "run_finished"
    bad = cli("run", "start", "quick", "--input", "{oops", env=env)
    assert bad.returncode == 2 and "--input is not valid JSON" in bad.stderr
