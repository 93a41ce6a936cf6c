"""Graph checks: ids, needs, cycles, switches, handlers, compensations, limits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowwright.workflow.domain.dsl import CompileLimits

if TYPE_CHECKING:
    from testkit import Dsl


def _t(step_id: str, needs: str = "", extra: str = "") -> str:
    needs_part = f", needs: [{needs}]" if needs else ""
    return f"  - {{id: {step_id}, type: transform, output: 1{needs_part}{extra}}}\n"


def test_duplicate_ids_across_nesting(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        + _t("a")
        + "  - id: p\n    type: parallel\n    branches:\n      - name: x\n        steps:\n"
        + "        "
        + _t("a")
    )
    diagnostic = dsl.one(body, "duplicate-step-id")
    assert diagnostic.path == "steps[1].branches[0].steps[0].id"
    assert diagnostic.hint is not None
    assert "line 5" in diagnostic.hint


def test_unknown_need_hints_at_closest(dsl: Dsl) -> None:
    diagnostic = dsl.one("steps:\n" + _t("fetch") + _t("use", "fetsh"), "unknown-need")
    assert diagnostic.hint == "did you mean 'fetch'?"
    assert diagnostic.path == "steps[1].needs[0]"


def test_needs_cannot_cross_scopes(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        + _t("a")
        + "  - id: loop\n    type: foreach\n    items: ${{ [1, 2] }}\n    steps:\n    "
        + _t("inner", "a")
    )
    diagnostic = dsl.one(body, "unknown-need")
    assert diagnostic.hint == "only steps of the same list can be named here"


def test_self_need(dsl: Dsl) -> None:
    assert dsl.codes("steps:\n" + _t("a", "a")) == ["self-need"]


def test_cycle_message_shows_the_path(dsl: Dsl) -> None:
    body = "steps:\n" + _t("a", "c") + _t("b", "a") + _t("c", "b") + _t("d", "c")
    diagnostic = dsl.one(body, "cycle")
    assert diagnostic.message.startswith("dependency cycle: a -> c -> b -> a")


def test_two_step_cycle_and_self_loop_free_rest(dsl: Dsl) -> None:
    body = "steps:\n" + _t("a", "b") + _t("b", "a") + _t("c")
    assert dsl.codes(body) == ["cycle"]


def test_cycle_through_an_error_handler(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        "  - {id: call, type: http, url: 'https://x.example.com', needs: [handler], on_error: "
        "{goto: handler}}\n" + _t("handler")
    )
    assert dsl.codes(body) == ["cycle"]


def test_transitive_upstream_is_enough(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        + _t("a")
        + _t("b", "a")
        + "  - {id: c, type: transform, needs: [b], output: '${{ steps.a.output }}'}\n"
    )
    dsl.ok(body)


def test_switch_targets_must_need_the_switch(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: s\n    type: switch\n    cases:\n"
        "      - {when: '${{ true }}', goto: [a]}\n"
        "    default: [b]\n" + _t("a", "s") + _t("b")
    )
    diagnostic = dsl.one(body, "invalid-switch-target")
    assert diagnostic.path == "steps[0].default[0]"
    assert diagnostic.hint == "add 's' to the needs of 'b'"


def test_switch_cannot_route_to_itself(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: s\n    type: switch\n    cases:\n"
        "      - {when: '${{ true }}', goto: [s]}\n"
    )
    assert "invalid-switch-target" in dsl.codes(body)


def test_join_after_switch_is_reachable(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: s\n    type: switch\n    cases:\n"
        "      - {when: '${{ true }}', goto: [a]}\n"
        "    default: [b]\n" + _t("a", "s") + _t("b", "s") + _t("join", "a, b")
    )
    result = dsl.ok(body)
    assert result.diagnostics == []


def test_unreachable_steps_are_warned(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: s\n    type: switch\n    cases:\n"
        "      - {when: '${{ true }}', goto: [a]}\n"
        + _t("a", "s")
        + _t("orphan", "s")
        + _t("after_orphan", "orphan")
        + _t("never", "", ", if: '${{ false }}'")
    )
    result = dsl.ok(body)
    warnings = {(d.code, d.path) for d in result.warnings}
    assert warnings == {
        ("unreachable-step", "steps[2].id"),
        ("unreachable-step", "steps[3].id"),
        ("unreachable-step", "steps[4].id"),
    }


def test_error_handler_rules(dsl: Dsl) -> None:
    call = "  - {id: call, type: http, url: 'https://x.example.com', on_error: {goto: %s}}\n"
    handler = "  - {id: handler, type: transform, output: '${{ steps.call.error.message }}'}\n"
    dsl.ok("steps:\n" + call % "handler" + handler)
    assert dsl.codes("steps:\n" + call % "call") == ["invalid-error-handler"]
    assert dsl.codes("steps:\n" + call % "nowhere") == ["invalid-error-handler"]


def test_compensation_rules(dsl: Dsl) -> None:
    compensations = "compensations:\n  - {id: undo, type: http, method: POST, url: 'https://x.example.com/undo'}\n"
    step = (
        "steps:\n"
        "  - {id: do, type: http, method: POST, url: 'https://x.example.com', compensate_with: "
        "%s}\n"
    )
    dsl.ok(step % "undo" + compensations)
    assert dsl.codes(step % "und" + compensations) == [
        "unknown-compensation",
        "unused-compensation",
    ]
    assert dsl.codes(step % "do") == ["unknown-compensation"]
    unused = dsl.compile("steps:\n" + _t("a") + compensations)
    assert unused.ok
    assert [d.code for d in unused.warnings] == ["unused-compensation"]


def test_compensation_step_cannot_be_a_switch(dsl: Dsl) -> None:
    body = (
        "steps:\n"
        "  - {id: do, type: http, method: POST, url: 'https://x.example.com', compensate_with: "
        "undo}\n"
        "compensations:\n  - id: undo\n    type: switch\n"
        "    cases: [{when: '${{ true }}', goto: [x]}]\n"
    )
    assert "invalid-compensation" in dsl.codes(body)


def test_too_many_steps_is_configurable(dsl: Dsl) -> None:
    body = "steps:\n" + "".join(_t(f"s{i}") for i in range(6))
    limits = CompileLimits(max_steps=5)
    assert dsl.codes(body, limits=limits) == ["too-many-steps"]
    dsl.ok(body)


def test_nesting_depth_is_configurable(dsl: Dsl) -> None:
    body = (
        "steps:\n  - id: outer\n    type: foreach\n    items: ${{ [1] }}\n    steps:\n"
        "      - id: inner\n        type: foreach\n        items: ${{ [2] }}\n        steps:\n"
        "          - {id: leaf, type: transform, output: '${{ item }}'}\n"
    )
    dsl.ok(body)
    assert dsl.codes(body, limits=CompileLimits(max_nesting_depth=2)) == ["nesting-too-deep"]
