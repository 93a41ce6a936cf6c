"""Fixtures shared by the integration and end-to-end suites.

Integration tests run against every backend: SQLite (a file, WAL) and the PostgreSQL server on
127.0.0.1:5432. Under CI=true a missing PostgreSQL fails the run; elsewhere those tests skip and
say why.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from flowwright.bootstrap import Container, build_container
from flowwright.entrypoints.roles import Role, serve
from flowwright.kernel.ids import new_id
from flowwright.migrations import runner
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


async def _admin_execute(*statements: str) -> None:
    import asyncpg

    url = make_url(POSTGRES_ADMIN_URL)
    connection = await asyncpg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        database=url.database or "postgres",
    )
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


@pytest.fixture(scope="session", autouse=True)
def _quiet_logs() -> None:
    from flowwright.entrypoints.logging import configure_logging

    configure_logging(level="WARNING", fmt="json")


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class EmptyDatabase:
    backend: str
    url: str


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmptyDatabase]:
    """A database with no tables, new for each test."""
    backend: str = request.param
    if backend == "sqlite":
        yield EmptyDatabase(backend, f"sqlite+aiosqlite:///{tmp_path / 'flowwright.db'}")
        return
    url = create_postgres_database()
    try:
        yield EmptyDatabase(backend, url)
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A migrated database shared by the session's tests of one backend.

    Tests sharing it create their own tenants (unique slugs), so they do not see each other.
    """
    backend: str = request.param
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sqlite') / 'flowwright.db'}"
        runner.upgrade(url)
        yield url
        return
    url = create_postgres_database()
    try:
        runner.upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


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


@pytest.fixture(scope="session")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    settings = test_settings(database_url, tmp_path_factory.mktemp("data"), port=free_port())
    server = LiveServer(settings).start()
    assert server.credentials is not None, "the shared test database must start empty of users"
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def admin(live_server: LiveServer) -> Iterator[httpx.Client]:
    """A client holding the first-run owner's API key (owner of 'default', installation admin)."""
    assert live_server.credentials is not None
    with live_server.client(live_server.credentials.api_key) as client:
        yield client


@dataclass
class TenantHandle:
    id: str
    slug: str
    owner_email: str
    owner_password: str
    owner_key: str
    client: httpx.Client


@pytest.fixture
def make_tenant(live_server: LiveServer, admin: httpx.Client) -> Iterator[object]:
    """Create a tenant with an owner and the owner's API key, through the public API."""
    clients: list[httpx.Client] = []

    def factory(prefix: str = "t") -> TenantHandle:
        slug = f"{prefix}-{new_id().replace('-', '')[-12:]}"
        email, password = f"owner@{slug}.test", "owner-password-123"
        response = admin.post(
            "/v1/tenants",
            json={"slug": slug, "name": slug, "owner_email": email, "owner_password": password},
        )
        assert response.status_code == 201, response.text
        tenant = response.json()
        token = httpx.post(
            live_server.url + "/v1/auth/login",
            json={"email": email, "password": password, "tenant": slug},
        )
        assert token.status_code == 200, token.text
        with live_server.client(token.json()["access_token"]) as by_token:
            key = by_token.post("/v1/api-keys", json={"name": "owner key"})
        assert key.status_code == 201, key.text
        client = live_server.client(key.json()["key"])
        clients.append(client)
        return TenantHandle(tenant["id"], slug, email, password, key.json()["key"], client)

    yield factory
    for client in clients:
        client.close()
