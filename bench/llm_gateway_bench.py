"""LLM gateway benchmark: what the gateway adds to a model call, and how many streams it carries.

A local server speaking the OpenAI wire format (the one the tests use, in its own process so it
does not share this process's interpreter lock) answers instantly. Against it, the benchmark
times

1. the gateway's overhead per call: ``LLMGateway.complete`` (catalog and budget read, API key
   from the encrypted secret store, routing, breaker, usage record written, and with
   ``--budget`` the tenant's budget counters too) minus a direct ``openai.AsyncOpenAI`` call to
   the same server, interleaved call by call;
2. throughput: 100 concurrent streams through one process, gateway and direct SDK.

    python bench/llm_gateway_bench.py [--calls N] [--streams N] [--database-url URL] [--budget]

Prints a table and writes bench/results/llm_gateway.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import openai

from flowwright.agents.application.access import Caller, Grant
from flowwright.agents.application.budgets import BudgetSpec, set_budget
from flowwright.agents.application.catalog import AliasSpec, ProviderSpec, put_alias, put_provider
from flowwright.agents.domain.catalog import Candidate, ProviderKind, RoutingPolicy
from flowwright.agents.domain.messages import ChatMessage, ChatRequest, MessageRole, StreamEnd
from flowwright.bootstrap import Container, build_container
from flowwright.migrations import runner
from flowwright.settings import Settings
from flowwright.tenancy.application.secrets import set_secret
from flowwright.tenancy.application.tenants import CreateTenant, create_tenant
from flowwright.tenancy.domain.principal import Principal
from flowwright.tenancy.domain.roles import Role

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "llm_gateway.json"
MODEL = "gpt-4o-mini"
PROMPT = ChatRequest("fast", (ChatMessage(MessageRole.USER, "Say hello in five words."),))
ANSWER = "Hello there, how are you doing today? " * 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(port: int) -> None:
    sys.path.insert(0, str(ROOT / "tests"))  # the fake provider server lives with the tests
    from llm_fakes import FakeLLMServer, text

    server = FakeLLMServer(default=text(ANSWER, input_tokens=12, output_tokens=40), port=port)
    server.start()
    while True:
        time.sleep(3600)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the fake provider did not start")


async def _setup(container: Container, base_url: str, *, budget: bool) -> str:
    tenant = await create_tenant(
        CreateTenant(slug="bench", name="Bench"),
        actor=None,
        uow_factory=container.tenancy,
        hasher=container.hasher,
        clock=container.clock,
    )
    owner = Principal("bench", tenant.id, Role.OWNER, is_admin=False, via="token")
    await set_secret(
        "BENCH_KEY",
        "sk-bench",
        actor=owner,
        uow_factory=container.tenancy,
        cipher=container.secret_cipher,
        clock=container.clock,
    )
    caller = Caller(tenant.id, "bench", frozenset(Grant))
    await put_provider(
        ProviderSpec(
            "local",
            ProviderKind.OPENAI,
            base_url=base_url,
            api_key_secret="BENCH_KEY",  # noqa: S106  (the secret's name, not its value)
        ),
        caller=caller,
        uow_factory=container.llm.agents,
        guard=container.llm.guard,
        clock=container.clock,
    )
    await put_alias(
        AliasSpec("fast", RoutingPolicy.PRIORITY, [Candidate("local", MODEL)]),
        caller=caller,
        uow_factory=container.llm.agents,
        clock=container.clock,
    )
    if budget:  # a limit the run never reaches: every call counts against it, none is stopped
        await set_budget(
            BudgetSpec(token_limit=10**15),
            caller=caller,
            uow_factory=container.llm.agents,
            clock=container.clock,
        )
    return tenant.id


def _ms(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def _timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def _overhead(
    container: Container, tenant_id: str, direct: openai.AsyncOpenAI, calls: int
) -> dict[str, float]:
    gateway = container.llm.gateway
    messages: Any = [{"role": "user", "content": PROMPT.messages[0].content}]

    async def sdk() -> object:
        return await direct.chat.completions.create(model=MODEL, messages=messages)

    async def through_gateway() -> object:
        return await gateway.complete(PROMPT, tenant_id=tenant_id)

    for _ in range(30):  # warm up connections, caches and the interpreter
        await sdk()
        await through_gateway()
    direct_s, gateway_s = [], []
    for _ in range(calls):
        direct_s.append(await _timed(sdk))
        gateway_s.append(await _timed(through_gateway))
    return {
        "direct_median_ms": statistics.median(direct_s) * 1000,
        "gateway_median_ms": statistics.median(gateway_s) * 1000,
        "overhead_median_ms": (statistics.median(gateway_s) - statistics.median(direct_s)) * 1000,
        "overhead_p90_ms": _ms(gateway_s, 0.9) - _ms(direct_s, 0.9),
        "direct_p90_ms": _ms(direct_s, 0.9),
        "gateway_p90_ms": _ms(gateway_s, 0.9),
    }


async def _streams(
    container: Container, tenant_id: str, direct: openai.AsyncOpenAI, total: int, width: int
) -> dict[str, float]:
    gateway = container.llm.gateway
    messages: Any = [{"role": "user", "content": PROMPT.messages[0].content}]
    gate = asyncio.Semaphore(width)

    async def via_gateway() -> None:
        async with gate:
            ended = False
            async for event in gateway.stream(PROMPT, tenant_id=tenant_id):
                ended = ended or isinstance(event, StreamEnd)
            assert ended

    async def via_sdk() -> None:
        async with gate:
            chunks = await direct.chat.completions.create(
                model=MODEL,
                messages=messages,
                stream=True,
                stream_options={"include_usage": True},
            )
            async for _ in chunks:
                pass

    results = {}
    for label, one in (("direct", via_sdk), ("gateway", via_gateway)):
        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(total)))
        results[f"{label}_streams_per_s"] = total / (time.perf_counter() - started)
    return results


async def _main(args: argparse.Namespace, base_url: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        url = args.database_url or f"sqlite:///{data_dir}/bench.db"
        await asyncio.to_thread(runner.upgrade, url)
        settings = Settings(
            database_url=url,
            data_dir=Path(data_dir),
            jwt_secret="bench-" + "k" * 40,
            llm_allowed_hosts=["127.0.0.1"],
        )
        container = build_container(settings)
        direct = openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
        try:
            tenant_id = await _setup(container, base_url, budget=args.budget)
            overhead = await _overhead(container, tenant_id, direct, args.calls)
            streams = await _streams(container, tenant_id, direct, args.streams, 100)
        finally:
            await direct.close()
            await container.aclose()
    return {
        "database": "postgresql" if args.database_url else "sqlite",
        "budget": args.budget,
        "calls": args.calls,
        "streams": args.streams,
        "concurrency": 100,
        # The figures swing with other load on the machine: record what it was.
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        **overhead,
        **streams,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument(
        "--budget", action="store_true", help="give the tenant a budget (its counters are updated)"
    )
    args = parser.parse_args()
    port = _free_port()
    server = multiprocessing.get_context("spawn").Process(target=_serve, args=(port,), daemon=True)
    server.start()
    try:
        _wait_for(port)
        result = asyncio.run(_main(args, f"http://127.0.0.1:{port}/v1"))
    finally:
        server.terminate()
        server.join(5)
    rows = [
        ("direct SDK call, median", f"{result['direct_median_ms']:.2f} ms"),
        ("gateway call, median", f"{result['gateway_median_ms']:.2f} ms"),
        ("gateway overhead, median", f"{result['overhead_median_ms']:.2f} ms"),
        ("gateway overhead, p90", f"{result['overhead_p90_ms']:.2f} ms"),
        ("100 concurrent streams, direct SDK", f"{result['direct_streams_per_s']:.0f} /s"),
        ("100 concurrent streams, gateway", f"{result['gateway_streams_per_s']:.0f} /s"),
    ]
    width = max(len(label) for label, _ in rows)
    print(
        f"LLM gateway on {result['database']}{' with a budget' if result['budget'] else ''} "
        f"({result['calls']} calls, {result['streams']} streams)"
    )
    for label, value in rows:
        print(f"  {label.ljust(width)}  {value:>12}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
