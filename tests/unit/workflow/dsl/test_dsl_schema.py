"""The committed JSON Schema is the generated one, and it accepts every example."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from flowwright.workflow.domain.dsl import workflow_json_schema
from flowwright.workflow.domain.dsl.schema_export import render_schema

REPO = Path(__file__).resolve().parents[4]
SCHEMA_FILE = REPO / "schemas" / "workflow-v1.json"


def test_committed_schema_is_current() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == render_schema(), (
        "regenerate with: python -m flowwright.workflow.domain.dsl.schema > "
        "schemas/workflow-v1.json"
    )


def test_module_prints_the_schema() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "flowwright.workflow.domain.dsl.schema"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout == render_schema()


def test_schema_is_valid_json_schema() -> None:
    Draft202012Validator.check_schema(workflow_json_schema())


@pytest.mark.parametrize("path", sorted((REPO / "examples").glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = list(Draft202012Validator(workflow_json_schema()).iter_errors(data))
    assert not errors, [e.message for e in errors]


def test_schema_describes_step_types_and_triggers() -> None:
    text = render_schema()
    for name in ("LlmStep", "HttpStep", "SwitchStep", "ParallelStep", "ForeachStep", "CronTrigger"):
        assert f'"{name}"' in text
