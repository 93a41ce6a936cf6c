"""How a run moves forward: the engine's decisions, as pure functions of the run's state.

A step instance becomes *ready* when every step it needs has finished; it is *skipped* instead when
its condition is false, when it is a switch target that the switch did not choose, when every step
it needs was skipped, or when it needs a step whose failure was routed to a handler. A failed step
with ``on_error: continue`` counts as finished; with ``on_error: {goto: h}`` the handler ``h``
runs instead of its dependents; otherwise the failure fails its scope: the scope's unfinished
steps are cancelled and the failure moves to the enclosing container, and finally to the run.
When a run fails, the compensations of the steps that succeeded run one by one in the reverse
order of completion.

``RunProgress`` never executes a step itself: it marks instances ready, and the caller executes
them (at once, for steps that only compute, or through a worker's lease for steps with effects).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flowwright.workflow.domain.expressions import ExpressionError
from flowwright.workflow.domain.runs.context import context_for
from flowwright.workflow.domain.runs.keys import (
    COMPENSATION_SCOPE,
    ROOT,
    branch_scope,
    instance_key,
    iteration_scope,
)
from flowwright.workflow.domain.runs.outcome import Failed
from flowwright.workflow.domain.runs.plan import RunPlan, StepSpec
from flowwright.workflow.domain.runs.state import HistoryEntry, Instance, RunState
from flowwright.workflow.domain.runs.status import TERMINAL_STEP, RunStatus, StepStatus
from flowwright.workflow.domain.runs.templates import render

ACTIVE = frozenset({StepStatus.READY, StepStatus.RUNNING, StepStatus.WAITING})


class RunProgress:
    def __init__(self, plan: RunPlan, state: RunState, now: datetime) -> None:
        self.plan = plan
        self.state = state
        self.now = now
        self.ready: list[str] = []  # instance keys made ready by this pass, in order
        self.cancelled_children: list[str] = []  # child run ids to cancel
        self.finished_now = False  # the run ended in this pass

    # --- history ---------------------------------------------------------------------------

    def record(self, kind: str, instance: Instance | None = None, **data: Any) -> None:
        self.state.history.append(
            HistoryEntry(
                type=kind,
                step_key=instance.key if instance else None,
                attempt=instance.attempt if instance else None,
                data=data,
                at=self.now,
            )
        )

    # --- entry points ----------------------------------------------------------------------

    def start(self) -> None:
        self.record("run_started", inputs=self.state.inputs)
        self._set_run_status(RunStatus.RUNNING, None)
        context = context_for(self.state, ROOT)
        for name, value in self.plan.execution.vars.items():
            try:
                self.state.vars[name] = render(value, context)
            except ExpressionError as exc:
                self._end_run(
                    RunStatus.FAILED,
                    f"vars.{name}: {exc.message}",
                    error={"code": "expression_error", "message": exc.message, "var": name},
                )
                return
            context["vars"] = self.state.vars
        self.state.changed = True
        self._open_scope(ROOT)

    def succeed(self, key: str, output: Any, **details: Any) -> None:
        instance = self.state.instances[key]
        self._finish(instance, StepStatus.SUCCEEDED, output=output)
        self.record("step_succeeded", instance, **details)
        self._after_finish(instance)

    def fail(self, key: str, failure: Failed, *, allow_retry: bool = True) -> None:
        """Record a failed attempt: retry it later if the policy allows, else fail the step."""
        instance = self.state.instances[key]
        spec = self.plan.steps[instance.step_id]
        error = {"code": failure.code, "message": failure.message, **failure.details}
        # Attempts lost with their worker never ended; the retry policy counts those that did.
        ended = instance.attempt - instance.lease_losses
        if allow_retry and spec.retry.allows_retry(ended, failure.code, failure.retryable):
            delay_ms = spec.retry.delay_ms(ended)
            instance.status = StepStatus.READY
            instance.ready_at = _plus_ms(self.now, delay_ms)
            instance.error = error
            instance.touch()
            self.record("step_retried", instance, error=error, delay_ms=delay_ms)
            return
        self._finish(instance, StepStatus.FAILED, error=error)
        self.record("step_failed", instance, error=error)
        self._after_finish(instance)

    def wait(self, key: str, wake_at: datetime | None, state: dict[str, Any]) -> None:
        instance = self.state.instances[key]
        instance.status = StepStatus.WAITING
        instance.wake_at = wake_at
        instance.state.update(state)
        instance.touch()

    def cancel_run(self, reason: str, *, status: RunStatus = RunStatus.CANCELLED) -> None:
        self._cancel_scope_tree(ROOT, reason)
        for key in list(self.state.instances):
            if key.startswith(COMPENSATION_SCOPE):
                self._cancel_instance(self.state.instances[key], reason)
        self._end_run(status, reason, error={"code": status.value, "message": reason})

    def resume(self) -> list[str]:
        """Put failed and cancelled steps back to pending; finished work is kept."""
        reset: list[str] = []
        undone = (StepStatus.FAILED, StepStatus.CANCELLED)
        touched_scopes = {
            i.scope_key
            for i in self.state.instances.values()
            if i.status in undone and not i.key.startswith(COMPENSATION_SCOPE)
        }
        for instance in self.state.instances.values():
            if instance.key.startswith(COMPENSATION_SCOPE):
                continue
            # Skips are decided again: they may have followed from the failure.
            redo_skip = (
                instance.status is StepStatus.SKIPPED and instance.scope_key in touched_scopes
            )
            if instance.status in undone or redo_skip:
                instance.status = StepStatus.PENDING
                instance.attempt = 0
                instance.lease_losses = 0
                instance.error = None
                instance.reason = None
                instance.handled = False
                instance.wake_at = None
                instance.touch()
                reset.append(instance.key)
        self.state.state.pop("compensation", None)
        self.state.outputs = None
        self.state.error = None
        self.state.finished_at = None
        self.record("run_resumed", steps=reset)
        self._set_run_status(RunStatus.RUNNING, None)
        reset_set = set(reset)
        for scope_key in sorted({self.state.instances[k].scope_key for k in reset}, key=len):
            if not self._inside_reset_container(scope_key, reset_set):
                self._settle(scope_key)
        return reset

    def _inside_reset_container(self, scope_key: str, reset: set[str]) -> bool:
        located = self.state.container_of(scope_key)
        while located is not None:
            if located[0].key in reset:
                return True
            located = self.state.container_of(located[0].scope_key)
        return False

    # --- scopes ----------------------------------------------------------------------------

    def _open_scope(self, scope_key: str, definition_scope: str | None = None) -> None:
        name = scope_key if definition_scope is None else definition_scope
        for spec in self.plan.scope_steps(name):
            key = instance_key(scope_key, spec.id)
            if key not in self.state.instances:
                self.state.add(
                    Instance(key, spec.id, scope_key, StepStatus.PENDING, step_type=spec.type)
                )
        self._settle(scope_key)

    def _settle(self, scope_key: str, ended: str | None = None) -> None:
        """Decide every pending instance of the scope whose needs have finished.

        After the scope's step ``ended`` ended, only the steps that need it or handle its
        failure can be decided, and in turn those of each step this decides to end: only they
        are examined, the others passed over by their id (a chain's every step was otherwise
        examined again after each of its steps), and the pass ends when none are left.
        """
        scope = self.state.scope(scope_key)
        dependents = self.plan.dependents
        candidates = None if ended is None else set(dependents.get(ended, ()))
        progressed = True
        while progressed and (candidates is None or candidates):
            progressed = False
            for instance in list(scope.values()):
                if instance.status is not StepStatus.PENDING:
                    continue
                if candidates is not None and instance.step_id not in candidates:
                    continue
                spec = self.plan.steps[instance.step_id]
                if spec.is_handler:
                    # Rule 5, decided as soon as the steps routing here finished (a failure
                    # would have made the handler ready), so steps that need it are decided too.
                    if self._routed_steps_finished(scope, spec.id):
                        self._skip(instance, "no step it handles failed")
                        progressed = True
                        if candidates is not None:
                            candidates |= dependents.get(spec.id, frozenset())
                    continue
                needs = [scope.get(need) for need in spec.needs]
                if any(n is None or not n.status.is_terminal for n in needs):
                    continue
                finished = [n for n in needs if n is not None]
                reason = self._skip_reason(instance, spec, finished)
                if reason is None:
                    # Another pass is needed only after a step ended (skipped or failed here):
                    # a step becoming ready decides nothing that needs it.
                    self._make_ready(instance)
                else:
                    if reason:
                        self._skip(instance, reason)
                    progressed = True
                    if candidates is not None:
                        candidates |= dependents.get(spec.id, frozenset())
        if scope and all(i.status.is_terminal for i in scope.values()):
            self._scope_done(scope_key)

    def _skip_reason(self, instance: Instance, spec: StepSpec, needs: list[Instance]) -> str | None:
        for need in needs:
            need_spec = self.plan.steps[need.step_id]
            if need.status is StepStatus.FAILED and need_spec.on_error == "goto":
                return f"{need.step_id} failed and its handler {need_spec.handler} ran instead"
            chosen = need.state.get("chosen", [])
            if (
                need_spec.type == "switch"
                and need.status is StepStatus.SUCCEEDED
                and (spec.id not in chosen)
            ):
                return f"switch {need.step_id} did not choose it"
        if needs and all(n.status is StepStatus.SKIPPED for n in needs):
            return "every step it needs was skipped"
        if spec.condition is not None:
            try:
                value = spec.condition.render(context_for(self.state, instance.scope_key))
            except ExpressionError as exc:
                self._fail_now(instance, Failed("expression_error", f"if: {exc.message}"))
                return ""  # decided: failed
            if not value:
                return "its condition is false"
        return None

    def _routed_steps_finished(self, scope: dict[str, Instance], handler: str) -> bool:
        routed = (i for i in scope.values() if self.plan.steps[i.step_id].handler == handler)
        return all(i.status.is_terminal for i in routed)

    def _make_ready(self, instance: Instance) -> None:
        instance.status = StepStatus.READY
        instance.ready_at = self.now
        instance.touch()
        self.ready.append(instance.key)
        self.record("step_scheduled", instance)

    def _skip(self, instance: Instance, reason: str) -> None:
        self._finish(instance, StepStatus.SKIPPED, reason=reason)
        self.record("step_skipped", instance, reason=reason)

    def _fail_now(self, instance: Instance, failure: Failed) -> None:
        error = {"code": failure.code, "message": failure.message}
        self._finish(instance, StepStatus.FAILED, error=error)
        self.record("step_failed", instance, error=error)
        self._after_finish(instance)

    def _finish(
        self,
        instance: Instance,
        status: StepStatus,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
        reason: str | None = None,
    ) -> None:
        instance.status = status
        instance.output = output
        instance.error = error
        instance.reason = reason
        instance.wake_at = None
        instance.finished_at = self.now
        if status is StepStatus.SUCCEEDED:
            instance.finished_order = self.state.next_finish_order()
        instance.touch()

    def _after_finish(self, instance: Instance) -> None:
        spec = self.plan.steps[instance.step_id]
        if instance.scope_key.startswith(COMPENSATION_SCOPE):
            self._next_compensation()
            return
        if instance.status is StepStatus.FAILED:
            if spec.on_error == "continue":
                instance.handled = True
            elif spec.on_error == "goto" and spec.handler is not None:
                instance.handled = True
                handler = self.state.scope(instance.scope_key).get(spec.handler)
                if handler is not None and handler.status is StepStatus.PENDING:
                    self._make_ready(handler)
            else:
                self._fail_scope(instance.scope_key, instance)
                return
        self._settle(instance.scope_key, instance.step_id)

    def _fail_scope(self, scope_key: str, cause: Instance) -> None:
        reason = f"{cause.step_id} failed"
        for instance in self.state.scope(scope_key).values():
            if not instance.status.is_terminal:
                self._cancel_tree(instance, reason)
        self._scope_done(scope_key)

    def _cancel_scope_tree(self, scope_key: str, reason: str) -> None:
        for instance in list(self.state.scope(scope_key).values()):
            if not instance.status.is_terminal:
                self._cancel_tree(instance, reason)

    def _cancel_tree(self, instance: Instance, reason: str) -> None:
        spec = self.plan.steps[instance.step_id]
        if spec.children:
            for child_scope in self._child_scopes(instance):
                self._cancel_scope_tree(child_scope, reason)
        self._cancel_instance(instance, reason)

    def _cancel_instance(self, instance: Instance, reason: str) -> None:
        if instance.status.is_terminal:
            return
        child_run = instance.state.get("child_run_id")
        if child_run and instance.status is StepStatus.WAITING:
            self.cancelled_children.append(str(child_run))
        self._finish(instance, StepStatus.CANCELLED, reason=reason)
        self.record("step_cancelled", instance, reason=reason)

    def _child_scopes(self, instance: Instance) -> list[str]:
        spec = self.plan.steps[instance.step_id]
        if spec.type == "parallel":
            return [branch_scope(instance.key, branch) for branch in spec.children]
        started = int(instance.state.get("next", 0))
        return [iteration_scope(instance.key, i) for i in range(started)]

    def _scope_done(self, scope_key: str) -> None:
        scope = self.state.scope(scope_key)
        failed = [i for i in scope.values() if i.status is StepStatus.FAILED and not i.handled]
        if scope_key == ROOT:
            if failed:
                self._run_failed(failed[0])
            elif not self.state.status.is_terminal:
                self._run_succeeded()
            return
        located = self.state.container_of(scope_key)
        if located is None or located[0].status is not StepStatus.WAITING:
            return  # the container already finished (join: any) or was cancelled
        container, position = located
        result = self._scope_result(scope_key)
        if isinstance(position, int):
            self._iteration_done(container, position, result, failed[0] if failed else None)
        else:
            self._branch_done(container, position, result, failed[0] if failed else None)

    def _scope_result(self, scope_key: str) -> Any:
        """A nested scope's result: the output of its last declared step."""
        scope = self.state.scope(scope_key)
        if not scope:
            return None
        definition_scope = self.plan.steps[next(iter(scope.values())).step_id].scope
        result_step = self.plan.results.get(definition_scope)
        instance = scope.get(result_step) if result_step else None
        return instance.output if instance is not None else None

    # --- containers ------------------------------------------------------------------------

    def start_parallel(self, key: str) -> None:
        instance = self.state.instances[key]
        spec = self.plan.steps[instance.step_id]
        instance.status = StepStatus.WAITING
        instance.state = {"results": {}, "failed": []}
        instance.touch()
        self.record("step_started", instance, branches=list(spec.children))
        for branch, definition_scope in spec.children.items():
            self._open_scope(branch_scope(key, branch), definition_scope)

    def _branch_done(
        self, container: Instance, branch: str, result: Any, failure: Instance | None
    ) -> None:
        spec = self.plan.steps[container.step_id]
        join = getattr(spec.model, "join", "all")
        container.state["results"][branch] = result
        if failure is not None:
            container.state["failed"].append(branch)
        container.touch()
        if join == "any" and failure is None:
            for other in spec.children:
                if other != branch:
                    self._cancel_scope_tree(
                        branch_scope(container.key, other), "another branch won"
                    )
            # Every branch name is in the output, so `steps.<id>.output.<other>` reads null.
            self.succeed(container.key, {b: result if b == branch else None for b in spec.children})
            return
        if join == "all" and failure is not None:
            for other in spec.children:
                self._cancel_scope_tree(
                    branch_scope(container.key, other), f"branch {branch} failed"
                )
            self.fail(container.key, _nested_failure(branch, failure), allow_retry=False)
            return
        done = set(container.state["results"])
        if done != set(spec.children):
            return
        if join == "any":  # every branch failed
            self.fail(container.key, _nested_failure(branch, failure), allow_retry=False)
        else:
            self.succeed(container.key, {b: container.state["results"][b] for b in spec.children})

    def start_foreach(self, key: str, items: list[Any]) -> None:
        instance = self.state.instances[key]
        spec = self.plan.steps[instance.step_id]
        instance.status = StepStatus.WAITING
        # The results are not kept here but read from the iterations when the last one ends:
        # this state is written again each time an iteration starts or ends.
        instance.state = {"items": items, "next": 0, "done": 0, "errors": {}}
        instance.touch()
        self.record("step_started", instance, items=len(items))
        if not items:
            self.succeed(key, [])
            return
        for _ in range(min(int(getattr(spec.model, "max_concurrency", 4)), len(items))):
            self._start_iteration(instance)

    def _start_iteration(self, container: Instance) -> None:
        index = int(container.state["next"])
        container.state["next"] = index + 1
        container.touch()
        definition_scope = self.plan.steps[container.step_id].children[""]
        self._open_scope(iteration_scope(container.key, index), definition_scope)

    def _iteration_done(
        self, container: Instance, index: int, result: Any, failure: Instance | None
    ) -> None:
        spec = self.plan.steps[container.step_id]
        policy = getattr(spec.model, "on_item_error", "fail")
        state = container.state
        state["done"] = int(state["done"]) + 1
        container.touch()
        if failure is not None:
            if policy == "fail":
                for i in range(int(state["next"])):
                    self._cancel_scope_tree(
                        iteration_scope(container.key, i), f"item {index} failed"
                    )
                self.fail(
                    container.key, _nested_failure(f"item {index}", failure), allow_retry=False
                )
                return
            state["errors"][str(index)] = failure.error
        elif "results" in state:  # a foreach started before results were read at its end
            state["results"][index] = result
        if int(state["next"]) < len(state["items"]):
            self._start_iteration(container)
        elif int(state["done"]) == len(state["items"]):
            self.succeed(container.key, self._foreach_results(container))

    def _foreach_results(self, container: Instance) -> list[Any]:
        """Each item's result in item order; None for an item that failed."""
        state = container.state
        if "results" in state:
            return list(state["results"])
        failed = state["errors"]
        return [
            None
            if str(index) in failed
            else self._scope_result(iteration_scope(container.key, index))
            for index in range(len(state["items"]))
        ]

    # --- run end ---------------------------------------------------------------------------

    def _run_succeeded(self) -> None:
        outputs: dict[str, Any] = {}
        context = context_for(self.state, ROOT)
        for name, value in self.plan.execution.outputs.items():
            try:
                outputs[name] = render(value, context)
            except ExpressionError as exc:
                self._end_run(
                    RunStatus.FAILED,
                    f"output {name}: {exc.message}",
                    error={"code": "expression_error", "message": exc.message, "output": name},
                )
                return
        self.state.outputs = outputs
        self._end_run(RunStatus.SUCCEEDED, None)

    def _run_failed(self, cause: Instance) -> None:
        error = {"step": cause.key, **(cause.error or {})}
        queue = self._compensation_queue()
        if queue and "compensation" not in self.state.state:
            self.state.state["compensation"] = {"queue": queue, "next": 0, "error": error}
            self.state.changed = True
            self.record("compensation_started", steps=[q[1] for q in queue])
            self._next_compensation()
            return
        self._end_run(RunStatus.FAILED, f"step {cause.key} failed", error=error)

    def _compensation_queue(self) -> list[tuple[str, str]]:
        done = [
            i
            for i in self.state.instances.values()
            if i.status is StepStatus.SUCCEEDED
            and i.finished_order is not None
            and self.plan.steps[i.step_id].compensate_with
            and not i.scope_key.startswith(COMPENSATION_SCOPE)
        ]
        done.sort(key=lambda i: i.finished_order or 0, reverse=True)
        queue: list[tuple[str, str]] = []
        for instance in done:
            compensation = str(self.plan.steps[instance.step_id].compensate_with)
            if all(compensation != queued for queued, _ in queue):  # each runs at most once
                queue.append((compensation, instance.key))
        return queue

    def _next_compensation(self) -> None:
        comp = self.state.state.get("compensation")
        if comp is None:
            return
        position = int(comp["next"])
        if position > 0:
            previous = self.state.instances.get(_compensation_key(position - 1, comp["queue"]))
            if previous is not None and previous.status is StepStatus.FAILED:
                comp.setdefault("failed", []).append(previous.key)
        if position >= len(comp["queue"]):
            failed = comp.get("failed", [])
            note = f"; {len(failed)} compensation(s) failed" if failed else ""
            self._end_run(
                RunStatus.FAILED,
                f"step {comp['error']['step']} failed{note}",
                error={**comp["error"], "compensation_failed": failed},
            )
            return
        step_id, target = comp["queue"][position]
        comp["next"] = position + 1
        self.state.changed = True
        scope_key = f"{COMPENSATION_SCOPE}/{position}"
        instance = self.state.add(
            Instance(
                instance_key(scope_key, step_id),
                step_id,
                scope_key,
                StepStatus.PENDING,
                state={"compensates": target},
                step_type=self.plan.steps[step_id].type,
            )
        )
        self._make_ready(instance)

    def _end_run(
        self, status: RunStatus, reason: str | None, error: dict[str, Any] | None = None
    ) -> None:
        if self.state.status.is_terminal:
            return
        self.state.error = error
        self.state.finished_at = self.now
        self.finished_now = True
        self._set_run_status(status, reason)
        self.record(
            "run_finished",
            status=status.value,
            reason=reason,
            error=error,
            outputs=self.state.outputs,
        )

    def _set_run_status(self, status: RunStatus, reason: str | None) -> None:
        if self.state.status is not status or self.state.reason != reason:
            self.state.status = status
            self.state.reason = reason
            self.state.changed = True

    def refresh_status(self) -> None:
        """Between running (something runnable) and waiting (only timers and signals)."""
        if self.state.status.is_terminal or self.state.status is RunStatus.QUEUED:
            return
        runnable = any(
            i.status in (StepStatus.READY, StepStatus.RUNNING)
            for i in self.state.instances.values()
        )
        waiting_only = not runnable and any(
            i.status is StepStatus.WAITING and not self.plan.steps[i.step_id].children
            for i in self.state.instances.values()
        )
        if waiting_only:
            self._set_run_status(
                RunStatus.WAITING, "waiting for a timer, an approval or a child run"
            )
        elif runnable:
            self._set_run_status(RunStatus.RUNNING, None)


def _compensation_key(position: int, queue: list[Any]) -> str:
    step_id = queue[position][0]
    return instance_key(f"{COMPENSATION_SCOPE}/{position}", step_id)


def _nested_failure(where: str, failure: Instance | None) -> Failed:
    error = (failure.error if failure else None) or {}
    step = failure.key if failure else "?"
    return Failed(
        code=str(error.get("code", "nested_step_failed")),
        message=f"{where}: step {step} failed: {error.get('message', '')}".strip(),
        details={"failed_step": step},
    )


def _plus_ms(moment: datetime, milliseconds: int) -> datetime:
    return moment + timedelta(milliseconds=milliseconds)


__all__ = ["ACTIVE", "TERMINAL_STEP", "RunProgress"]
