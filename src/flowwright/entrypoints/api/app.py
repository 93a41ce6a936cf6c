"""The FastAPI application: an explicit allowlist of public routes; all others authenticated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from flowwright import __version__
from flowwright.bootstrap import Container
from flowwright.entrypoints.api.deps import get_principal
from flowwright.entrypoints.api.middleware import RequestContextMiddleware
from flowwright.entrypoints.api.problems import install_problem_handlers
from flowwright.entrypoints.api.routers import (
    api_keys,
    auth,
    conversations,
    health,
    llm_calls,
    llm_catalog,
    members,
    metrics,
    runs,
    secrets,
    tenants,
    usage,
    workflows,
)

API_PREFIX = "/v1"

# The only routes reachable without credentials. A test enumerates every route of the app and
# proves that each one not listed here answers 401 without valid credentials.
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {
        ("GET", "/healthz"),
        ("GET", "/v1/healthz"),
        ("GET", "/v1/readyz"),
        ("POST", "/v1/auth/login"),
        ("GET", "/openapi.json"),
        ("GET", "/v1/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/docs/oauth2-redirect"),
        ("GET", "/redoc"),
        ("GET", "/v1/schemas/workflow-v1.json"),
    }
)


def create_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="Flowwright",
        version=__version__,
        description="Describe an automation, review it, and run it durably.",
    )
    app.state.container = container
    install_problem_handlers(app)

    public = APIRouter(prefix=API_PREFIX)
    public.include_router(health.router)
    public.include_router(auth.public_router)
    public.include_router(workflows.public_router)

    protected = APIRouter(prefix=API_PREFIX, dependencies=[Depends(get_principal)])
    for module in (auth, tenants, members, api_keys, workflows, runs, conversations):
        protected.include_router(module.router)
    for module in (secrets, llm_catalog, llm_calls, usage):
        protected.include_router(module.router)

    app.include_router(public)
    app.include_router(protected)
    # Prometheus scrapes /metrics by convention; it requires an administrator's credential.
    app.include_router(metrics.router, dependencies=[Depends(get_principal)])
    app.add_api_route("/healthz", health.healthz, methods=["GET"], include_in_schema=False)
    app.add_api_route(
        "/v1/openapi.json", lambda: app.openapi(), methods=["GET"], include_in_schema=False
    )
    app.add_middleware(
        RequestContextMiddleware, max_body_bytes=container.settings.max_request_bytes
    )
    return app


def iter_routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the app serves, including those of included routers.

    FastAPI resolves included routers lazily; their effective routes are read through
    ``effective_route_contexts`` where the installed FastAPI has it.
    """
    yield from _walk(app.routes)


def _walk(routes: list[Any]) -> Iterator[tuple[str, str]]:
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            yield from _walk(list(contexts()))
            continue
        for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD", "OPTIONS"}):
            yield method, route.path
