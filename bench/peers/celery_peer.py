"""A Celery chain on the local Redis (broker and result backend), one worker process.

The script starts its own worker (``--pool solo``: one process, one task at a time) on a queue
of its own, measures, and stops it. Redis here keeps nothing on disk, so nothing is fsynced:
Celery's figures are not durable ones.

    .bench-venv/bin/python bench/peers/celery_peer.py --dir /tmp/x [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from importlib.metadata import version
from pathlib import Path
from typing import Any

from celery import Celery, chain, chord, group

REDIS_URL = os.environ.get("BENCH_CELERY_REDIS_URL", "redis://127.0.0.1:6379/13")
QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "flowwright-bench")

app = Celery("celery_peer", broker=REDIS_URL, backend=REDIS_URL)
app.conf.update(
    task_default_queue=QUEUE,
    result_expires=600,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)


@app.task(name="bench.noop")
def noop(value: Any) -> Any:
    return value


@app.task(name="bench.stamp")
def stamp(_value: Any) -> float:
    return time.time()


@app.task(name="bench.join")
def join(results: list[Any]) -> int:
    return len(results)


def _chain(steps: int, value: Any) -> Any:
    return chain(noop.s(value), *[noop.s() for _ in range(steps - 1)])


def _start_worker(work_dir: Path) -> subprocess.Popen[bytes]:
    log = (work_dir / "celery-worker.log").open("wb")
    here = Path(__file__).resolve().parent
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "celery_peer",
        "worker",
        "--pool",
        "solo",
        "--queues",
        QUEUE,
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--loglevel",
        "WARNING",
        "--hostname",
        f"bench-{uuid.uuid4().hex[:8]}@%h",
    ]
    env = {**os.environ, "PYTHONPATH": str(here)}
    return subprocess.Popen(command, cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)


def main() -> None:
    from peer_common import (
        CHAIN_STEPS,
        FAN_OUT,
        THROUGHPUT_STEPS,
        VALUE,
        emit,
        summary,
        throughput,
        timed_ms,
    )

    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--throughput-runs", type=int, default=200)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    app.control.purge()
    worker = _start_worker(args.dir)
    try:
        # The first round trip also waits for the worker to be up.
        assert noop.delay(1).get(timeout=60) == 1
        timeout = 120

        def run_chain(steps: int) -> Any:
            return _chain(steps, VALUE).apply_async().get(timeout=timeout)

        def run_fan() -> Any:
            return chord(group(noop.s(i) for i in range(FAN_OUT)))(join.s()).get(timeout=timeout)

        assert run_chain(CHAIN_STEPS) == VALUE
        assert run_fan() == FAN_OUT
        figures: dict[str, Any] = {
            "chain40": summary(timed_ms(lambda: run_chain(CHAIN_STEPS), args.runs)),
            "fanout100": summary(timed_ms(run_fan, args.runs)),
        }
        first = []
        for _ in range(args.runs):
            started = time.time()
            ran_at = chain(stamp.s(VALUE)).apply_async().get(timeout=timeout)
            first.append((ran_at - started) * 1000)
        # The worker is always another process here: compare with Flowwright's row for that.
        figures["first_step_other_process"] = summary(first)
        started = time.perf_counter()
        for _ in range(args.throughput_runs):
            run_chain(THROUGHPUT_STEPS)
        figures["throughput_seq"] = throughput(
            args.throughput_runs, time.perf_counter() - started, 1
        )
        started = time.perf_counter()
        pending: list[Any] = []
        submitted = 0
        while submitted < args.throughput_runs or pending:
            while len(pending) < 16 and submitted < args.throughput_runs:
                pending.append(_chain(THROUGHPUT_STEPS, VALUE).apply_async())
                submitted += 1
            pending.pop(0).get(timeout=timeout)
        figures["throughput_16"] = throughput(
            args.throughput_runs, time.perf_counter() - started, 16
        )
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    emit(
        {
            "peer": "celery",
            "version": f"celery {version('celery')}, redis-py {version('redis')}",
            "durability": "Redis broker and result backend; this Redis keeps nothing on disk "
            "(no fsync); one worker, --pool solo",
            "columns": {"redis": figures},
            "na": {
                "first_step": "Celery always runs tasks in a worker process of its own; its "
                "figure is in the row for a worker in another process"
            },
        }
    )


if __name__ == "__main__":
    main()
