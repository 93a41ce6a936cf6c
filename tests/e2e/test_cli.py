"""The CLI as people use it: a real process talking to a real server."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from testkit import LiveServer, TenantHandle, free_port


def cli(
    *args: str, env: dict[str, str], input_text: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flowwright", *args],
        env=env,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWWRIGHT_")}
    env.update(
        {"FLOWWRIGHT_CONFIG_DIR": str(tmp_path / "config"), "NO_COLOR": "1", "COLUMNS": "200"}
    )
    env.update(extra)
    return env


@pytest.fixture
def owner_env(
    tmp_path: Path, live_server: LiveServer, make_tenant: Callable[..., TenantHandle]
) -> dict[str, str]:
    t = make_tenant("cli")
    return _env(tmp_path, FLOWWRIGHT_URL=live_server.url, FLOWWRIGHT_API_KEY=t.owner_key)


def test_version_works_offline(tmp_path: Path) -> None:
    result = cli("version", env=_env(tmp_path))
    assert result.returncode == 0
    assert re.match(r"^flowwright \d+\.\d+\.\d+$", result.stdout.strip())


def test_apikey_create_list_revoke(owner_env: dict[str, str]) -> None:
    created = cli("apikey", "create", "deploy", "--role", "operator", "--json", env=owner_env)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    listed = cli("apikey", "list", env=owner_env)
    assert key["prefix"] in listed.stdout and "operator" in listed.stdout
    assert key["key"] not in listed.stdout
    revoked = cli("apikey", "revoke", key["id"], "--json", env=owner_env)
    assert json.loads(revoked.stdout)["revoked_at"] is not None
    refused = cli("whoami", env={**owner_env, "FLOWWRIGHT_API_KEY": key["key"]})
    assert refused.returncode == 1
    assert "error[unauthenticated]" in refused.stderr


def test_user_create_and_list(owner_env: dict[str, str]) -> None:
    created = cli(
        "user",
        "create",
        "new.editor@example.test",
        "--role",
        "editor",
        "--password",
        "a-long-password",
        env=owner_env,
    )
    assert created.returncode == 0, created.stderr
    listed = cli("user", "list", "--json", env=owner_env)
    roles = {m["email"]: m["role"] for m in json.loads(listed.stdout)}
    assert roles["new.editor@example.test"] == "editor"


def test_bad_input_gets_a_precise_message(owner_env: dict[str, str]) -> None:
    result = cli("user", "create", "not-an-email", "--role", "editor", env=owner_env)
    assert result.returncode == 1
    assert "error[validation_failed]: invalid email address 'not-an-email'" in result.stderr
    denied = cli("tenant", "create", "someone-else", env=owner_env)
    assert denied.returncode == 1
    assert "error[permission_denied]" in denied.stderr


def test_missing_profile_and_unreachable_server_say_what_to_do(tmp_path: Path) -> None:
    missing = cli("apikey", "list", env=_env(tmp_path))
    assert missing.returncode == 2
    assert "flowwright login" in missing.stderr
    unreachable = cli(
        "apikey",
        "list",
        env=_env(
            tmp_path,
            FLOWWRIGHT_URL=f"http://127.0.0.1:{free_port()}",
            FLOWWRIGHT_API_KEY="fwk_aaaaaaaaaa_" + "A" * 43,
        ),
    )
    assert unreachable.returncode == 2
    assert "is the server running?" in unreachable.stderr


class UpProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flowwright", "up"],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                break
            self.lines.append(line)
            if needle in line:
                return
        raise AssertionError(f"'{needle}' not printed; output:\n{''.join(self.lines)}")

    def value(self, label: str) -> str:
        for line in self.lines:
            if line.strip().startswith(label):
                return line.split(":", 1)[1].strip()
        raise AssertionError(f"{label} not printed")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


@pytest.fixture
def up_env(tmp_path: Path) -> Iterator[tuple[dict[str, str], Path, str]]:
    port = free_port()
    env = _env(tmp_path, FLOWWRIGHT_PORT=str(port), FLOWWRIGHT_LOG_FORMAT="json")
    return env, tmp_path, f"http://127.0.0.1:{port}"


def test_up_serves_and_prints_a_credential_the_cli_uses(
    up_env: tuple[dict[str, str], Path, str],
) -> None:
    env, cwd, url = up_env
    server = UpProcess(env, cwd)
    try:
        server.wait_for("API key:")
        assert (cwd / ".flowwright" / "flowwright.db").exists()
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/v1/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server never became ready"
            time.sleep(0.1)
        assert httpx.get(url + "/docs").status_code == 200
        assert "/v1/tenants" in httpx.get(url + "/openapi.json").json()["paths"]

        # The stored profile makes the CLI work with no further set-up.
        created = cli("tenant", "create", "acme", "--name", "Acme", env=env)
        assert created.returncode == 0, created.stderr
        listed = cli("tenant", "list", env=env)
        assert "acme" in listed.stdout and "default" in listed.stdout
        assert cli("apikey", "list", env=env).returncode == 0

        # The printed password works for `flowwright login` into a second profile.
        login = cli(
            "--profile",
            "second",
            "login",
            "--url",
            url,
            "--email",
            server.value("email"),
            "--password",
            server.value("password"),
            env=env,
        )
        assert login.returncode == 0, login.stderr
        assert cli("--profile", "second", "whoami", env=env).returncode == 0
    finally:
        assert server.stop() == 0

    # A restart keeps the data and does not make new credentials.
    again = UpProcess(env, cwd)
    try:
        again.wait_for("serving at")
        time.sleep(0.5)
        assert not any("API key:" in line for line in again.lines)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert "acme" in cli("tenant", "list", env=env).stdout
    finally:
        again.stop()
