"""Built-in step types; importing this package registers them in ``STEP_TYPES``."""

from flowwright.workflow.domain.dsl.step_types import (
    approval,
    delay,
    foreach,
    http,
    llm,
    parallel,
    subworkflow,
    switch,
    transform,
)

__all__ = [
    "approval",
    "delay",
    "foreach",
    "http",
    "llm",
    "parallel",
    "subworkflow",
    "switch",
    "transform",
]
