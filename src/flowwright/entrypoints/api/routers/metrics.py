"""Prometheus metrics of this process, for installation administrators.

Metrics name tenants and providers, so they are not public: scrape with an administrator's API
key (Prometheus ``authorization: {type: Bearer, credentials_file: ...}``).
"""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (installation administrators)",
)
async def metrics(principal: CurrentPrincipal, container: ContainerDep) -> Response:
    principal.require_admin()
    return Response(generate_latest(container.metrics), media_type=CONTENT_TYPE_LATEST)
