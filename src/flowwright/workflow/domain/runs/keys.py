"""Keys of step instances within a run.

A step of the workflow's top level has the key of its id (``classify``). Nested steps get the key
of their scope as prefix: a parallel branch ``notify/chat/post_chat``, a foreach iteration
``translate_all[3]/translate``. Compensation steps live under ``~compensate/``. A step's
idempotency key is ``<run id>/<instance key>``: stable across attempts and crashes, distinct per
iteration.
"""

from __future__ import annotations

ROOT = ""
COMPENSATION_SCOPE = "~compensate"


def branch_scope(container_key: str, branch: str) -> str:
    return f"{container_key}/{branch}"


def iteration_scope(container_key: str, index: int) -> str:
    return f"{container_key}[{index}]"


def instance_key(scope_key: str, step_id: str) -> str:
    return f"{scope_key}/{step_id}" if scope_key else step_id


def idempotency_key(run_id: str, key: str) -> str:
    return f"{run_id}/{key}"
