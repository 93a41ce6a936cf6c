"""Content hashing and serialization: stable under formatting, sensitive to meaning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from flowwright.workflow.domain.dsl import (
    compile_workflow,
    content_hash,
    definition_to_json,
    definition_to_yaml,
    load_definition_json,
)

if TYPE_CHECKING:
    from testkit import Dsl

EXAMPLES = sorted((Path(__file__).resolve().parents[4] / "examples").glob("*.yaml"))

BODY = """\
inputs:
  n: {type: integer, default: 2}
timeout: 90m
steps:
  - id: a
    type: http
    url: https://x.example.com
    retry: {max_attempts: 3, initial: 1s}
  - {id: b, type: transform, needs: [a], output: {x: 1, y: "${{ inputs.n }}"}}
"""


def _hash(dsl: Dsl, body: str) -> str:
    digest = dsl.ok(body).content_hash
    assert digest is not None
    return digest


def test_hash_is_hex_sha256(dsl: Dsl) -> None:
    digest = _hash(dsl, BODY)
    assert len(digest) == 64
    assert int(digest, 16) >= 0


@pytest.mark.parametrize(
    "variant",
    [
        BODY.replace("timeout: 90m", "timeout: 1h30m"),
        BODY.replace("{x: 1, y:", "{y:").replace('}}"}}', '}}", x: 1}}'),
        BODY.replace(
            "retry: {max_attempts: 3, initial: 1s}",
            "retry: {initial: 1s, max_attempts: 3, backoff: exponential}",
        ),
        BODY.replace(
            "    url: https://x.example.com\n",
            "    url: 'https://x.example.com'\n    method: GET\n    on_error: fail\n",
        ),
        "# a comment\n" + BODY.replace("  - {id: b", "\n  - {id: b"),
    ],
)
def test_formatting_and_explicit_defaults_do_not_change_the_hash(dsl: Dsl, variant: str) -> None:
    assert _hash(dsl, variant) == _hash(dsl, BODY)


@pytest.mark.parametrize(
    "variant",
    [
        BODY.replace("timeout: 90m", "timeout: 91m"),
        BODY.replace("max_attempts: 3", "max_attempts: 4"),
        BODY.replace("{x: 1,", "{x: 2,"),
        BODY.replace("default: 2", "default: 3"),
        BODY.replace("  n: {type: integer, default: 2}", "  n: {type: integer, required: true}"),
        BODY.replace("https://x.example.com", "https://y.example.com"),
    ],
)
def test_semantic_changes_change_the_hash(dsl: Dsl, variant: str) -> None:
    assert _hash(dsl, variant) != _hash(dsl, BODY)


def test_json_and_yaml_sources_hash_alike(dsl: Dsl) -> None:
    data = yaml.safe_load(dsl.header + BODY)
    result = compile_workflow(json.dumps(data))
    assert result.content_hash == _hash(dsl, BODY)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_round_trips_keep_the_hash(path: Path) -> None:
    result = compile_workflow(path.read_text(encoding="utf-8"))
    assert result.definition is not None
    again = compile_workflow(definition_to_yaml(result.definition))
    assert again.ok, again.diagnostics
    assert again.content_hash == result.content_hash
    loaded = load_definition_json(definition_to_json(result.definition))
    assert content_hash(loaded) == result.content_hash
    assert load_definition_json(json.loads(definition_to_json(result.definition))) == loaded


def test_yaml_display_keeps_what_the_author_wrote(dsl: Dsl) -> None:
    definition = dsl.ok(BODY).definition
    assert definition is not None
    text = definition_to_yaml(definition)
    assert text.startswith("apiVersion: flowwright/v1\nkind: Workflow\n")
    assert "timeout: 90m" in text
    assert "on_error" not in text  # defaults the author did not write stay out
