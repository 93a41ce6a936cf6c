"""Parallel and foreach: nested scopes, joins, item windows, and failures moving outwards."""

from __future__ import annotations

from run_driver import Driver

from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

FAN_OUT = """
steps:
  - id: fan
    type: parallel
    join: {join}
    branches:
      - name: chat
        steps:
          - {{id: post_chat, type: http, url: "https://chat.example.com"}}
          - id: chat_done
            type: transform
            needs: [post_chat]
            output: "${{{{ steps.post_chat.output }}}}"
      - name: pager
        steps:
          - {{id: page, type: http, url: "https://pager.example.com"}}
  - {{id: after, type: transform, needs: [fan], output: "${{{{ steps.fan.output }}}}"}}
"""


def fan_out(join: str) -> Driver:
    return Driver(FAN_OUT.format(join=join)).start()


def test_parallel_join_all_waits_for_every_branch_and_outputs_each_last_step() -> None:
    run = fan_out("all")
    assert run.status("fan") is StepStatus.WAITING
    assert run.ready() == ["fan/chat/post_chat", "fan/pager/page"]

    run.succeed("fan/pager/page", "paged")
    assert run.status("fan") is StepStatus.WAITING
    run.succeed("fan/chat/post_chat", "posted")

    assert run.output("fan") == {"chat": "posted", "pager": "paged"}
    assert run.output("after") == {"chat": "posted", "pager": "paged"}
    assert run.run_status() is RunStatus.SUCCEEDED


def test_parallel_join_all_fails_when_a_branch_fails_and_cancels_the_others() -> None:
    run = fan_out("all")

    run.fail("fan/pager/page", "HTTP_500", message="down")

    assert run.statuses() == {
        "fan": "failed",
        "after": "cancelled",
        "fan/chat/post_chat": "cancelled",
        "fan/chat/chat_done": "cancelled",
        "fan/pager/page": "failed",
    }
    error = run.instance("fan").error
    assert error is not None
    assert error["code"] == "HTTP_500"
    assert error["failed_step"] == "fan/pager/page"
    assert error["message"] == "pager: step fan/pager/page failed: down"
    assert run.run_status() is RunStatus.FAILED
    assert run.state.error is not None and run.state.error["step"] == "fan"


def test_parallel_join_any_takes_the_first_branch_to_finish_and_cancels_the_rest() -> None:
    run = fan_out("any")

    run.succeed("fan/pager/page", "paged")

    assert run.status("fan") is StepStatus.SUCCEEDED
    assert run.status("fan/chat/post_chat") is StepStatus.CANCELLED
    assert run.instance("fan/chat/post_chat").reason == "another branch won"
    # Branches that did not finish are null (docs/dsl.md, parallel).
    assert run.output("fan") == {"chat": None, "pager": "paged"}
    assert run.run_status() is RunStatus.SUCCEEDED


def test_parallel_join_any_survives_a_failed_branch_and_fails_when_all_fail() -> None:
    run = fan_out("any")

    run.fail("fan/pager/page")
    assert run.status("fan") is StepStatus.WAITING
    assert run.run_status() is RunStatus.RUNNING

    run.fail("fan/chat/post_chat", "HTTP_503")
    assert run.status("fan") is StepStatus.FAILED
    assert run.run_status() is RunStatus.FAILED


def test_parallel_join_any_succeeds_with_a_branch_that_finishes_after_another_failed() -> None:
    run = fan_out("any")

    run.fail("fan/pager/page")
    run.succeed("fan/chat/post_chat", "posted")

    assert run.output("fan") == {"chat": "posted", "pager": None}
    assert run.run_status() is RunStatus.SUCCEEDED


LOOP = """
inputs:
  names: {{type: array}}
steps:
  - id: each
    type: foreach
    items: ${{{{ inputs.names }}}}
    max_concurrency: {window}
    on_item_error: {policy}
    steps:
      - {{id: greet, type: http, url: "https://api.example.com"}}
      - id: label
        type: transform
        needs: [greet]
        output: "${{{{ index }}}}:${{{{ item }}}}:${{{{ steps.greet.output }}}}"
outputs:
  labels: ${{{{ steps.each.output }}}}
"""


def loop(names: list[str], *, window: int = 4, policy: str = "fail") -> Driver:
    return Driver(LOOP.format(window=window, policy=policy)).start({"names": names})


def test_foreach_runs_at_most_max_concurrency_items_at_once() -> None:
    run = loop(["a", "b", "c", "d", "e"], window=2)
    assert run.ready() == ["each[0]/greet", "each[1]/greet"]

    run.succeed("each[1]/greet", "hi")
    # One item finished: one more starts.
    assert run.ready() == ["each[0]/greet", "each[2]/greet"]
    assert "each[3]/greet" not in run.state.instances


def test_foreach_results_are_in_item_order_whatever_the_finishing_order() -> None:
    run = loop(["ann", "bob", "cy"], window=3)

    for key in ("each[2]/greet", "each[0]/greet", "each[1]/greet"):
        run.succeed(key, "hi")

    assert run.output("each") == ["0:ann:hi", "1:bob:hi", "2:cy:hi"]
    assert run.state.outputs == {"labels": ["0:ann:hi", "1:bob:hi", "2:cy:hi"]}
    assert run.run_status() is RunStatus.SUCCEEDED


def test_foreach_results_are_read_at_its_end_and_not_kept_in_its_state() -> None:
    run = loop(["ann", "bob"], window=1)
    run.succeed("each[0]/greet", "hi")

    assert "results" not in run.state.instances["each"].state  # written on every iteration
    run.succeed("each[1]/greet", "yo")
    assert run.output("each") == ["0:ann:hi", "1:bob:yo"]


def test_a_foreach_that_kept_its_results_in_its_state_goes_on_doing_so() -> None:
    run = loop(["ann", "bob"], window=1)
    run.state.instances["each"].state["results"] = [None, None]  # as stored by earlier versions
    run.succeed("each[0]/greet", "hi")
    run.state.instances["each"].state["results"][0] = "kept"  # what the state says wins

    run.succeed("each[1]/greet", "yo")

    assert run.output("each") == ["kept", "1:bob:yo"]


def test_foreach_over_an_empty_list_succeeds_at_once_with_an_empty_list() -> None:
    run = loop([])

    assert run.output("each") == []
    assert run.run_status() is RunStatus.SUCCEEDED


def test_foreach_on_item_error_fail_cancels_the_other_items_and_fails() -> None:
    run = loop(["a", "b", "c", "d"], window=2)
    run.succeed("each[0]/greet", "hi")

    run.fail("each[1]/greet", "HTTP_500")

    assert run.status("each[2]/greet") is StepStatus.CANCELLED
    assert run.status("each[0]/label") is StepStatus.SUCCEEDED
    assert "each[3]/greet" not in run.state.instances
    error = run.instance("each").error
    assert error is not None and error["code"] == "HTTP_500"
    assert error["message"].startswith("item 1: step each[1]/greet failed")
    assert run.run_status() is RunStatus.FAILED


def test_foreach_on_item_error_continue_gives_null_for_the_failed_item() -> None:
    run = loop(["a", "b", "c"], policy="continue")

    run.succeed("each[0]/greet", "hi")
    run.fail("each[1]/greet", "HTTP_404", message="gone")
    run.succeed("each[2]/greet", "yo")

    assert run.output("each") == ["0:a:hi", None, "2:c:yo"]
    errors = run.instance("each").state["errors"]
    assert errors["1"]["code"] == "HTTP_404"
    assert run.run_status() is RunStatus.SUCCEEDED


def test_foreach_items_that_are_not_a_list_fail_the_step() -> None:
    run = Driver("""
    inputs:
      names: {type: string}
    steps:
      - id: each
        type: foreach
        items: "${{ inputs.names }}"
        steps: [{id: t, type: transform, output: 1}]
    """).start({"names": "ann"})

    error = run.instance("each").error
    assert error is not None and error["code"] == "invalid_items"
    assert run.run_status() is RunStatus.FAILED


def test_a_nested_step_reads_the_steps_of_its_enclosing_scopes() -> None:
    run = Driver("""
    steps:
      - {id: base, type: transform, output: 10}
      - id: each
        type: foreach
        needs: [base]
        items: "${{ [1, 2] }}"
        steps:
          - {id: scaled, type: transform, output: "${{ item * steps.base.output }}"}
    """).start()

    assert run.output("each") == [10, 20]


def test_a_failed_container_with_on_error_continue_lets_the_run_go_on() -> None:
    run = Driver("""
    steps:
      - id: fan
        type: parallel
        on_error: continue
        branches:
          - name: one
            steps: [{id: call, type: http, url: "https://api.example.com"}]
      - {id: after, type: transform, needs: [fan], output: "${{ steps.fan.status }}"}
    """).start()

    run.fail("fan/one/call")

    assert run.output("after") == "failed"
    assert run.run_status() is RunStatus.SUCCEEDED
