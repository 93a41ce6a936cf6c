"""Compile benchmark.

Compiles a generated 1,000-step workflow (chains and fan-outs, every step reading upstream
outputs through expressions) N times, then validates every example N times, and prints
min/median/max in milliseconds.

    python bench/compile_bench.py [--runs N] [--steps S]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
try:
    from flowwright.workflow.domain.dsl import compile_workflow
except ImportError:  # run from a checkout without the package installed
    sys.path.insert(0, str(ROOT / "src"))
    from flowwright.workflow.domain.dsl import compile_workflow

HEADER = """\
apiVersion: flowwright/v1
kind: Workflow
metadata:
  name: generated-benchmark
  description: Chains and fan-outs with expressions.
inputs:
  customer: {type: object, required: true}
  threshold: {type: number, default: 10}
timeout: 12h
defaults:
  timeout: 30s
  retry: {max_attempts: 3, initial: 1s, max: 30s}
steps:
"""

_FAN_OUT = 8


def generate(step_count: int) -> str:
    """A workflow of groups: a hub, a fan-out of 8 steps that need it, and a join.

    Each join feeds the next hub, so the graph is a chain of diamonds; every step reads the
    outputs of the steps it needs.
    """
    parts = [HEADER]
    previous_join: str | None = None
    index = 0
    group = 0
    while index < step_count:
        hub = f"hub_{group}"
        needs = f"needs: [{previous_join}]\n    " if previous_join else ""
        source = f"steps.{previous_join}.output.total" if previous_join else "inputs.threshold"
        parts.append(
            f"  - id: {hub}\n    type: transform\n    {needs}output:\n"
            f"      total: ${{{{ {source} + {group} }}}}\n"
            f"      label: \"group {group} for ${{{{ inputs.customer.name ?? 'n/a' }}}}\"\n"
        )
        index += 1
        fanned: list[str] = []
        for branch in range(_FAN_OUT):
            if index >= step_count - 1:
                break
            step_id = f"work_{group}_{branch}"
            fanned.append(step_id)
            if branch % 4 == 0:
                parts.append(
                    f"  - id: {step_id}\n    type: http\n    needs: [{hub}]\n    method: POST\n"
                    f'    url: "https://api.example.com/groups/{group}/items/{branch}"\n'
                    f'    headers: {{Authorization: "Bearer ${{{{ secrets.API_TOKEN }}}}"}}\n'
                    f'    body: {{total: "${{{{ steps.{hub}.output.total }}}}"}}\n'
                )
            elif branch % 4 == 1:
                parts.append(
                    f"  - id: {step_id}\n    type: llm\n    needs: [{hub}]\n    model: fast\n"
                    f'    prompt: "Summarize ${{{{ steps.{hub}.output.label }}}}"\n'
                    "    output_schema: {type: object, properties: {score: {type: number}}}\n"
                )
            else:
                parts.append(
                    f"  - id: {step_id}\n    type: transform\n    needs: [{hub}]\n"
                    f"    if: ${{{{ steps.{hub}.output.total > {branch} }}}}\n"
                    f'    output: {{value: "${{{{ steps.{hub}.output.total * {branch} }}}}"}}\n'
                )
            index += 1
        if index >= step_count:
            break
        join = f"join_{group}"
        reads = " + ".join(f"len(string(steps.{s}.output))" for s in fanned[:3]) or "0"
        needs_list = ", ".join(fanned) or hub
        parts.append(
            f"  - id: {join}\n    type: transform\n    needs: [{needs_list}]\n"
            f'    output: {{total: "${{{{ {reads} }}}}"}}\n'
        )
        index += 1
        previous_join = join
        group += 1
    return "".join(parts)


def measure(action: Callable[[], object], runs: int) -> list[float]:
    timings: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(label: str, timings: list[float]) -> dict[str, float | int | str]:
    figures: dict[str, float | int | str] = {
        "label": label,
        "runs": len(timings),
        "min_ms": round(min(timings), 2),
        "median_ms": round(statistics.median(timings), 2),
        "max_ms": round(max(timings), 2),
    }
    print(
        f"{label}: min {figures['min_ms']:.1f} ms, median {figures['median_ms']:.1f} ms, "
        f"max {figures['max_ms']:.1f} ms ({len(timings)} runs)"
    )
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument(
        "--output",
        type=Path,
        default=ROOT / "bench" / "results" / "compile_bench.json",
        help="where to write the figures as JSON",
    )
    args = parser.parse_args()

    source = generate(args.steps)
    first = compile_workflow(source, filename="generated.yaml")
    if not first.ok:
        for diagnostic in first.diagnostics[:10]:
            print(diagnostic)
        return 1
    assert first.plan is not None
    step_total = sum(1 for _ in first.plan.all_steps())
    results = [
        report(
            f"{step_total}-step workflow ({len(source) // 1024} KiB)",
            measure(lambda: compile_workflow(source, filename="generated.yaml"), args.runs),
        )
    ]

    examples = [
        (p.name, p.read_text(encoding="utf-8")) for p in sorted(ROOT.glob("examples/*.yaml"))
    ]
    for name, text in examples:
        if not compile_workflow(text, filename=name).ok:
            print(f"{name} does not compile")
            return 1

    def validate_examples() -> None:
        for name, text in examples:
            compile_workflow(text, filename=name)

    results.append(report(f"all {len(examples)} examples", measure(validate_examples, args.runs)))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
