"""Backoff between attempts: exponential, linear or fixed, capped, with optional jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    max_attempts: int
    kind: str  # exponential | linear | fixed
    initial_ms: int
    max_ms: int
    jitter: bool
    non_retryable: frozenset[str]

    def delay_ms(self, failed_attempt: int, rng: random.Random | None = None) -> int:
        """Wait before the attempt after ``failed_attempt`` (1-based)."""
        n = max(1, failed_attempt)
        if self.kind == "fixed":
            base = self.initial_ms
        elif self.kind == "linear":
            base = self.initial_ms * n
        else:
            base = self.initial_ms * (2 ** min(n - 1, 30))
        delay = min(base, self.max_ms)
        if self.jitter and delay > 0:
            # Shortening by up to 20% spreads retries of many runs that failed together.
            delay = int(delay * (rng or random).uniform(0.8, 1.0))
        return max(0, delay)

    def allows_retry(self, attempt: int, code: str, retryable: bool) -> bool:
        if not retryable or any(code_matches(code, p) for p in self.non_retryable):
            return False
        return attempt < self.max_attempts


def code_matches(code: str, pattern: str) -> bool:
    """``HTTP_4XX`` matches ``HTTP_404``; any other pattern matches its code exactly."""
    if code == pattern:
        return True
    if pattern.endswith("XX") and len(code) == len(pattern):
        stem = pattern[:-2]
        return code.startswith(stem) and code[len(stem) :].isdigit()
    return False


NO_RETRY = Backoff(1, "fixed", 0, 0, False, frozenset())
