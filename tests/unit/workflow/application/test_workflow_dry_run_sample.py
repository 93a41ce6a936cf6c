from __future__ import annotations

from flowwright.workflow.application.dry_run import sample


def test_sample_values_follow_the_declared_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "urgency": {"enum": ["low", "high"]},
            "score": {"type": "number", "minimum": 1},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "ok": {"type": "boolean"},
            "note": {"type": ["null", "string"]},
            "kind": {"const": "ticket"},
            "lang": {"type": "string", "default": "en"},
            "either": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
        },
    }
    assert sample(schema) == {
        "urgency": "low",
        "score": 1,
        "tags": ["simulated", "simulated"],
        "ok": False,
        "note": "simulated",
        "kind": "ticket",
        "lang": "en",
        "either": 0,
    }
