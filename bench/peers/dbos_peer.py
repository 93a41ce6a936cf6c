"""DBOS Transact: workflows of no-op steps, each step checkpointed in the system database.

Run once on SQLite (a file switched to WAL; SQLite's default synchronous=FULL) and, when a
PostgreSQL admin URL is given, once on a scratch PostgreSQL database, in separate processes
(DBOS is configured once per process). The fan-out is an async workflow that gathers 100 async
steps (DBOS checkpoints each) and then joins.

    .bench-venv/bin/python bench/peers/dbos_peer.py --dir /tmp/x [--postgres-admin-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

from peer_common import (
    CHAIN_STEPS,
    FAN_OUT,
    THROUGHPUT_STEPS,
    VALUE,
    emit,
    note,
    summary,
    throughput,
    timed_ms,
)

_first_step_at: list[float] = []


def measure(system_database_url: str, runs: int, throughput_runs: int) -> dict[str, Any]:
    from dbos import DBOS

    @DBOS.step()
    def noop(value: Any) -> Any:
        return value

    @DBOS.step()
    def first(value: Any) -> Any:
        _first_step_at.append(time.perf_counter())
        return value

    @DBOS.step()
    async def anoop(value: Any) -> Any:
        return value

    @DBOS.workflow()
    def chain40(value: Any) -> Any:
        for _ in range(CHAIN_STEPS):
            value = noop(value)
        return value

    @DBOS.workflow()
    def chain10(value: Any) -> Any:
        value = first(value)
        for _ in range(THROUGHPUT_STEPS - 1):
            value = noop(value)
        return value

    @DBOS.workflow()
    async def fanout(count: int) -> int:
        results = await asyncio.gather(*(anoop(i) for i in range(count)))
        return len(results)

    DBOS(
        config={
            "name": "flowwright-bench",
            "system_database_url": system_database_url,
            "log_level": "WARNING",
            "run_admin_server": False,
        }
    )
    DBOS.launch()
    try:
        loop = asyncio.new_event_loop()
        assert chain40(VALUE) == VALUE
        assert loop.run_until_complete(fanout(FAN_OUT)) == FAN_OUT
        figures: dict[str, Any] = {
            "chain40": summary(timed_ms(lambda: chain40(VALUE), runs)),
            "fanout100": summary(timed_ms(lambda: loop.run_until_complete(fanout(FAN_OUT)), runs)),
        }
        first_ms = []
        for _ in range(runs):
            _first_step_at.clear()
            started = time.perf_counter()
            chain10(VALUE)
            first_ms.append((_first_step_at[0] - started) * 1000)
        figures["first_step"] = summary(first_ms)
        started = time.perf_counter()
        for _ in range(throughput_runs):
            chain10(VALUE)
        figures["throughput_seq"] = throughput(throughput_runs, time.perf_counter() - started, 1)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda _: chain10(VALUE), range(throughput_runs)))
        figures["throughput_16"] = throughput(throughput_runs, time.perf_counter() - started, 16)
        loop.close()
    finally:
        DBOS.destroy(destroy_registry=True)
    return figures


def _child(args: argparse.Namespace) -> None:
    figures = measure(args.system_database_url, args.runs, args.throughput_runs)
    sys.stdout.write(json.dumps(figures) + "\n")


def _run_child(url: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        "--system-database-url",
        url,
        "--dir",
        str(args.dir),
        "--runs",
        str(args.runs),
        "--throughput-runs",
        str(args.throughput_runs),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise RuntimeError(f"exit {done.returncode}: {tail[:300]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _postgres(admin_url: str) -> tuple[str, Any]:
    import psycopg

    name = f"dbos_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin_url.rpartition("/")

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')

    return f"{base}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--throughput-runs", type=int, default=200)
    parser.add_argument("--postgres-admin-url")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--system-database-url")
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    columns: dict[str, Any] = {}
    na: dict[str, str] = {}
    path = args.dir / "dbos.sqlite"
    with sqlite3.connect(path) as connection:
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        synchronous = connection.execute("PRAGMA synchronous").fetchone()[0]
    note(f"dbos sqlite: journal_mode={mode}, synchronous={synchronous} (2 = FULL)")
    try:
        columns["sqlite"] = _run_child(f"sqlite:///{path}", args)
    except Exception as exc:
        na["sqlite"] = str(exc)
    if args.postgres_admin_url:
        try:
            url, drop = _postgres(args.postgres_admin_url)
        except Exception as exc:
            na["postgresql"] = f"no scratch database: {exc}"
        else:
            try:
                columns["postgresql"] = _run_child(url, args)
            except Exception as exc:
                na["postgresql"] = str(exc)
            finally:
                drop()
    else:
        na["postgresql"] = "no PostgreSQL admin URL given"
    emit(
        {
            "peer": "dbos",
            "version": f"dbos {version('dbos')}",
            "durability": "system database: SQLite file in WAL mode (synchronous=FULL, the "
            "default), or PostgreSQL (synchronous_commit=on)",
            "columns": columns,
            "na": na,
        }
    )


if __name__ == "__main__":
    main()
