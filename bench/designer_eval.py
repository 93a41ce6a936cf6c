"""Designer evaluation: how often the designer's drafts compile, hold what was asked, and cost.

Runs a set of described needs through a running installation's designer
(``/v1/conversations``), with whatever model its ``designer`` alias points at, and reports per
case: the answer's kind (draft, question, invalid, not_configured), the compile rounds used,
tokens, cost, seconds, and checks on what the draft contains (step types, triggers, branches).
The summary gives the share of cases ending in a valid draft, drafts valid on the first try,
the repairs drafts needed, and the share of checks passed. Nothing is approved or published.

    FLOWWRIGHT_URL=http://127.0.0.1:8420 FLOWWRIGHT_API_KEY=fwk_... \\
        python bench/designer_eval.py [--cases FILE.json] [--json]

``--cases`` reads a JSON list instead of the built-in cases; each item is a request string (no
checks) or ``{"request": "...", "expect": {...}}`` with any of ``step_types``,
``absent_step_types``, ``triggers`` (lists) and ``branches`` (true or false). Drafts are read
with the project's own compiler, so run this in the project's environment.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import TypeAdapter

from flowwright.workflow.domain.dsl import STEP_TYPES, Trigger, compile_workflow

TRIGGER_TYPES = frozenset(TypeAdapter(Trigger).json_schema()["discriminator"]["mapping"])

CASES: list[dict[str, Any]] = [
    {
        "request": "Every weekday at 8, fetch news about a topic, summarize it with a model "
        "and mail the digest.",
        "expect": {"step_types": ["http", "llm"], "triggers": ["cron"]},
    },
    {
        "request": "When a support ticket arrives by webhook, classify its urgency and page "
        "on-call if high.",
        "expect": {"step_types": ["llm", "http"], "triggers": ["webhook"], "branches": True},
    },
    {
        "request": "Ask a manager to approve expenses above 500 EUR; record the decision.",
        "expect": {"step_types": ["approval"], "branches": True},
    },
    {
        "request": "Translate a list of texts into French, at most five at a time.",
        "expect": {"step_types": ["foreach", "llm"]},
    },
    {
        "request": "Take a name as input and return a greeting, without calling any outside "
        "service.",
        "expect": {
            "step_types": ["transform"],
            "absent_step_types": ["http", "llm", "subworkflow"],
            "branches": False,
        },
    },
    {
        "request": "Enrich a new lead from a CRM webhook with company data and post it back "
        "to the CRM.",
        "expect": {"step_types": ["http"], "triggers": ["webhook"]},
    },
]


@dataclass(frozen=True, slots=True)
class Expect:
    """What a draft must contain; empty lists and ``branches=None`` check nothing."""

    step_types: tuple[str, ...] = ()
    absent_step_types: tuple[str, ...] = ()
    triggers: tuple[str, ...] = ()
    branches: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        stated: dict[str, Any] = {
            "step_types": list(self.step_types),
            "absent_step_types": list(self.absent_step_types),
            "triggers": list(self.triggers),
            "branches": self.branches,
        }
        return {key: value for key, value in stated.items() if value not in ([], None)}


@dataclass(frozen=True, slots=True)
class Case:
    request: str
    expect: Expect


@dataclass(frozen=True, slots=True)
class DraftFacts:
    """What a draft holds: every step type (nested steps included), triggers, branch points."""

    step_types: frozenset[str]
    triggers: frozenset[str]
    #: Where the draft branches: ``switch <id>`` and ``if on <id>``, in document order.
    branches: tuple[str, ...]


def load_cases(items: Any) -> list[Case]:
    """Cases from a JSON list of request strings or ``{"request", "expect"}`` objects.

    Raises ``ValueError`` naming the first item that is neither, or an unknown expectation.
    """
    if not isinstance(items, list):
        raise ValueError("the cases file must hold a JSON list")
    cases = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, str):
            cases.append(Case(item, Expect()))
        elif isinstance(item, Mapping) and isinstance(item.get("request"), str):
            cases.append(Case(item["request"], _expect(item.get("expect") or {}, number)))
        else:
            raise ValueError(f"case {number}: a request string or {{'request': ..., 'expect'}}")
    return cases


def _expect(raw: Any, number: int) -> Expect:
    if not isinstance(raw, Mapping):
        raise ValueError(f"case {number}: 'expect' must be an object")
    allowed = {
        "step_types": STEP_TYPES.names(),
        "absent_step_types": STEP_TYPES.names(),
        "triggers": tuple(sorted(TRIGGER_TYPES)),
    }
    unknown = sorted(set(raw) - {*allowed, "branches"})
    if unknown:
        raise ValueError(f"case {number}: unknown expectation {', '.join(unknown)}")
    if raw.get("branches") not in (True, False, None):
        raise ValueError(f"case {number}: 'branches' must be true or false")
    names: dict[str, tuple[str, ...]] = {}
    for key, known in allowed.items():
        values = raw.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"case {number}: '{key}' must be a list of names")
        wrong = [v for v in values if v not in known]
        if wrong:
            raise ValueError(
                f"case {number}: unknown {key} {', '.join(wrong)}; known: {', '.join(known)}"
            )
        names[key] = tuple(values)
    return Expect(**names, branches=raw.get("branches"))


def draft_facts(source: str) -> DraftFacts | None:
    """The facts of a draft's source, or ``None`` when it does not compile here."""
    result = compile_workflow(source, filename="draft.yaml")
    if result.definition is None:
        return None
    definition = result.definition
    steps = list(definition.all_steps())
    branches: list[str] = []
    for step in steps:
        if step.type == "switch":
            branches.append(f"switch {step.id}")
        if isinstance(step.if_, str):
            branches.append(f"if on {step.id}")
    return DraftFacts(
        step_types=frozenset(step.type for step in steps),
        # A manual start is always possible, declared or not.
        triggers=frozenset({"manual", *(trigger.type for trigger in definition.triggers)}),
        branches=tuple(branches),
    )


def check_draft(expect: Expect, facts: DraftFacts | None) -> list[dict[str, Any]]:
    """One entry per stated expectation: ``check``, ``passed``, ``expected`` and what differed.

    ``missing`` lists required step types or triggers the draft lacks, ``unexpected`` the
    step types it should not use, ``found`` the draft's branch points. A draft that does not
    compile here fails every check.
    """
    found_types = facts.step_types if facts else frozenset()
    found_triggers = facts.triggers if facts else frozenset()
    checks: list[dict[str, Any]] = []
    for name, wanted, present in (
        ("step_types", expect.step_types, found_types),
        ("triggers", expect.triggers, found_triggers),
    ):
        if wanted:
            missing = [value for value in wanted if value not in present]
            checks.append(
                {
                    "check": name,
                    "passed": facts is not None and not missing,
                    "expected": list(wanted),
                    "missing": missing,
                }
            )
    if expect.absent_step_types:
        unexpected = [value for value in expect.absent_step_types if value in found_types]
        checks.append(
            {
                "check": "absent_step_types",
                "passed": facts is not None and not unexpected,
                "expected": list(expect.absent_step_types),
                "unexpected": unexpected,
            }
        )
    if expect.branches is not None:
        found = list(facts.branches) if facts else []
        checks.append(
            {
                "check": "branches",
                "passed": facts is not None and bool(found) == expect.branches,
                "expected": expect.branches,
                "found": found,
            }
        )
    return checks


def evaluate(client: httpx.Client, cases: list[Case]) -> list[dict[str, Any]]:
    results = []
    for case in cases:
        result: dict[str, Any] = {"request": case.request, "expect": case.expect.to_dict()}
        results.append(result)
        started = client.post("/v1/conversations", json={"title": case.request[:200]})
        started.raise_for_status()
        began = time.monotonic()
        answer = client.post(
            f"/v1/conversations/{started.json()['id']}/messages", json={"content": case.request}
        )
        seconds = time.monotonic() - began
        if answer.status_code != 200:
            result.update(kind=f"error {answer.status_code}", checks=[])
            continue
        body = answer.json()
        usage = body.get("usage") or {}
        draft = body.get("draft") or {}
        facts = draft_facts(draft.get("source") or "") if draft else None
        result.update(
            kind=body["kind"],
            workflow=draft.get("workflow"),
            rounds=draft.get("rounds", usage.get("calls", 0)),
            warnings=len((draft.get("validation") or {}).get("warnings", [])),
            checks=check_draft(case.expect, facts) if draft else [],
            input_tokens=usage.get("input_tokens", 0),
            output_tokens=usage.get("output_tokens", 0),
            cost_micros=usage.get("cost_micros", 0),
            seconds=round(seconds, 2),
        )
    return results


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    drafts = [r for r in results if r["kind"] == "draft"]
    repairs = [r["rounds"] - 1 for r in drafts]
    checks = [check for r in drafts for check in r["checks"]]
    passed = sum(1 for check in checks if check["passed"])
    return {
        "requests": len(results),
        "drafts": len(drafts),
        "drafts_share": _share(len(drafts), len(results)),
        "first_try": sum(1 for r in drafts if r["rounds"] == 1),
        "repairs_mean": round(statistics.fmean(repairs), 2) if repairs else None,
        "repairs_median": statistics.median(repairs) if repairs else None,
        "checks": len(checks),
        "checks_passed": passed,
        "checks_share": _share(passed, len(checks)),
        "as_expected": sum(1 for r in drafts if all(c["passed"] for c in r["checks"])),
        "questions": sum(1 for r in results if r["kind"] == "question"),
        "invalid": sum(1 for r in results if r["kind"] == "invalid"),
        "other": sum(1 for r in results if r["kind"] not in ("draft", "question", "invalid")),
        "input_tokens": sum(r.get("input_tokens", 0) for r in results),
        "output_tokens": sum(r.get("output_tokens", 0) for r in results),
        "cost_micros": sum(r.get("cost_micros", 0) for r in results),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percent(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.0%})" if whole else f"{part}/{whole}"


def describe_check(check: dict[str, Any]) -> str:
    """One line: ``ok`` or ``FAIL``, the check, and what was missing or found."""
    name, expected = check["check"], check["expected"]
    if name == "branches":
        found = ", ".join(check["found"]) or "none"
        detail = f"{'must' if expected else 'must not'} branch; found {found}"
    elif name == "absent_step_types":
        detail = f"none of {', '.join(expected)}"
        if check["unexpected"]:
            detail += f"; uses {', '.join(check['unexpected'])}"
    else:
        detail = ", ".join(expected)
        if check["missing"]:
            detail += f"; missing {', '.join(check['missing'])}"
    return f"{'ok' if check['passed'] else 'FAIL':<5} {name}: {detail}"


def print_table(results: list[dict[str, Any]], total: dict[str, Any]) -> None:
    for r in results:
        print(
            f"{r['kind']:<15} rounds={r.get('rounds', '-')} tokens={r.get('input_tokens', 0)}/"
            f"{r.get('output_tokens', 0)} {r.get('seconds', '-')}s  {r['request'][:60]}"
        )
        for check in r["checks"]:
            print(f"    {describe_check(check)}")
        if r["expect"] and r["kind"] != "draft":
            print("    checks not run: no draft")
    print(
        f"valid drafts {_percent(total['drafts'], total['requests'])}, "
        f"first try {total['first_try']}, repairs mean {total['repairs_mean']} "
        f"median {total['repairs_median']}"
    )
    print(
        f"checks passed {_percent(total['checks_passed'], total['checks'])}, "
        f"drafts meeting every expectation {total['as_expected']}/{total['drafts']}"
    )
    print(
        f"questions {total['questions']}, invalid {total['invalid']}, other {total['other']}; "
        f"tokens {total['input_tokens']}/{total['output_tokens']}, "
        f"cost {total['cost_micros']} micro-USD"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cases", help="a JSON file: a list of request strings or {request, expect} objects"
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    url, key = os.environ.get("FLOWWRIGHT_URL"), os.environ.get("FLOWWRIGHT_API_KEY")
    if not url or not key:
        print("set FLOWWRIGHT_URL and FLOWWRIGHT_API_KEY", file=sys.stderr)
        return 2
    try:
        if args.cases:
            with open(args.cases, encoding="utf-8") as handle:
                cases = load_cases(json.load(handle))
        else:
            cases = load_cases(CASES)
    except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        print(f"{args.cases or 'built-in cases'}: {exc}", file=sys.stderr)
        return 2
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        results = evaluate(client, cases)
    total = summary(results)
    if args.json:
        print(json.dumps({"results": results, "summary": total}, indent=2))
    else:
        print_table(results, total)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
