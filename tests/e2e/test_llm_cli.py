"""The ``llm``, ``secret`` and ``usage`` commands as people use them: a real process, a real
server, and a local model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from llm_fakes import text
from llm_helpers import ServerFactory, fake_llm
from testkit import LiveServer, TenantHandle

__all__ = ["fake_llm"]


def _run(
    *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowwright", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def env(
    tmp_path: Path, live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> dict[str, str]:
    t = make_tenant("cli")
    base = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    base.update(
        {
            "FLOWWRIGHT_CONFIG_DIR": str(tmp_path / "config"),
            "FLOWWRIGHT_URL": live_server.url,
            "FLOWWRIGHT_API_KEY": t.owner_key,
            "NO_COLOR": "1",
            "COLUMNS": "200",
        }
    )
    return base


def test_configure_a_local_server_and_chat_from_the_command_line(
    env: dict[str, str], fake_llm: ServerFactory
) -> None:
    server = fake_llm(default=text("Hello from the local model."))

    secret = _run("secret", "set", "LOCAL_KEY", "--from-stdin", env=env, stdin="s3cret\n")
    assert secret.returncode == 0, secret.stderr
    listed = _run("secret", "list", env=env)
    assert "LOCAL_KEY" in listed.stdout and "s3cret" not in listed.stdout

    added = _run(
        "llm", "provider", "add", "local", "--kind", "openai",
        "--base-url", server.openai_url, "--api-key-secret", "LOCAL_KEY", env=env,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    alias = _run("llm", "alias", "set", "fast", "--candidate", "local:llama3:8b", env=env)
    assert alias.returncode == 0, alias.stderr
    assert "local:llama3:8b" in _run("llm", "alias", "list", env=env).stdout

    answer = _run("llm", "chat", "fast", "Say hello", env=env)
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == "Hello from the local model."
    assert "local/llama3:8b" in answer.stderr and "(model not priced)" in answer.stderr
    assert server.requests[0].headers["authorization"] == "Bearer s3cret"

    streamed = _run("llm", "chat", "fast", "Say hello", "--stream", env=env)
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stdout.strip() == "Hello from the local model."

    usage = _run("usage", "--by", "model", "--json", env=env)
    groups = json.loads(usage.stdout)["groups"]
    assert [(g["key"], g["calls"]) for g in groups] == [("llama3:8b", 2)]

    budget = _run("llm", "budget", "set", "--tokens", "1000", "--json", env=env)
    assert json.loads(budget.stdout)["token_limit"] == 1000
    assert "closed" in _run("llm", "breakers", env=env).stdout
    refused = _run("llm", "provider", "remove", "local", env=env)
    assert refused.returncode == 1 and "used by alias(es) fast" in refused.stderr


def test_chat_without_a_provider_says_what_to_configure(env: dict[str, str]) -> None:
    result = _run("llm", "chat", "fast", "hello", env=env)
    assert result.returncode == 1
    assert "error[llm_not_configured]" in result.stderr
    assert "flowwright llm provider add openai" in result.stderr
