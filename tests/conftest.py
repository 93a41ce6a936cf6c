"""Fixtures shared by the integration and end-to-end suites.

Integration tests run against every backend: SQLite (a file, WAL) and the PostgreSQL server on
127.0.0.1:5432. Under CI=true a missing PostgreSQL fails the run; elsewhere those tests skip and
say why. Helpers that tests import by name live in testkit.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from flowwright.kernel.ids import new_id
from flowwright.migrations import runner
from sink import Sink
from testkit import (
    BACKENDS,
    EmptyDatabase,
    LiveServer,
    TenantHandle,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    test_settings,
)


@pytest.fixture(scope="session", autouse=True)
def _quiet_logs() -> None:
    from flowwright.entrypoints.logging import configure_logging

    configure_logging(level="WARNING", fmt="json")


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmptyDatabase]:
    """A database with no tables, new for each test."""
    backend: str = request.param
    if backend == "sqlite":
        yield EmptyDatabase(backend, f"sqlite:///{tmp_path / 'flowwright.db'}")
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
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'flowwright.db'}"
        runner.upgrade(url)
        yield url
        return
    url = create_postgres_database()
    try:
        runner.upgrade(url)
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="session")
def sink() -> Iterator[Sink]:
    """A local HTTP receiver for http steps (see sink.py)."""
    receiver = Sink().start()
    yield receiver
    receiver.stop()


@pytest.fixture(scope="session")
def live_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory, sink: Sink
) -> Iterator[LiveServer]:
    settings = test_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        port=free_port(),
        http_allowed_hosts=[f"127.0.0.1:{sink.port}"],
        # Fake model servers run on loopback; LLM base URLs elsewhere are SSRF-checked.
        llm_allowed_hosts=["127.0.0.1"],
        lease_seconds=2.0,
    )
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
