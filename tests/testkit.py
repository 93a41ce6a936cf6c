"""Helpers shared by the test suites (imported by name; fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from flowwright.bootstrap import Container, build_container
from flowwright.entrypoints.roles import Role, serve
from flowwright.kernel.ids import new_id
from flowwright.settings import Settings
from flowwright.tenancy.application.first_run import FirstRunCredentials, ensure_first_run

POSTGRES_ADMIN_URL = os.environ.get(
    "FLOWWRIGHT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
TEST_JWT_SECRET = "test-signing-key-" + "k" * 40


def postgres_reachable() -> bool:
    url = make_url(POSTGRES_ADMIN_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return True
    except OSError:
        return False


def require_postgres() -> None:
    if postgres_reachable():
        return
    if IN_CI:
        pytest.fail("PostgreSQL on 127.0.0.1:5432 is required under CI=true but is unreachable")
    pytest.skip("PostgreSQL on 127.0.0.1:5432 is not reachable on this machine")


async def connect_admin() -> asyncpg.Connection:
    """A plain asyncpg connection to the server's maintenance database."""
    url = make_url(POSTGRES_ADMIN_URL)
    return await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
    )


async def _admin_execute(*statements: str) -> None:
    connection = await connect_admin()
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database() -> str:
    require_postgres()
    name = f"fw_test_{new_id().replace('-', '')[-16:]}"
    asyncio.run(_admin_execute(f'CREATE DATABASE "{name}"'))
    return str(
        make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    )


def drop_postgres_database(url: str) -> None:
    name = make_url(url).database
    asyncio.run(
        _admin_execute(
            f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' "
            "AND pid <> pg_backend_pid()",
            f'DROP DATABASE IF EXISTS "{name}"',
        )
    )


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class EmptyDatabase:
    backend: str
    url: str


def test_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        jwt_secret=TEST_JWT_SECRET,
        log_format="json",
        log_level="WARNING",
        **overrides,
    )  # type: ignore[arg-type]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """All roles of a real server (uvicorn on a TCP port) in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://{settings.host}:{settings.port}"
        self.container: Container | None = None
        self.credentials: FirstRunCredentials | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="live-server", daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("live server did not start")
        if self._error:
            raise self._error
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("live server did not answer /healthz")

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self.container = build_container(self.settings)
            self.credentials = await ensure_first_run(
                uow_factory=self.container.tenancy,
                hasher=self.container.hasher,
                clock=self.container.clock,
                owner_email=f"admin-{new_id()[-8:]}@flowwright.test",
            )
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            raise
        self._ready.set()
        await serve(self.container, Role.ALL, stop=self._stop)

    def client(self, credential: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {credential}"} if credential else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@dataclass
class TenantHandle:
    id: str
    slug: str
    owner_email: str
    owner_password: str
    owner_key: str
    client: httpx.Client
