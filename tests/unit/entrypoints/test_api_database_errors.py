"""A request whose database connection is lost mid-transaction answers 503 with Retry-After, not
500; any other database error is still an internal error."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError, IntegrityError

from flowwright.entrypoints.api.problems import install_problem_handlers


class DriverError(Exception):
    pass


def app_raising(error: Exception) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        return await client.get("/boom")


async def test_a_lost_connection_is_a_503_the_client_may_retry() -> None:
    lost = DBAPIError(
        "SELECT 1", {}, DriverError("connection is closed"), connection_invalidated=True
    )

    response = await get(app_raising(lost))

    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["code"] == "database_unavailable"


@pytest.mark.parametrize(
    "error",
    [IntegrityError("INSERT", {}, DriverError("duplicate key")), RuntimeError("bug")],
    ids=["statement error", "bug"],
)
async def test_other_errors_stay_internal_errors(error: Exception) -> None:
    response = await get(app_raising(error))

    assert response.status_code == 500
    assert response.json()["code"] == "internal"
