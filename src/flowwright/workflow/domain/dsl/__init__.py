"""The workflow DSL: models, compiler, diagnostics, plan, graph, diff and JSON Schema.

Typical use::

    result = compile_workflow(source, filename="triage.yaml")
    if not result.ok:
        for diagnostic in result.diagnostics:
            print(format_diagnostic(diagnostic, "triage.yaml"))
    else:
        run(result.plan)
"""

from flowwright.workflow.domain.dsl.canonical import canonical_data, canonical_json, content_hash
from flowwright.workflow.domain.dsl.codes import CODE_INFO, Code, CodeInfo, Severity
from flowwright.workflow.domain.dsl.compiler import CompileResult, compile_workflow
from flowwright.workflow.domain.dsl.diagnostics import Diagnostic, format_diagnostic
from flowwright.workflow.domain.dsl.diff import (
    FieldChange,
    InputChange,
    StepChange,
    WorkflowDiff,
    diff_definitions,
)
from flowwright.workflow.domain.dsl.durations import (
    DurationError,
    format_duration,
    parse_duration,
)
from flowwright.workflow.domain.dsl.graph import Graph, GraphEdge, GraphNode, build_graph
from flowwright.workflow.domain.dsl.models import (
    API_VERSION,
    AnyStep,
    Defaults,
    InputSpec,
    Metadata,
    WorkflowDefinition,
)
from flowwright.workflow.domain.dsl.options import CompileLimits, CompileOptions
from flowwright.workflow.domain.dsl.plan import (
    ErrorPolicy,
    ExecutionPlan,
    RetryPlan,
    ScopePlan,
    StepPlan,
    build_plan,
)
from flowwright.workflow.domain.dsl.registry import STEP_TYPES, StepTypeRegistry, StepTypeSpec
from flowwright.workflow.domain.dsl.schema_export import workflow_json_schema
from flowwright.workflow.domain.dsl.serialization import (
    definition_to_json,
    definition_to_yaml,
    load_definition_json,
)
from flowwright.workflow.domain.dsl.step_base import OnErrorGoto, RetryPolicy, StepBase
from flowwright.workflow.domain.dsl.step_types.approval import ApprovalStep, Approvers
from flowwright.workflow.domain.dsl.step_types.delay import DelayStep
from flowwright.workflow.domain.dsl.step_types.foreach import ForeachStep
from flowwright.workflow.domain.dsl.step_types.http import HttpStep
from flowwright.workflow.domain.dsl.step_types.llm import LlmStep
from flowwright.workflow.domain.dsl.step_types.parallel import ParallelBranch, ParallelStep
from flowwright.workflow.domain.dsl.step_types.subworkflow import SubworkflowStep
from flowwright.workflow.domain.dsl.step_types.switch import SwitchCase, SwitchStep
from flowwright.workflow.domain.dsl.step_types.transform import TransformStep
from flowwright.workflow.domain.dsl.triggers import (
    CronTrigger,
    EventTrigger,
    ManualTrigger,
    Trigger,
    WebhookTrigger,
)

__all__ = [
    "API_VERSION",
    "CODE_INFO",
    "STEP_TYPES",
    "AnyStep",
    "ApprovalStep",
    "Approvers",
    "Code",
    "CodeInfo",
    "CompileLimits",
    "CompileOptions",
    "CompileResult",
    "CronTrigger",
    "Defaults",
    "DelayStep",
    "Diagnostic",
    "DurationError",
    "ErrorPolicy",
    "EventTrigger",
    "ExecutionPlan",
    "FieldChange",
    "ForeachStep",
    "Graph",
    "GraphEdge",
    "GraphNode",
    "HttpStep",
    "InputChange",
    "InputSpec",
    "LlmStep",
    "ManualTrigger",
    "Metadata",
    "OnErrorGoto",
    "ParallelBranch",
    "ParallelStep",
    "RetryPlan",
    "RetryPolicy",
    "ScopePlan",
    "Severity",
    "StepBase",
    "StepChange",
    "StepPlan",
    "StepTypeRegistry",
    "StepTypeSpec",
    "SubworkflowStep",
    "SwitchCase",
    "SwitchStep",
    "TransformStep",
    "Trigger",
    "WebhookTrigger",
    "WorkflowDefinition",
    "WorkflowDiff",
    "build_graph",
    "build_plan",
    "canonical_data",
    "canonical_json",
    "compile_workflow",
    "content_hash",
    "definition_to_json",
    "definition_to_yaml",
    "diff_definitions",
    "format_diagnostic",
    "format_duration",
    "load_definition_json",
    "parse_duration",
    "workflow_json_schema",
]
