"""History entries are stored as JSON: values of JSON's own types as they are, anything else as
an encode and a parse would give it back."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from flowwright.workflow.adapters.run_store import _jsonable


@pytest.mark.parametrize(
    "value",
    [
        None,
        "text",
        0,
        True,
        1.5,
        [],
        {},
        {"inputs": {"value": {"n": 1, "tags": ["a", None, 2.5]}}, "attempt": 2},
    ],
)
def test_json_values_are_kept_as_they_are(value: Any) -> None:
    assert _jsonable(value) is value
    assert _jsonable(value) == json.loads(json.dumps(value))


def test_other_values_are_given_as_json_gives_them_back() -> None:
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    value = {"at": at, "pair": (1, 2), 3: "three", "nested": [{"when": at}], "inf": math.inf}

    assert _jsonable(value) == {
        "at": str(at),
        "pair": [1, 2],
        "3": "three",
        "nested": [{"when": str(at)}],
        "inf": math.inf,
    }
    assert _jsonable([at]) == [str(at)]
