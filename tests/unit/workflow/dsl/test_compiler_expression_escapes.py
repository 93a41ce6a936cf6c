"""Templates that try to reach Python internals are refused at compile time."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testkit import Dsl

ATTEMPTS = [
    "${{ inputs.__class__ }}",
    "${{ inputs.name.__class__.__mro__ }}",
    "${{ inputs.__class__.__mro__[1].__subclasses__() }}",
    "${{ inputs.__globals__ }}",
    "${{ __import__('os') }}",
    "${{ inputs['__class__'] }}",
    "${{ inputs.name.format(inputs) }}",
    "${{ '{0.__class__}'.format(inputs) }}",
    "${{ lower.__globals__ }}",
    "${{ getattr(inputs, '__class__') }}",
    "${{ inputs._secret }}",
    "${{ eval('1') }}",
    "${{ (lambda: 1)() }}",
    "${{ f'{inputs}' }}",
    "${{ run.__dict__ }}",
    "${{ steps.a.output.__reduce__ }}",
]


@pytest.mark.parametrize("expression", ATTEMPTS)
def test_escape_attempts_are_errors(dsl: Dsl, expression: str) -> None:
    body = (
        "inputs:\n  name: {type: string}\n"
        "steps:\n  - {id: a, type: transform, output: 1}\n"
        f'  - id: b\n    type: transform\n    needs: [a]\n    output: "{expression}"\n'
    )
    result = dsl.compile(body)
    assert not result.ok
    assert result.errors
    assert result.plan is None
    assert all(d.code != "internal-error" for d in result.diagnostics)
    assert all(d.line == 11 for d in result.errors), result.errors


@pytest.mark.parametrize("field", ["if", "prompt", "url"])
def test_escapes_are_refused_in_every_template_field(dsl: Dsl, field: str) -> None:
    value = "'${{ inputs.__class__ }}'"
    if field == "if":
        step = f"{{id: a, type: transform, output: 1, if: {value}}}"
    elif field == "prompt":
        step = f"{{id: a, type: llm, model: fast, prompt: {value}}}"
    else:
        step = f"{{id: a, type: http, url: {value}}}"
    assert "expression-forbidden" in dsl.codes(f"steps:\n  - {step}\n")
