"""Tenant secrets: values go in and never come out (reads return names and dates only)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal
from flowwright.tenancy.application import secrets as use_cases

router = APIRouter(tags=["secrets"])


class SecretOut(BaseModel):
    name: str
    created_at: datetime
    updated_at: datetime
    created_by: str | None

    @classmethod
    def of(cls, info: use_cases.SecretInfo) -> SecretOut:
        return cls(
            name=info.name,
            created_at=info.created_at,
            updated_at=info.updated_at,
            created_by=info.created_by,
        )


class SecretPut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # SecretStr: the value never appears in reprs, logs or validation errors.
    value: SecretStr = Field(description="The secret value. It is never returned.")


@router.put(
    "/secrets/{name}",
    response_model=SecretOut,
    responses={201: {"model": SecretOut, "description": "Created"}},
    summary="Create or replace a secret (admins); the value is stored encrypted",
)
async def put_secret(
    name: str,
    body: SecretPut,
    response: Response,
    principal: CurrentPrincipal,
    container: ContainerDep,
) -> SecretOut:
    info, created = await use_cases.set_secret(
        name,
        body.value.get_secret_value(),
        actor=principal,
        uow_factory=container.tenancy,
        cipher=container.secret_cipher,
        clock=container.clock,
    )
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return SecretOut.of(info)


@router.get("/secrets", response_model=list[SecretOut], summary="Secret names and dates")
async def list_secrets(principal: CurrentPrincipal, container: ContainerDep) -> list[SecretOut]:
    infos = await use_cases.list_secrets(actor=principal, uow_factory=container.tenancy)
    return [SecretOut.of(info) for info in infos]


@router.get("/secrets/{name}", response_model=SecretOut, summary="One secret's name and dates")
async def get_secret(name: str, principal: CurrentPrincipal, container: ContainerDep) -> SecretOut:
    info = await use_cases.get_secret_info(name, actor=principal, uow_factory=container.tenancy)
    return SecretOut.of(info)


@router.delete("/secrets/{name}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_secret(
    name: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    await use_cases.delete_secret(name, actor=principal, uow_factory=container.tenancy)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
