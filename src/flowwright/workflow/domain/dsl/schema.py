"""Print the JSON Schema of the language.

``python -m flowwright.workflow.domain.dsl.schema > schemas/workflow-v1.json`` regenerates the
committed file; a test keeps the two equal.
"""

from __future__ import annotations

import sys

from flowwright.workflow.domain.dsl.schema_export import render_schema, workflow_json_schema

__all__ = ["main", "render_schema", "workflow_json_schema"]


def main() -> None:
    sys.stdout.write(render_schema())


if __name__ == "__main__":
    main()
