"""Publishing versions: content hashes, validation against the tenant, reads and diffs."""

from __future__ import annotations

import pytest
from engine_kit import INSTALLATION, owner_of, publish, source

from flowwright.kernel.clock import FixedClock
from flowwright.kernel.errors import NotFound
from flowwright.workflow.adapters.memory import (
    InMemoryEngineUnitOfWorkFactory,
    InMemoryWorkflowStore,
)
from flowwright.workflow.application.versions import (
    InvalidDefinition,
    diff_versions,
    get_version,
    list_versions,
    list_workflows,
    validate,
)
from flowwright.workflow.domain.caller import Caller

V1 = """
steps:
  - {id: greet, type: transform, output: hello}
"""
V1_REFORMATTED = """
steps:
  - output: hello
    type: transform
    id: greet
"""
V2 = """
inputs:
  name: {type: string, default: world}
steps:
  - {id: greet, type: transform, output: "hello ${{ inputs.name }}"}
  - {id: shout, type: transform, needs: [greet], output: "${{ upper(steps.greet.output) }}"}
"""
HOOKED = """
triggers:
  - {type: webhook, path: crm/contacts}
steps:
  - {id: greet, type: transform, output: hello}
"""


async def test_the_first_push_creates_version_1_and_publishes_an_event(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    pushed = await publish(uow_factory, clock, owner, "greeter", V1)

    assert pushed.created
    assert (pushed.workflow.name, pushed.workflow.latest_version) == ("greeter", 1)
    assert pushed.version.version == 1
    assert pushed.version.created_by == owner.user_id
    (event,) = store.events_named("workflow.WorkflowVersionPublished")
    assert event.tenant_id == "acme"
    assert event.payload["workflow"] == "greeter"
    assert event.payload["version"] == 1
    assert event.payload["content_hash"] == pushed.version.content_hash


async def test_pushing_the_same_content_makes_no_new_version(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    first = await publish(uow_factory, clock, owner, "greeter", V1)

    again = await publish(uow_factory, clock, owner, "greeter", V1_REFORMATTED)

    assert not again.created
    assert again.version.id == first.version.id
    assert len(store.versions) == 1
    assert len(store.outbox) == 1


async def test_changed_content_makes_version_2_and_going_back_makes_version_3(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    clock: FixedClock,
    owner: Caller,
) -> None:
    v1 = await publish(uow_factory, clock, owner, "greeter", V1)
    v2 = await publish(uow_factory, clock, owner, "greeter", V2)
    v3 = await publish(uow_factory, clock, owner, "greeter", V1)

    assert (v2.created, v2.version.version) == (True, 2)
    assert (v3.created, v3.version.version) == (True, 3)
    assert v3.version.content_hash == v1.version.content_hash
    workflow, versions = await list_versions("greeter", caller=owner, uow_factory=uow_factory)
    assert workflow.latest_version == 3
    assert [v.version for v in versions] == [1, 2, 3]
    _, latest = await get_version("greeter", None, caller=owner, uow_factory=uow_factory)
    assert latest.version == 3
    _, second = await get_version("greeter", 2, caller=owner, uow_factory=uow_factory)
    assert second.source == source("greeter", V2)


async def test_an_invalid_definition_is_refused_with_its_diagnostics_and_nothing_is_saved(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    with pytest.raises(InvalidDefinition) as refused:
        await publish(
            uow_factory,
            clock,
            owner,
            "broken",
            """
            steps:
              - {id: a, type: transform, needs: [missing], output: 1}
            """,
        )

    diagnostics = refused.value.details["diagnostics"]
    assert [d["code"] for d in diagnostics] == ["unknown-need"]
    assert diagnostics[0]["line"] == 6
    assert refused.value.code == "invalid_definition"
    assert store.workflows == {} and store.versions == {} and store.outbox == []


async def test_a_webhook_path_taken_by_another_workflow_of_the_tenant_is_refused(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "contacts", HOOKED)

    with pytest.raises(InvalidDefinition) as refused:
        await publish(uow_factory, clock, owner, "copycat", HOOKED)

    codes = [d["code"] for d in refused.value.details["diagnostics"]]
    assert codes == ["duplicate-webhook-path"]
    assert {w.name for w in store.workflows.values()} == {"contacts"}
    # The owner of the path may publish it again, and another tenant may use the same path.
    changed = HOOKED.replace("output: hello", "output: hi")
    assert (await publish(uow_factory, clock, owner, "contacts", changed)).created
    assert (await publish(uow_factory, clock, owner_of("globex"), "copycat", HOOKED)).created


async def test_a_subworkflow_must_name_a_workflow_of_the_tenant(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, owner: Caller
) -> None:
    parent = """
    steps:
      - {id: child, type: subworkflow, workflow: greeter}
    """
    with pytest.raises(InvalidDefinition) as refused:
        await publish(uow_factory, clock, owner, "parent", parent)
    assert [d["code"] for d in refused.value.details["diagnostics"]] == ["unknown-workflow"]

    await publish(uow_factory, clock, owner, "greeter", V1)
    assert (await publish(uow_factory, clock, owner, "parent", parent)).created


async def test_validate_compiles_against_the_tenant_without_saving(
    uow_factory: InMemoryEngineUnitOfWorkFactory,
    store: InMemoryWorkflowStore,
    clock: FixedClock,
    owner: Caller,
) -> None:
    await publish(uow_factory, clock, owner, "contacts", HOOKED)

    ok = await validate(
        source("contacts", HOOKED),
        caller=owner,
        uow_factory=uow_factory,
        installation=INSTALLATION,
    )
    taken = await validate(
        source("other", HOOKED), caller=owner, uow_factory=uow_factory, installation=INSTALLATION
    )

    assert ok.ok
    assert [d.code for d in taken.errors] == ["duplicate-webhook-path"]
    assert len(store.versions) == 1


async def test_diff_names_what_changed_between_two_versions(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, owner: Caller
) -> None:
    await publish(uow_factory, clock, owner, "greeter", V1)
    await publish(uow_factory, clock, owner, "greeter", V2)

    diff = await diff_versions("greeter", 1, 2, caller=owner, uow_factory=uow_factory)

    assert diff.steps_added == ["shout"]
    assert [change.id for change in diff.steps_changed] == ["greet"]
    assert diff.inputs_added == ["name"]
    same = await diff_versions("greeter", 1, 1, caller=owner, uow_factory=uow_factory)
    assert same.is_empty


async def test_workflows_and_versions_of_another_tenant_are_not_found(
    uow_factory: InMemoryEngineUnitOfWorkFactory, clock: FixedClock, owner: Caller
) -> None:
    await publish(uow_factory, clock, owner, "greeter", V1)
    stranger = owner_of("globex")

    assert await list_workflows(caller=stranger, uow_factory=uow_factory) == []
    with pytest.raises(NotFound):
        await get_version("greeter", 1, caller=stranger, uow_factory=uow_factory)
    with pytest.raises(NotFound):
        await get_version("greeter", 9, caller=owner, uow_factory=uow_factory)
    assert [w.name for w in await list_workflows(caller=owner, uow_factory=uow_factory)] == [
        "greeter"
    ]
