"""Steps the engine runs itself, inside the transaction that made them ready.

They only compute (transform, switch), open nested scopes (parallel, foreach) or start a wait
(delay, approval); none has an effect outside the database, so running them inline is as durable
as leasing them to a worker, and a chain of them costs one commit instead of one per step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flowwright.workflow.domain.dsl.durations import parse_duration
from flowwright.workflow.domain.expressions import ExpressionError
from flowwright.workflow.domain.runs.context import context_for
from flowwright.workflow.domain.runs.outcome import Failed
from flowwright.workflow.domain.runs.progress import RunProgress
from flowwright.workflow.domain.runs.templates import render, template

LOCAL_TYPES = frozenset({"transform", "switch", "parallel", "foreach", "delay", "approval"})


def run_local_step(progress: RunProgress, key: str) -> None:
    instance = progress.state.instances[key]
    spec = progress.plan.steps[instance.step_id]
    model: Any = spec.model
    instance.started_at = progress.now
    instance.attempt += 1
    context = context_for(progress.state, instance.scope_key)
    try:
        if spec.type == "transform":
            progress.succeed(key, render(model.output, context))
        elif spec.type == "switch":
            _switch(progress, key, model, context)
        elif spec.type == "parallel":
            progress.start_parallel(key)
        elif spec.type == "foreach":
            items = template(model.items).render(context)
            if not isinstance(items, list):
                progress.fail(
                    key,
                    Failed("invalid_items", f"items must be a list, got {type(items).__name__}"),
                )
                return
            progress.start_foreach(key, items)
        elif spec.type == "delay":
            wake_at = _wake_at(progress.now, model, context)
            progress.wait(key, wake_at, {"kind": "timer"})
            progress.record("timer_set", instance, wake_at=wake_at.isoformat())
        elif spec.type == "approval":
            message = render(model.message, context)
            roles = list(model.approvers.roles) if model.approvers else []
            expires_at = (
                progress.now + timedelta(milliseconds=spec.timeout_ms) if spec.timeout_ms else None
            )
            progress.wait(
                key,
                expires_at,
                {
                    "kind": "approval",
                    "message": message,
                    "approver_roles": roles,
                    "on_timeout": model.on_timeout,
                },
            )
            progress.record(
                "approval_requested",
                instance,
                message=message,
                expires_at=expires_at.isoformat() if expires_at else None,
            )
        else:  # pragma: no cover - guarded by LOCAL_TYPES
            raise AssertionError(spec.type)
    except ExpressionError as exc:
        progress.fail(key, Failed("expression_error", exc.message), allow_retry=False)
    except InvalidUntil as exc:
        progress.fail(key, Failed("invalid_until", str(exc)), allow_retry=False)


def _switch(progress: RunProgress, key: str, model: Any, context: dict[str, Any]) -> None:
    instance = progress.state.instances[key]
    chosen: list[str] = list(model.default)
    case: int | str = "default"
    for index, candidate in enumerate(model.cases):
        if template(candidate.when).render(context):
            chosen, case = list(candidate.goto), index
            break
    instance.state["chosen"] = chosen
    progress.succeed(key, {"case": case})


class InvalidUntil(ValueError):
    pass


def _wake_at(now: datetime, model: Any, context: dict[str, Any]) -> datetime:
    if model.duration:
        return now + timedelta(milliseconds=parse_duration(model.duration))
    value = template(model.until).render(context)
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidUntil(f"until must be an ISO-8601 time, got {value!r}") from exc
    if moment.tzinfo is None:
        raise InvalidUntil(f"until must include a time zone, got {value!r}")
    return moment


def fire_timer(progress: RunProgress, key: str) -> None:
    """A delay's time has come, or an approval's wait has run out."""
    instance = progress.state.instances[key]
    kind = instance.state.get("kind")
    if kind == "timer":
        progress.record("timer_fired", instance)
        progress.succeed(key, {"fired_at": progress.now.isoformat()})
        return
    if kind == "approval":
        policy = instance.state.get("on_timeout", "reject")
        progress.record("approval_timed_out", instance, policy=policy)
        if policy == "fail":
            progress.fail(
                key, Failed("approval_timeout", "no decision before the timeout"), allow_retry=False
            )
            return
        progress.succeed(
            key,
            {
                "approved": policy == "approve",
                "decided_by": None,
                "comment": None,
                "timed_out": True,
                "decided_at": progress.now.isoformat(),
            },
        )


def decide_approval(
    progress: RunProgress, key: str, *, approved: bool, decided_by: str, comment: str | None
) -> None:
    instance = progress.state.instances[key]
    progress.record(
        "approval_decided", instance, approved=approved, decided_by=decided_by, comment=comment
    )
    progress.succeed(
        key,
        {
            "approved": approved,
            "decided_by": decided_by,
            "comment": comment,
            "timed_out": False,
            "decided_at": progress.now.isoformat(),
        },
    )
