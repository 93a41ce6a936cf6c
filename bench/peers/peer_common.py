"""Helpers shared by the peer scripts (run with the peers' own interpreter, not Flowwright's).

Each peer script prints one JSON document on its last line of standard output:
``{"peer", "version", "durability", "columns": {column: {figure: {...}}}, "na": {...}}``.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

CHAIN_STEPS = 40
FAN_OUT = 100
THROUGHPUT_STEPS = 10
VALUE = {"order": "A-1042", "amount": 12.5, "tags": ["x", "y"]}


def summary(samples_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(samples_ms)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "min_ms": round(ordered[0], 3),
        "max_ms": round(ordered[-1], 3),
        "n": len(ordered),
    }


def timed_ms(action: Callable[[], object], runs: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def throughput(runs: int, seconds: float, in_flight: int) -> dict[str, Any]:
    return {
        "runs": runs,
        "seconds": round(seconds, 3),
        "runs_per_s": round(runs / seconds, 1),
        "in_flight": in_flight,
    }


def emit(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()


def note(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
