"""CLI commands for the LLM gateway: ``llm`` and ``usage``, clients of the HTTP API.

``SUB_APPS`` also carries the ``secret`` and ``secrets`` groups (see secret_commands.py), so that
the main command registers all of them at once.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from flowwright.entrypoints.cli.output import print_json, print_table
from flowwright.entrypoints.cli.profile import load_profile
from flowwright.entrypoints.cli.secret_commands import JsonOpt, secret_app, secrets_app, show
from flowwright.entrypoints.cli.session import api_client, fail, profile_name

llm_app = typer.Typer(no_args_is_help=True, help="Model providers, aliases, budget and calls.")
provider_app = typer.Typer(no_args_is_help=True, help="Model providers of the current tenant.")
alias_app = typer.Typer(no_args_is_help=True, help="Model aliases: candidates and routing.")
budget_app = typer.Typer(no_args_is_help=True, help="The monthly LLM budget.")
price_app = typer.Typer(no_args_is_help=True, help="Model prices (US dollars per 1M tokens).")
llm_app.add_typer(provider_app, name="provider")
llm_app.add_typer(alias_app, name="alias")
llm_app.add_typer(budget_app, name="budget")
llm_app.add_typer(price_app, name="price")
usage_app = typer.Typer(help="LLM usage and cost of the current tenant.")

# The sub-apps registered on the main ``flowwright`` command, by name.
SUB_APPS: dict[str, typer.Typer] = {
    "llm": llm_app,
    "secret": secret_app,
    "secrets": secrets_app,
    "usage": usage_app,
}

# --- providers ---------------------------------------------------------------------------------

_PROVIDER_COLUMNS = ["name", "kind", "base_url", "api_key_secret", "timeout_seconds"]


@provider_app.command("add")
def provider_add(
    ctx: typer.Context,
    name: str,
    kind: Annotated[str, typer.Option(help="openai (and OpenAI-compatible) or anthropic")],
    base_url: Annotated[
        str | None, typer.Option(help="e.g. http://localhost:11434/v1 (Ollama)")
    ] = None,
    api_key_secret: Annotated[
        str | None, typer.Option(help="Name of the tenant secret holding the API key.")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per call.")] = 60.0,
    breaker_threshold: Annotated[int, typer.Option(help="Failures that open the breaker.")] = 5,
    breaker_cooldown: Annotated[float, typer.Option(help="Seconds before a probe.")] = 30.0,
    as_json: JsonOpt = False,
) -> None:
    """Add or replace a provider."""
    body = {
        "kind": kind,
        "base_url": base_url,
        "api_key_secret": api_key_secret,
        "timeout_seconds": timeout,
        "breaker_threshold": breaker_threshold,
        "breaker_cooldown_seconds": breaker_cooldown,
    }
    with api_client(ctx) as client:
        provider = client.request("PUT", f"/v1/llm/providers/{name}", json=body)
    show(provider, _PROVIDER_COLUMNS, as_json)


@provider_app.command("list")
def provider_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List providers."""
    with api_client(ctx) as client:
        providers = client.get("/v1/llm/providers")
    show(providers, _PROVIDER_COLUMNS, as_json)


@provider_app.command("remove")
def provider_remove(ctx: typer.Context, name: str) -> None:
    """Remove a provider (no alias may still use it)."""
    with api_client(ctx) as client:
        client.delete(f"/v1/llm/providers/{name}")
    typer.echo(f"removed provider {name}")


# --- aliases -----------------------------------------------------------------------------------


def _candidates(specs: list[str], weights: list[float]) -> list[dict[str, Any]]:
    if weights and len(weights) != len(specs):
        fail("give one --weight per --candidate, or none", 2)
    candidates = []
    for index, spec in enumerate(specs):
        provider, sep, model = spec.partition(":")
        if not sep or not provider or not model:
            fail(f"--candidate reads PROVIDER:MODEL, got {spec!r}", 2)
        candidate: dict[str, Any] = {"provider": provider, "model": model}
        if weights:
            candidate["weight"] = weights[index]
        candidates.append(candidate)
    return candidates


@alias_app.command("set")
def alias_set(
    ctx: typer.Context,
    name: str,
    candidate: Annotated[
        list[str] | None,
        typer.Option(help="PROVIDER:MODEL, in fallback order (repeat the option)."),
    ] = None,
    policy: Annotated[
        str, typer.Option(help="priority, cheapest, lowest_latency or weighted")
    ] = "priority",
    weight: Annotated[
        list[float] | None, typer.Option(help="Weights for 'weighted', one per candidate.")
    ] = None,
    candidates_json: Annotated[
        str | None,
        typer.Option(help="Full candidates as JSON (params, weight, capabilities), or @FILE."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create or replace an alias."""
    if candidates_json is not None:
        raw = (
            Path(candidates_json[1:]).read_text()
            if candidates_json.startswith("@")
            else (candidates_json)
        )
        items = json.loads(raw)
    else:
        items = _candidates(candidate or [], weight or [])
    with api_client(ctx) as client:
        alias = client.request(
            "PUT", f"/v1/llm/aliases/{name}", json={"policy": policy, "candidates": items}
        )
    if as_json:
        print_json(alias)
    else:
        print_table([_alias_row(alias)], ["name", "policy", "candidates"])


def _alias_row(alias: dict[str, Any]) -> dict[str, Any]:
    path = ", ".join(f"{c['provider']}:{c['model']}" for c in alias["candidates"])
    return {"name": alias["name"], "policy": alias["policy"], "candidates": path}


@alias_app.command("list")
def alias_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List aliases."""
    with api_client(ctx) as client:
        aliases = client.get("/v1/llm/aliases")
    if as_json:
        print_json(aliases)
    else:
        print_table([_alias_row(a) for a in aliases], ["name", "policy", "candidates"])


@alias_app.command("remove")
def alias_remove(ctx: typer.Context, name: str) -> None:
    """Remove an alias."""
    with api_client(ctx) as client:
        client.delete(f"/v1/llm/aliases/{name}")
    typer.echo(f"removed alias {name}")


# --- budget and prices -------------------------------------------------------------------------

_BUDGET_COLUMNS = [
    "period",
    "token_limit",
    "cost_limit_usd",
    "warn_percent",
    "used_tokens",
    "used_usd",
    "resets_at",
]


@budget_app.command("set")
def budget_set(
    ctx: typer.Context,
    tokens: Annotated[int | None, typer.Option(help="Tokens per month.")] = None,
    usd: Annotated[str | None, typer.Option(help="US dollars per month, e.g. 250.00")] = None,
    warn_percent: Annotated[int, typer.Option(help="Warn once at this share of a limit.")] = 80,
    as_json: JsonOpt = False,
) -> None:
    """Set the monthly budget (calendar month, UTC)."""
    body = {"token_limit": tokens, "cost_limit_usd": usd, "warn_percent": warn_percent}
    with api_client(ctx) as client:
        budget = client.request("PUT", "/v1/llm/budget", json=body)
    show(budget, _BUDGET_COLUMNS, as_json)


@budget_app.command("show")
def budgetshow(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the budget and this month's usage."""
    with api_client(ctx) as client:
        budget = client.get("/v1/llm/budget")
    show(budget, _BUDGET_COLUMNS, as_json)


_PRICE_COLUMNS = ["model", "input_per_million", "output_per_million", "source"]


@price_app.command("set")
def price_set(
    ctx: typer.Context,
    model: str,
    input_usd: Annotated[str, typer.Option("--input", help="USD per 1M input tokens.")],
    output_usd: Annotated[str, typer.Option("--output", help="USD per 1M output tokens.")],
    as_json: JsonOpt = False,
) -> None:
    """Set a model's price for this tenant."""
    body = {"input_per_million": input_usd, "output_per_million": output_usd}
    with api_client(ctx) as client:
        price = client.request("PUT", f"/v1/llm/prices/{model}", json=body)
    show(price, _PRICE_COLUMNS, as_json)


@price_app.command("list")
def price_list(
    ctx: typer.Context,
    defaults: Annotated[bool, typer.Option(help="Include the built-in defaults.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List prices."""
    with api_client(ctx) as client:
        prices = client.get("/v1/llm/prices", defaults=str(defaults).lower())
    show(prices, _PRICE_COLUMNS, as_json)


@price_app.command("remove")
def price_remove(ctx: typer.Context, model: str) -> None:
    """Remove a tenant price (the default applies again, if any)."""
    with api_client(ctx) as client:
        client.delete(f"/v1/llm/prices/{model}")
    typer.echo(f"removed the price of {model}")


@llm_app.command("breakers")
def breakers(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Circuit breaker of each provider (as the API process sees it)."""
    with api_client(ctx) as client:
        states = client.get("/v1/llm/breakers")
    show(states, ["provider", "state", "consecutive_failures", "retry_in_seconds"], as_json)


# --- chat --------------------------------------------------------------------------------------


@llm_app.command("chat")
def llm_chat(
    ctx: typer.Context,
    alias: str,
    prompt: str,
    system: Annotated[str | None, typer.Option(help="A system message.")] = None,
    stream: Annotated[bool, typer.Option("--stream", help="Print text as it arrives.")] = False,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Record and reuse the answer.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Call a model alias with one prompt and print the answer."""
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": prompt})
    body: dict[str, Any] = {
        "alias": alias,
        "messages": messages,
        "stream": stream,
        "idempotency_key": idempotency_key,
    }
    if stream:
        _stream_chat(ctx, body, as_json)
        return
    with api_client(ctx) as client:
        answer = client.post("/v1/llm/chat", body)
    if as_json:
        print_json(answer)
        return
    typer.echo(answer["content"])
    _summary(answer)


def _summary(answer: dict[str, Any]) -> None:
    usage = answer["usage"]
    cost = f"${answer['cost_usd']}" + ("" if answer["priced"] else " (model not priced)")
    typer.echo(
        f"[{answer['provider']}/{answer['model']}: {usage['input_tokens']} in, "
        f"{usage['output_tokens']} out, {cost}, {answer['latency_ms']} ms]",
        err=True,
    )


def _stream_chat(ctx: typer.Context, body: dict[str, Any], as_json: bool) -> None:
    name = profile_name(ctx)
    profile = load_profile(name)
    if profile is None:
        fail(
            f"no CLI profile '{name}': run 'flowwright login', or set FLOWWRIGHT_URL and "
            "FLOWWRIGHT_API_KEY",
            2,
        )
    headers = {"Authorization": f"Bearer {profile.api_key}", "User-Agent": "flowwright-cli"}
    try:
        with (
            httpx.Client(base_url=profile.url, headers=headers, timeout=300) as client,
            client.stream("POST", "/v1/llm/chat", json=body) as response,
        ):
            if response.status_code >= 400:
                response.read()
                problem = response.json() if response.content else {}
                fail(
                    f"error[{problem.get('code', response.status_code)}]: "
                    f"{problem.get('detail', response.text[:200])}"
                )
            event = ""
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    _on_event(event, json.loads(line[6:]), as_json)
    except httpx.TransportError as exc:
        fail(f"cannot reach Flowwright at {profile.url} ({exc.__class__.__name__})", 2)


def _on_event(event: str, data: dict[str, Any], as_json: bool) -> None:
    if event == "delta" and not as_json:
        sys.stdout.write(data["text"])
        sys.stdout.flush()
    elif event == "done":
        if as_json:
            print_json(data)
        else:
            typer.echo("")
            _summary(data)
    elif event == "error":
        fail(f"\nerror[{data.get('code')}]: {data.get('detail')}")


# --- usage -------------------------------------------------------------------------------------


@usage_app.callback(invoke_without_command=True)
def usage(
    ctx: typer.Context,
    by: Annotated[str, typer.Option(help="day, model, workflow or run")] = "day",
    since: Annotated[
        str | None, typer.Option("--from", help="ISO time, default month start")
    ] = None,
    until: Annotated[str | None, typer.Option("--to", help="ISO time, default month end")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Usage and cost, aggregated (default: this month, by day)."""
    with api_client(ctx) as client:
        summary = client.get("/v1/usage", group_by=by, **{"from": since, "to": until})
    if as_json:
        print_json(summary)
        return
    rows = [*summary["groups"], {**summary["total"], "key": "TOTAL"}]
    print_table(
        rows,
        [
            "key",
            "calls",
            "failed_calls",
            "input_tokens",
            "output_tokens",
            "cost_usd",
            "unpriced_calls",
        ],
    )
