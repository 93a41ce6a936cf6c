"""LangGraph with its SQLite checkpointer, in durable mode (``durability="sync"``).

The checkpoint database is a file in WAL mode with ``synchronous=FULL`` (fsync at commit), as
Flowwright's. Every node is a no-op that passes the state on.

    .bench-venv/bin/python bench/peers/langgraph_peer.py --dir /tmp/x [--runs N]
"""

from __future__ import annotations

import argparse
import operator
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send
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


class ChainState(TypedDict):
    value: dict[str, Any]


class FanState(TypedDict):
    items: list[int]
    results: Annotated[list[int], operator.add]
    total: int


_first_step_at: list[float] = []


def _chain_graph(steps: int, saver: SqliteSaver) -> Any:
    builder = StateGraph(ChainState)
    previous = START
    for index in range(steps):
        name = f"s{index}"
        if index == 0:

            def first(state: ChainState) -> ChainState:
                _first_step_at.append(time.perf_counter())
                return {"value": state["value"]}

            builder.add_node(name, first)
        else:
            builder.add_node(name, lambda state: {"value": state["value"]})
        builder.add_edge(previous, name)
        previous = name
    builder.add_edge(previous, END)
    return builder.compile(checkpointer=saver)


def _fan_graph(saver: SqliteSaver) -> Any:
    builder = StateGraph(FanState)
    builder.add_node("fan", lambda state: {})
    builder.add_node("work", lambda item: {"results": [item["item"]]})
    builder.add_node("join", lambda state: {"total": len(state["results"])})
    builder.add_edge(START, "fan")
    builder.add_conditional_edges(
        "fan", lambda state: [Send("work", {"item": i}) for i in state["items"]], ["work"]
    )
    builder.add_edge("work", "join")
    builder.add_edge("join", END)
    return builder.compile(checkpointer=saver)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    return connection


def _invoke(graph: Any, payload: dict[str, Any]) -> Any:
    config = {"configurable": {"thread_id": str(uuid.uuid4())}}
    return graph.invoke(payload, config, durability="sync")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--throughput-runs", type=int, default=200)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    connection = _connect(args.dir / "langgraph.sqlite")
    saver = SqliteSaver(connection)
    saver.setup()
    chain = _chain_graph(CHAIN_STEPS, saver)
    short = _chain_graph(THROUGHPUT_STEPS, saver)
    fan = _fan_graph(saver)

    chain_ms = timed_ms(lambda: _invoke(chain, {"value": VALUE}), args.runs)
    result = _invoke(chain, {"value": VALUE})
    assert result["value"] == VALUE, result
    fan_input = {"items": list(range(FAN_OUT)), "results": []}
    fan_ms = timed_ms(lambda: _invoke(fan, fan_input), args.runs)
    assert _invoke(fan, fan_input)["total"] == FAN_OUT

    first_ms = []
    for _ in range(args.runs):
        _first_step_at.clear()
        started = time.perf_counter()
        _invoke(short, {"value": VALUE})
        first_ms.append((_first_step_at[0] - started) * 1000)

    figures: dict[str, Any] = {
        "chain40": summary(chain_ms),
        "fanout100": summary(fan_ms),
        "first_step": summary(first_ms),
    }
    started = time.perf_counter()
    for _ in range(args.throughput_runs):
        _invoke(short, {"value": VALUE})
    figures["throughput_seq"] = throughput(args.throughput_runs, time.perf_counter() - started, 1)

    lock = threading.Lock()
    done = [0]

    def one(_: int) -> None:
        _invoke(short, {"value": VALUE})
        with lock:
            done[0] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(one, range(args.throughput_runs)))
    figures["throughput_16"] = throughput(done[0], time.perf_counter() - started, 16)
    connection.close()
    emit(
        {
            "peer": "langgraph",
            "version": f"langgraph {version('langgraph')}, "
            f"langgraph-checkpoint-sqlite {version('langgraph-checkpoint-sqlite')}",
            "durability": 'SqliteSaver, durability="sync", WAL, synchronous=FULL',
            "columns": {"sqlite": figures},
            "na": {"postgresql": "the SQLite checkpointer was asked for; PostgreSQL not measured"},
        }
    )


if __name__ == "__main__":
    main()
