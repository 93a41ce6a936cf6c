"""The per-process cache of committed run steps: what it keeps, for how long, and for whom."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flowwright.workflow.adapters.run_cache import RunCache
from flowwright.workflow.domain.runs.state import Instance, RunState
from flowwright.workflow.domain.runs.status import RunStatus, StepStatus

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def run(run_id: str, status: RunStatus = RunStatus.RUNNING, seq: int = 3) -> RunState:
    state = RunState(run_id, "acme", "flow", 1, status, {}, T0, history_seq=seq)
    state.add(Instance("a", "a", "", StepStatus.WAITING, state={"votes": [1]}))
    return state


def test_a_kept_run_is_taken_once_and_only_with_its_stamp() -> None:
    cache = RunCache()
    cache.keep(run("r1"), T0)

    entry = cache.take("r1")

    assert entry is not None
    assert entry.matches("acme", 3, T0)
    assert not entry.matches("acme", 4, T0)  # another writer appended history
    assert not entry.matches("acme", 3, T0 + timedelta(microseconds=1))  # or updated the row
    assert not entry.matches("globex", 3, T0)
    assert cache.take("r1") is None  # the load that uses an entry owns it


def test_the_kept_steps_are_copies_the_callers_state_no_longer_shares() -> None:
    cache = RunCache()
    state = run("r1")
    cache.keep(state, T0)

    state.instances["a"].status = StepStatus.SUCCEEDED
    state.instances["a"].state["new"] = True

    entry = cache.take("r1")
    assert entry is not None
    kept = entry.instances["a"]
    assert kept.status is StepStatus.WAITING
    assert "new" not in kept.state


def test_ended_runs_are_dropped_and_the_oldest_entries_give_way() -> None:
    cache = RunCache(size=2)
    cache.keep(run("r1"), T0)
    cache.keep(run("r1", RunStatus.SUCCEEDED), T0)
    assert cache.take("r1") is None

    for run_id in ("r2", "r3", "r4"):
        cache.keep(run(run_id), T0)

    assert len(cache) == 2
    assert cache.take("r2") is None
    assert cache.take("r4") is not None


def test_the_steps_kept_in_all_stay_within_the_budget() -> None:
    cache = RunCache(size=10, max_steps=2)
    cache.keep(run("r1"), T0)
    cache.keep(run("r2"), T0)
    cache.keep(run("r3"), T0)  # one step each: r1 gives way

    assert [cache.take(r) is not None for r in ("r1", "r2", "r3")] == [False, True, True]
    big = run("r4")
    for key in ("b", "c"):
        big.add(Instance(key, key, "", StepStatus.WAITING))
    cache.keep(big, T0)  # three steps: more than the whole budget
    assert cache.take("r4") is None
