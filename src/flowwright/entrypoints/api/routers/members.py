"""Members of the current tenant: users and their roles."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from flowwright.entrypoints.api.deps import ContainerDep, CurrentPrincipal
from flowwright.tenancy.application import members as use_cases
from flowwright.tenancy.domain.roles import Role

router = APIRouter(tags=["members"])


class MemberOut(BaseModel):
    id: str = Field(description="Membership id.")
    user_id: str
    email: str
    display_name: str
    role: Role
    created_at: str

    @classmethod
    def of(cls, member: use_cases.Member) -> MemberOut:
        return cls(
            id=member.membership_id,
            user_id=member.user_id,
            email=member.email,
            display_name=member.display_name,
            role=member.role,
            created_at=member.created_at,
        )


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    role: Role
    password: str | None = Field(
        default=None, max_length=1024, description="Sets the password of a new user."
    )
    display_name: str | None = Field(default=None, max_length=200)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role


@router.post(
    "/members",
    status_code=status.HTTP_201_CREATED,
    response_model=MemberOut,
    summary="Add a user (new or existing) to the current tenant",
)
async def add_member(
    body: MemberCreate, principal: CurrentPrincipal, container: ContainerDep
) -> MemberOut:
    member = await use_cases.add_member(
        use_cases.AddMember(
            email=body.email, role=body.role, password=body.password, display_name=body.display_name
        ),
        actor=principal,
        uow_factory=container.tenancy,
        hasher=container.hasher,
        clock=container.clock,
    )
    return MemberOut.of(member)


@router.get("/members", response_model=list[MemberOut])
async def list_members(principal: CurrentPrincipal, container: ContainerDep) -> list[MemberOut]:
    members = await use_cases.list_members(actor=principal, uow_factory=container.tenancy)
    return [MemberOut.of(m) for m in members]


@router.get("/members/{membership_id}", response_model=MemberOut)
async def get_member(
    membership_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> MemberOut:
    member = await use_cases.get_member(
        membership_id, actor=principal, uow_factory=container.tenancy
    )
    return MemberOut.of(member)


@router.patch("/members/{membership_id}", response_model=MemberOut)
async def change_role(
    membership_id: str, body: MemberUpdate, principal: CurrentPrincipal, container: ContainerDep
) -> MemberOut:
    member = await use_cases.change_role(
        membership_id, body.role, actor=principal, uow_factory=container.tenancy
    )
    return MemberOut.of(member)


@router.delete(
    "/members/{membership_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def remove_member(
    membership_id: str, principal: CurrentPrincipal, container: ContainerDep
) -> Response:
    await use_cases.remove_member(
        membership_id, actor=principal, uow_factory=container.tenancy, clock=container.clock
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
