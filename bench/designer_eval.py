"""Designer evaluation: how often the designer's drafts compile, and at what cost.

Runs a set of requests through a running installation's designer (``/v1/conversations``) and
reports, per request and in total: the answer's kind (draft, question, invalid, not_configured),
the compile rounds used, tokens, cost and seconds. Nothing is approved or published.

    FLOWWRIGHT_URL=http://127.0.0.1:8420 FLOWWRIGHT_API_KEY=fwk_... \\
        python bench/designer_eval.py [--cases FILE.json] [--json]

``--cases`` reads a JSON list of request strings instead of the built-in set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import httpx

CASES = [
    "Every weekday at 8, fetch news about a topic, summarize it with a model and mail the digest.",
    "When a support ticket arrives by webhook, classify its urgency and page on-call if high.",
    "Ask a manager to approve expenses above 500 EUR; record the decision.",
    "Translate a list of texts into French, at most five at a time.",
    "Take a name as input and return a greeting, without calling any outside service.",
    "Enrich a new lead from a CRM webhook with company data and post it back to the CRM.",
]


def evaluate(client: httpx.Client, requests: list[str]) -> list[dict[str, Any]]:
    results = []
    for request in requests:
        started = client.post("/v1/conversations", json={"title": request[:200]})
        started.raise_for_status()
        began = time.monotonic()
        answer = client.post(
            f"/v1/conversations/{started.json()['id']}/messages", json={"content": request}
        )
        seconds = time.monotonic() - began
        if answer.status_code != 200:
            results.append({"request": request, "kind": f"error {answer.status_code}"})
            continue
        body = answer.json()
        usage = body.get("usage") or {}
        draft = body.get("draft") or {}
        results.append(
            {
                "request": request,
                "kind": body["kind"],
                "rounds": draft.get("rounds", usage.get("calls", 0)),
                "warnings": len((draft.get("validation") or {}).get("warnings", [])),
                "input_tokens": usage.get("input_tokens", 0),
                "output_tokens": usage.get("output_tokens", 0),
                "cost_micros": usage.get("cost_micros", 0),
                "seconds": round(seconds, 2),
            }
        )
    return results


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    drafts = [r for r in results if r["kind"] == "draft"]
    return {
        "requests": len(results),
        "drafts": len(drafts),
        "first_try": sum(1 for r in drafts if r["rounds"] == 1),
        "questions": sum(1 for r in results if r["kind"] == "question"),
        "invalid": sum(1 for r in results if r["kind"] == "invalid"),
        "other": sum(1 for r in results if r["kind"] not in ("draft", "question", "invalid")),
        "input_tokens": sum(r.get("input_tokens", 0) for r in results),
        "output_tokens": sum(r.get("output_tokens", 0) for r in results),
        "cost_micros": sum(r.get("cost_micros", 0) for r in results),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", help="a JSON file: a list of request strings")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    url, key = os.environ.get("FLOWWRIGHT_URL"), os.environ.get("FLOWWRIGHT_API_KEY")
    if not url or not key:
        print("set FLOWWRIGHT_URL and FLOWWRIGHT_API_KEY", file=sys.stderr)
        return 2
    requests = CASES
    if args.cases:
        with open(args.cases, encoding="utf-8") as handle:
            requests = [str(item) for item in json.load(handle)]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, headers=headers, timeout=300) as client:
        results = evaluate(client, requests)
    total = summary(results)
    if args.json:
        print(json.dumps({"results": results, "summary": total}, indent=2))
        return 0
    for r in results:
        print(
            f"{r['kind']:<15} rounds={r.get('rounds', '-')} tokens={r.get('input_tokens', 0)}/"
            f"{r.get('output_tokens', 0)} {r.get('seconds', '-')}s  {r['request'][:60]}"
        )
    print(json.dumps(total))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
