"""Engine benchmark: Flowwright's durable engine side by side with LangGraph, Celery and DBOS.

Figures, each for Flowwright on SQLite (a file, WAL, synchronous=FULL) and on PostgreSQL
(127.0.0.1:5432, a scratch database), with two kinds of no-op step:

* transform: the compute-only step. It runs inline in the transaction that made it ready, so a
  chain of them is written (step rows and history) by one commit.
* leased: the path of every step with effects. A worker leases the step (one transaction), reads
  what it needs (one read transaction), executes it and records the outcome under its fencing
  token (one transaction). The steps are ``http`` steps whose executor, in this script's
  container only, is replaced by one that returns the rendered body without any I/O.

(a) one run of 40 sequential steps passing a small JSON value, start to succeeded;
(b) a fan-out of 100 parallel steps (foreach, max_concurrency 100) and a join;
(c) completed 10-step runs per second, one in flight and 16 in flight; the worker runs in this
    process (one OS process hosts the client and the worker, as ``flowwright up`` does);
(d) time from start_run() to the first step running (in-process worker), and for the leased
    path also with the worker in a separate process (it learns of new work by polling);
(e) one bare commit on each database, and Flowwright's transactions and milliseconds per step.

The peers run in their own environment (.bench-venv, see bench/requirements-peers.txt) through
the scripts in bench/peers/; a peer that is missing or fails is reported as n/a.

    python bench/engine_bench.py [--runs N] [--throughput-runs N] [--no-peers] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from flowwright.bootstrap import Container, build_container
from flowwright.entrypoints.logging import configure_logging
from flowwright.entrypoints.roles import run_worker
from flowwright.kernel.ids import new_id
from flowwright.migrations import runner
from flowwright.settings import Settings
from flowwright.tenancy.application.first_run import ensure_first_run
from flowwright.workflow.adapters.run_tables import run_steps
from flowwright.workflow.application import versions
from flowwright.workflow.application.ports import StepCall
from flowwright.workflow.domain.caller import Caller
from flowwright.workflow.domain.runs.outcome import Outcome, Succeeded
from flowwright.workflow.domain.runs.state import RunState

SCRIPT = Path(__file__).resolve()
ROOT = SCRIPT.parents[1]
CHAIN_STEPS = 40
FAN_OUT = 100
SHORT_STEPS = 10
IN_FLIGHT = 16
VALUE = {"order": "A-1042", "amount": 12.5, "tags": ["x", "y"]}
POSTGRES_ADMIN_URL = os.environ.get(
    "FLOWWRIGHT_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
PEER_PYTHON = ROOT / ".bench-venv" / "bin" / "python"
PEERS_DIR = ROOT / "bench" / "peers"
KINDS = ("transform", "leased")
BACKENDS = ("sqlite", "postgresql")

# --- workflow definitions ---------------------------------------------------------------------

_HEAD = """\
apiVersion: flowwright/v1
kind: Workflow
metadata: {{name: {name}}}
inputs:
  {input}: {{type: {input_type}, required: true}}
outputs:
  result: ${{{{ steps.{last}.output }}}}
steps:
"""


def _step_body(kind: str, source: str, indent: str) -> str:
    if kind == "transform":
        return f"{indent}type: transform\n{indent}output: ${{{{ {source} }}}}\n"
    # The url is never called: this script's executor for http steps does no I/O.
    return (
        f"{indent}type: http\n{indent}method: POST\n{indent}url: http://127.0.0.1:9/noop\n"
        f"{indent}body: ${{{{ {source} }}}}\n"
    )


def chain_source(name: str, kind: str, steps: int) -> str:
    parts = [_HEAD.format(name=name, input="value", input_type="object", last=f"s{steps - 1}")]
    for index in range(steps):
        source = "inputs.value" if index == 0 else f"steps.s{index - 1}.output"
        needs = f"    needs: [s{index - 1}]\n" if index else ""
        parts.append(f"  - id: s{index}\n{needs}{_step_body(kind, source, '    ')}")
    return "".join(parts)


def fan_source(name: str, kind: str) -> str:
    return (
        _HEAD.format(name=name, input="items", input_type="array", last="join")
        + "  - id: fan\n    type: foreach\n    items: ${{ inputs.items }}\n"
        + f"    max_concurrency: {FAN_OUT}\n    steps:\n      - id: work\n"
        + _step_body(kind, "item", "        ")
        + "  - id: join\n    type: transform\n    needs: [fan]\n"
        + "    output: ${{ len(steps.fan.output) }}\n"
    )


# --- the no-op executor -----------------------------------------------------------------------


class NoopExecutor:
    """Stands in for the http executor: returns the rendered body, records when it ran."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = defaultdict(int)
        self.first_call_at: dict[str, float] = {}

    async def execute(self, call: StepCall) -> Outcome:
        self.calls[call.run_id] += 1
        self.first_call_at.setdefault(call.run_id, time.perf_counter())
        return Succeeded(call.config.get("body"))

    def forget(self, run_id: str) -> None:
        self.calls.pop(run_id, None)
        self.first_call_at.pop(run_id, None)


# --- statistics -------------------------------------------------------------------------------


def summary(samples_ms: list[float]) -> dict[str, Any]:
    ordered = sorted(samples_ms)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "min_ms": round(ordered[0], 3),
        "max_ms": round(ordered[-1], 3),
        "n": len(ordered),
    }


@dataclass
class Counters:
    """Transactions and statements on the engine's database connection pool."""

    commits: int = 0
    rollbacks: int = 0  # sessions that only read end in a rollback
    statements: int = 0

    def attach(self, container: Container) -> None:
        sync_engine = container.engine.sync_engine

        @event.listens_for(sync_engine, "commit")
        def _commit(_connection: Any) -> None:
            self.commits += 1

        @event.listens_for(sync_engine, "rollback")
        def _rollback(_connection: Any) -> None:
            self.rollbacks += 1

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _statement(*_args: Any) -> None:
            self.statements += 1

    def snapshot(self) -> tuple[int, int, int]:
        return self.commits, self.rollbacks, self.statements


# --- one Flowwright installation --------------------------------------------------------------


@dataclass
class Bench:
    container: Container
    caller: Caller
    executor: NoopExecutor
    counters: Counters
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    background: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def engine(self) -> Any:
        return self.container.run_engine

    def start_worker(self) -> None:
        self.stop = asyncio.Event()
        worker = self.container.worker()
        self.background = [
            asyncio.create_task(worker.run(self.stop)),
            asyncio.create_task(self.container.relay.run(self.stop)),
        ]

    async def stop_worker(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.background, return_exceptions=True)
        self.background = []

    async def run(self, workflow: str, inputs: dict[str, Any], leased_calls: int) -> RunState:
        """Start a run and wait until it has finished; ``leased_calls``: its leased steps."""
        started = await self.engine.start_run(self.caller, workflow, inputs=inputs)
        state: RunState = started.state
        if state.status.is_terminal:
            return state
        run_id = state.run_id
        changed = self.engine.signals.watch(run_id)
        try:
            while True:
                # Read the run only once every leased step has executed: the completion of the
                # last one is the transaction that ends the run.
                if self.executor.calls.get(run_id, 0) >= leased_calls:
                    state = await self.engine.get(self.caller, run_id)
                    if state.status.is_terminal:
                        return state
                await changed.wait()
                changed.clear()
        finally:
            self.engine.signals.unwatch(run_id, changed)
            self.executor.forget(run_id)


async def open_bench(url: str, data_dir: Path) -> Bench:
    await asyncio.to_thread(runner.upgrade, url)
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        jwt_secret="bench-signing-key-" + "k" * 40,
        log_level="WARNING",
        log_format="json",
    )
    container = build_container(settings)
    executor = NoopExecutor()
    container.executors["http"] = executor  # this script's container only
    credentials = await ensure_first_run(
        uow_factory=container.tenancy, hasher=container.hasher, clock=container.clock
    )
    assert credentials is not None, "the benchmark database must start empty"
    caller = Caller(credentials.tenant_id, None, "owner")
    for kind in KINDS:
        for source in (
            chain_source(f"chain40-{kind}", kind, CHAIN_STEPS),
            chain_source(f"chain10-{kind}", kind, SHORT_STEPS),
            fan_source(f"fan100-{kind}", kind),
        ):
            await versions.push(
                source,
                caller=caller,
                uow_factory=container.workflows,
                installation=container.installation,
                clock=container.clock,
            )
    counters = Counters()
    counters.attach(container)
    return Bench(container, caller, executor, counters)


# --- figures ----------------------------------------------------------------------------------


def _leased(kind: str, count: int) -> int:
    return count if kind == "leased" else 0


async def _timed_runs(
    action: Callable[[], Awaitable[RunState]], runs: int, warmup: int = 2
) -> list[float]:
    for _ in range(warmup):
        await action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        state = await action()
        samples.append((time.perf_counter() - started) * 1000)
        assert state.status.value == "succeeded", (state.status, state.error)
    return samples


async def _throughput(bench: Bench, kind: str, total: int, in_flight: int) -> dict[str, Any]:
    remaining = [total]

    async def client() -> None:
        while remaining[0] > 0:
            remaining[0] -= 1
            state = await bench.run(f"chain10-{kind}", {"value": VALUE}, _leased(kind, SHORT_STEPS))
            assert state.status.value == "succeeded", (state.status, state.error)

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(in_flight)))
    seconds = time.perf_counter() - started
    return {
        "runs": total,
        "seconds": round(seconds, 3),
        "runs_per_s": round(total / seconds, 1),
        "in_flight": in_flight,
    }


async def _first_step(bench: Bench, kind: str, runs: int) -> list[float]:
    """Start to first step running: the executor's call (leased), or the step's start time."""
    samples = []
    for _ in range(runs + 2):
        wall = datetime.now(UTC)
        started = time.perf_counter()
        if kind == "leased":
            begun = await bench.engine.start_run(bench.caller, "chain10-leased", inputs=_v())
            run_id = begun.state.run_id
            while run_id not in bench.executor.first_call_at:
                await asyncio.sleep(0)
                if time.perf_counter() - started > 30:
                    raise TimeoutError("the worker never picked the step up")
            samples.append((bench.executor.first_call_at[run_id] - started) * 1000)
            await _until_finished(bench, run_id)
            bench.executor.forget(run_id)
        else:
            state = await bench.run("chain10-transform", _v(), 0)
            step_started = await _step_started_at(bench, state.run_id, "s0")
            samples.append((step_started - wall).total_seconds() * 1000)
    return samples[2:]


def _v() -> dict[str, Any]:
    return {"value": VALUE}


async def _until_finished(bench: Bench, run_id: str, poll: float = 0.002) -> RunState:
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        state: RunState = await bench.engine.get(bench.caller, run_id)
        if state.status.is_terminal:
            return state
        await asyncio.sleep(poll)
    raise TimeoutError(f"run {run_id} did not finish")


async def _step_started_at(bench: Bench, run_id: str, step_key: str) -> datetime:
    async with bench.container.session_factory() as session:
        value = (
            await session.execute(
                select(run_steps.c.started_at).where(
                    run_steps.c.run_id == run_id, run_steps.c.key == step_key
                )
            )
        ).scalar_one()
    assert isinstance(value, datetime)
    return value


async def _per_step_costs(bench: Bench, kind: str) -> dict[str, Any]:
    """Transactions and statements of one 40-step run and one fan-out run, per step."""
    costs: dict[str, Any] = {}
    for figure, workflow, inputs, steps, leased in (
        ("chain40", f"chain40-{kind}", _v(), CHAIN_STEPS, _leased(kind, CHAIN_STEPS)),
        (
            "fanout100",
            f"fan100-{kind}",
            {"items": list(range(FAN_OUT))},
            FAN_OUT + 2,
            _leased(kind, FAN_OUT),
        ),
    ):
        before = bench.counters.snapshot()
        await bench.run(workflow, inputs, leased)
        commits, rollbacks, statements = (
            after - earlier
            for after, earlier in zip(bench.counters.snapshot(), before, strict=True)
        )
        costs[figure] = {
            "steps": steps,
            "transactions": commits,
            "read_only_transactions": rollbacks,
            "statements": statements,
            "transactions_per_step": round(commits / steps, 3),
            "read_only_transactions_per_step": round(rollbacks / steps, 3),
            "statements_per_step": round(statements / steps, 2),
        }
    return costs


async def measure_backend(
    backend: str, url: str, data_dir: Path, runs: int, throughput_runs: int
) -> dict[str, Any]:
    bench = await open_bench(url, data_dir)
    results: dict[str, Any] = {}
    bench.start_worker()
    try:
        for kind in KINDS:
            figures: dict[str, Any] = {}
            leased40, leased100 = _leased(kind, CHAIN_STEPS), _leased(kind, FAN_OUT)
            chain = await _timed_runs(
                lambda k=kind, n=leased40: bench.run(f"chain40-{k}", _v(), n), runs
            )
            figures["chain40"] = summary(chain)
            figures["chain40"]["ms_per_step"] = round(figures["chain40"]["median_ms"] / 40, 3)
            fan = await _timed_runs(
                lambda k=kind, n=leased100: bench.run(
                    f"fan100-{k}", {"items": list(range(FAN_OUT))}, n
                ),
                runs if kind == "transform" else max(5, runs // 2),
            )
            figures["fanout100"] = summary(fan)
            # Leased runs are far slower: fewer of them keep the whole bench within minutes.
            total = throughput_runs if kind == "transform" else max(IN_FLIGHT, throughput_runs // 4)
            figures["throughput_seq"] = await _throughput(bench, kind, total, 1)
            figures["throughput_16"] = await _throughput(bench, kind, total, IN_FLIGHT)
            figures["first_step"] = summary(await _first_step(bench, kind, runs))
            if kind == "transform":
                # Transform runs need no worker; without it, its idle polling is not counted.
                await bench.stop_worker()
                figures["costs"] = await _per_step_costs(bench, kind)
                bench.start_worker()
            else:
                figures["costs"] = await _per_step_costs(bench, kind)
            results[kind] = figures
            print(f"   {backend} {kind}: {_one_line(figures)}", flush=True)
    finally:
        await bench.stop_worker()
    results["leased"]["first_step_other_process"] = summary(
        await _first_step_other_process(bench, url, data_dir, runs)
    )
    print(
        f"   {backend} leased, worker in another process: first step "
        f"{results['leased']['first_step_other_process']['median_ms']:.1f} ms",
        flush=True,
    )
    await bench.container.aclose()
    return results


def _one_line(figures: dict[str, Any]) -> str:
    return (
        f"40 steps {figures['chain40']['median_ms']:.1f} ms, "
        f"fan-out {figures['fanout100']['median_ms']:.1f} ms, "
        f"{figures['throughput_seq']['runs_per_s']:.0f} / "
        f"{figures['throughput_16']['runs_per_s']:.0f} runs/s, "
        f"first step {figures['first_step']['median_ms']:.1f} ms"
    )


async def _first_step_other_process(
    bench: Bench, url: str, data_dir: Path, runs: int
) -> list[float]:
    """Leased path with the worker in a separate process: start to the first step's lease."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--serve-worker",
        url,
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert worker.stdout is not None
        ready = await asyncio.wait_for(worker.stdout.readline(), 60)
        if ready.strip() != b"ready":
            raise RuntimeError("the worker process did not start")
        samples = []
        for index in range(runs + 2):
            # Arrive at a random moment of the worker's poll cycle, as independent starts do.
            await asyncio.sleep(random.uniform(0, 0.3))
            wall = datetime.now(UTC)
            begun = await bench.engine.start_run(bench.caller, "chain10-leased", inputs=_v())
            state = await _until_finished(bench, begun.state.run_id, poll=0.01)
            assert state.status.value == "succeeded", (state.status, state.error)
            leased_at = await _step_started_at(bench, state.run_id, "s0")
            if index >= 2:
                samples.append((leased_at - wall).total_seconds() * 1000)
        return samples
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(worker.wait(), 20)
        except TimeoutError:
            worker.kill()
            await worker.wait()


async def serve_worker(url: str, data_dir: Path) -> None:
    """The separate worker process of (d'): the product's worker role, no-op executor."""
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        jwt_secret="bench-signing-key-" + "k" * 40,
        log_level="WARNING",
        log_format="json",
    )
    container = build_container(settings)
    container.executors["http"] = NoopExecutor()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    try:
        # The product's worker role: worker, outbox relay and (PostgreSQL) the work listener.
        await run_worker(container, stop)
    finally:
        await container.aclose()


# --- bare commits -----------------------------------------------------------------------------


def sqlite_commit_ms(data_dir: Path, count: int = 500) -> dict[str, Any]:
    connection = sqlite3.connect(data_dir / "commit.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO t (v) VALUES (?)", ("x" * 64,))
        connection.execute("COMMIT")
        samples.append((time.perf_counter() - started) * 1000)
    connection.close()
    return {**summary(samples), "what": "stdlib sqlite3: BEGIN IMMEDIATE; INSERT; COMMIT"}


async def postgres_commit_ms(url: str, count: int = 500) -> dict[str, Any]:
    connection = await _asyncpg_connect(url)
    try:
        await connection.execute("CREATE TABLE bench_commit (id bigserial PRIMARY KEY, v text)")
        setting = await connection.fetchval("SHOW synchronous_commit")
        fsync = await connection.fetchval("SHOW fsync")
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            async with connection.transaction():
                await connection.execute("INSERT INTO bench_commit (v) VALUES ($1)", "x" * 64)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    return {
        **summary(samples),
        "what": f"asyncpg: BEGIN; INSERT; COMMIT (synchronous_commit={setting}, fsync={fsync})",
    }


async def _asyncpg_connect(url: str) -> Any:
    import asyncpg

    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database or "postgres",
    )


async def create_database(prefix: str) -> str:
    name = f"{prefix}_{new_id().replace('-', '')[-12:]}"
    admin = await _asyncpg_connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = await _asyncpg_connect(POSTGRES_ADMIN_URL)
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        await admin.close()


async def postgres_reachable() -> bool:
    try:
        connection = await asyncio.wait_for(_asyncpg_connect(POSTGRES_ADMIN_URL), 5)
    except Exception:
        return False
    await connection.close()
    return True


# --- peers ------------------------------------------------------------------------------------

PEERS = {
    "langgraph": "langgraph_peer.py",
    "celery": "celery_peer.py",
    "dbos": "dbos_peer.py",
}


def run_peer(name: str, work_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    if not PEER_PYTHON.exists():
        return {"error": f"{PEER_PYTHON} is missing (make bench installs the peers)"}
    script = PEERS_DIR / PEERS[name]
    command = [
        str(PEER_PYTHON),
        str(script),
        "--dir",
        str(work_dir / name),
        "--runs",
        str(args.runs),
        "--throughput-runs",
        str(args.throughput_runs),
    ]
    if name == "dbos" and args.postgres:
        command += ["--postgres-admin-url", _plain_postgres_url(POSTGRES_ADMIN_URL)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=args.peer_timeout,
            cwd=PEERS_DIR,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {args.peer_timeout} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: {' | '.join(tail)[:300]}"}
    try:
        document: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        return {"error": f"unreadable output: {exc}"}
    return document


def _plain_postgres_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- report -----------------------------------------------------------------------------------

FW_COLUMNS = [
    ("fw-sqlite-transform", "FW SQLite|transform", "sqlite", "transform"),
    ("fw-sqlite-leased", "FW SQLite|leased", "sqlite", "leased"),
    ("fw-postgresql-transform", "FW PG|transform", "postgresql", "transform"),
    ("fw-postgresql-leased", "FW PG|leased", "postgresql", "leased"),
]
PEER_COLUMNS = [
    ("langgraph-sqlite", "LangGraph|SQLite", "langgraph", "sqlite"),
    ("celery-redis", "Celery|Redis", "celery", "redis"),
    ("dbos-sqlite", "DBOS|SQLite", "dbos", "sqlite"),
    ("dbos-postgresql", "DBOS|PG", "dbos", "postgresql"),
]
# (key, label, figure, field, higher is better); ms_per_step is derived from chain40.
ROWS = [
    ("chain40", "(a) 40 sequential steps, ms", "chain40", "median_ms", False),
    ("ms_per_step", "(a) per step, ms", "chain40", "ms_per_step", False),
    ("fanout100", "(b) fan-out 100 + join, ms", "fanout100", "median_ms", False),
    ("throughput_seq", "(c) 10-step runs/s, 1 in flight", "throughput_seq", "runs_per_s", True),
    ("throughput_16", "(c) 10-step runs/s, 16 in flight", "throughput_16", "runs_per_s", True),
    ("first_step", "(d) start -> first step, ms", "first_step", "median_ms", False),
    (
        "first_step_other_process",
        "(d) worker in another process, ms",
        "first_step_other_process",
        "median_ms",
        False,
    ),
]


def _value(figures: dict[str, Any], figure: str, attribute: str) -> float | None:
    entry = figures.get(figure)
    if not isinstance(entry, dict):
        return None
    if attribute == "ms_per_step" and "median_ms" in entry:
        return round(float(entry["median_ms"]) / CHAIN_STEPS, 3)
    value = entry.get(attribute)
    return float(value) if value is not None else None


def build_table(flowwright: dict[str, Any], peers: dict[str, Any]) -> dict[str, Any]:
    columns: dict[str, dict[str, Any]] = {}
    for key, _label, backend, kind in FW_COLUMNS:
        columns[key] = flowwright.get(backend, {}).get(kind, {})
    for key, _label, peer, backend in PEER_COLUMNS:
        document = peers.get(peer, {})
        columns[key] = document.get("columns", {}).get(backend, {})
    values: dict[str, dict[str, float | None]] = {}
    for row, _label, figure, attribute, _higher in ROWS:
        values[row] = {
            column: _value(figures, figure, attribute) for column, figures in columns.items()
        }
    ratios: dict[str, dict[str, dict[str, float | None]]] = {}
    for fw_key, *_ in FW_COLUMNS:
        ratios[fw_key] = {}
        for peer_key, *_ in PEER_COLUMNS:
            ratios[fw_key][peer_key] = {}
            for row, _row_label, _figure, _attribute, higher in ROWS:
                ours, theirs = values[row].get(fw_key), values[row].get(peer_key)
                ratio = None
                if ours and theirs:
                    ratio = round(ours / theirs if higher else theirs / ours, 2)
                ratios[fw_key][peer_key][row] = ratio
    return {"values": values, "ratios": ratios}


def _cell(value: float | None, width: int) -> str:
    if value is None:
        return "n/a".rjust(width)
    if value >= 100:
        return f"{value:.0f}".rjust(width)
    if value >= 10:
        return f"{value:.1f}".rjust(width)
    return f"{value:.2f}".rjust(width)


def _header(labels: list[str], first: str, lead: int, width: int) -> None:
    tops = [label.split("|")[0] for label in labels]
    bottoms = [label.split("|")[1] for label in labels]
    print(first.ljust(lead) + "".join(top.rjust(width) for top in tops))
    print("".ljust(lead) + "".join(bottom.rjust(width) for bottom in bottoms))


def print_table(table: dict[str, Any], peers: dict[str, Any]) -> None:
    columns = FW_COLUMNS + PEER_COLUMNS
    lead, width = 36, 11
    print()
    _header([label for _k, label, *_ in columns], "medians", lead, width)
    for row, label, *_ in ROWS:
        cells = "".join(_cell(table["values"][row].get(key), width) for key, *_ in columns)
        print(label.ljust(lead) + cells)
    print()
    print("ratios to each peer: how many times faster Flowwright is (> 1: Flowwright ahead)")
    for fw_key, fw_label, *_ in FW_COLUMNS:
        print()
        _header([label for _k, label, *_ in PEER_COLUMNS], fw_label.replace("|", " "), lead, width)
        for row, label, *_ in ROWS:
            cells = "".join(
                _cell(table["ratios"][fw_key][peer_key].get(row), width)
                for peer_key, *_ in PEER_COLUMNS
            )
            print(label.ljust(lead) + cells)
    print()
    for name, document in peers.items():
        if "error" in document:
            print(f"{name}: n/a ({document['error']})")
        for column, reason in document.get("na", {}).items():
            print(f"{name} {column}: n/a ({reason})")


# --- main -------------------------------------------------------------------------------------


async def run_all(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "settings": {
            "runs": args.runs,
            "throughput_runs": args.throughput_runs,
            "in_flight": IN_FLIGHT,
            "worker": "in-process (one OS process hosts the client, the worker and the outbox "
            "relay) unless a row says otherwise; product defaults: worker_concurrency 16, "
            "tenant_max_running_steps 32",
        },
        "commit": {"sqlite": sqlite_commit_ms(work_dir)},
        "flowwright": {},
    }
    print(f"bare SQLite commit: {results['commit']['sqlite']['median_ms']:.3f} ms", flush=True)
    backends = [] if args.no_sqlite else ["sqlite"]
    if args.postgres and await postgres_reachable():
        backends.append("postgresql")
    elif args.postgres:
        results["flowwright"]["postgresql"] = {"error": "PostgreSQL is not reachable"}
        args.postgres = False
    for backend in backends:
        print(f"== Flowwright on {backend}", flush=True)
        if backend == "sqlite":
            data_dir = work_dir / "fw-sqlite"
            data_dir.mkdir()
            url = f"sqlite:///{data_dir / 'flowwright.db'}"
            results["flowwright"][backend] = await measure_backend(
                backend, url, data_dir, args.runs, args.throughput_runs
            )
            continue
        url = await create_database("fw_bench")
        try:
            results["commit"]["postgresql"] = await postgres_commit_ms(url)
            print(
                f"bare PostgreSQL commit: {results['commit']['postgresql']['median_ms']:.3f} ms",
                flush=True,
            )
            data_dir = work_dir / "fw-postgresql"
            data_dir.mkdir()
            results["flowwright"][backend] = await measure_backend(
                backend, url, data_dir, args.runs, args.throughput_runs
            )
        finally:
            await drop_database(url)
    return results


def commit_comparison(results: dict[str, Any]) -> dict[str, Any]:
    """How far each Flowwright column is from one bare commit per step."""
    out: dict[str, Any] = {}
    for key, _label, backend, kind in FW_COLUMNS:
        figures = results["flowwright"].get(backend, {}).get(kind)
        commit = results["commit"].get(backend)
        if not figures or not commit:
            continue
        per_step = figures["chain40"]["ms_per_step"]
        fan_per_step = figures["fanout100"]["median_ms"] / (FAN_OUT + 2)
        out[key] = {
            "commit_ms": commit["median_ms"],
            "chain40_ms_per_step": per_step,
            "chain40_commits_worth_per_step": round(per_step / commit["median_ms"], 1),
            "fanout100_ms_per_step": round(fan_per_step, 3),
            "fanout100_commits_worth_per_step": round(fan_per_step / commit["median_ms"], 1),
            "chain40_transactions_per_step": figures["costs"]["chain40"]["transactions_per_step"],
            "fanout100_transactions_per_step": figures["costs"]["fanout100"][
                "transactions_per_step"
            ],
            "chain40_read_only_transactions_per_step": figures["costs"]["chain40"][
                "read_only_transactions_per_step"
            ],
            "chain40_statements_per_step": figures["costs"]["chain40"]["statements_per_step"],
        }
    return out


def print_commits(comparison: dict[str, Any]) -> None:
    print()
    print("against one bare commit per step (chain of 40 / fan-out of 100)")
    for key, label, *_ in FW_COLUMNS:
        entry = comparison.get(key)
        if entry is None:
            continue
        label = label.replace("|", " ")
        print(
            f"{label:<20} {entry['chain40_ms_per_step']:.3f} ms/step = "
            f"{entry['chain40_commits_worth_per_step']:.1f} commits' worth "
            f"({entry['chain40_transactions_per_step']:.3f} committed and "
            f"{entry['chain40_read_only_transactions_per_step']:.3f} read-only transactions, "
            f"{entry['chain40_statements_per_step']:.1f} statements per step); fan-out "
            f"{entry['fanout100_ms_per_step']:.3f} ms/step = "
            f"{entry['fanout100_commits_worth_per_step']:.1f} commits' worth "
            f"({entry['fanout100_transactions_per_step']:.3f} transactions per step); "
            f"commit {entry['commit_ms']:.3f} ms"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="samples per latency figure")
    parser.add_argument("--throughput-runs", type=int, default=200)
    parser.add_argument("--no-peers", dest="peers", action="store_false")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--no-sqlite", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--peer-timeout", type=int, default=240)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--serve-worker", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    configure_logging(level="WARNING", fmt="json")
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    if args.serve_worker:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_worker(args.serve_worker, args.data_dir))
        return 0

    work_dir = Path(tempfile.mkdtemp(prefix="flowwright-bench-"))
    try:
        results = asyncio.run(run_all(args, work_dir))
        peers: dict[str, Any] = {}
        if args.peers:
            for name in PEERS:
                print(f"== {name}", flush=True)
                peers[name] = run_peer(name, work_dir, args)
                if "error" in peers[name]:
                    print(f"   n/a: {peers[name]['error']}", flush=True)
        else:
            peers = {name: {"error": "peers not run (--no-peers)"} for name in PEERS}
        results["peers"] = peers
        results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["table"] = build_table(results["flowwright"], peers)
        results["against_commit"] = commit_comparison(results)
        print_table(results["table"], peers)
        print_commits(results["against_commit"])
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.output}")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
