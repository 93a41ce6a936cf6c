"""CLI commands for the LLM gateway and tenant secrets: ``llm``, ``secret``, ``secrets``, ``usage``.

Every command but ``secrets rotate-key`` talks to the HTTP API with the current profile;
``rotate-key`` works offline against the database, like ``migrate``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from flowwright.entrypoints.cli.client import ApiClient, ApiError
from flowwright.entrypoints.cli.output import print_json, print_table
from flowwright.entrypoints.cli.profile import Profile, load_profile
from flowwright.settings import Settings

llm_app = typer.Typer(no_args_is_help=True, help="Model providers, aliases, budget and calls.")
provider_app = typer.Typer(no_args_is_help=True, help="Model providers of the current tenant.")
alias_app = typer.Typer(no_args_is_help=True, help="Model aliases: candidates and routing.")
budget_app = typer.Typer(no_args_is_help=True, help="The monthly LLM budget.")
price_app = typer.Typer(no_args_is_help=True, help="Model prices (US dollars per 1M tokens).")
llm_app.add_typer(provider_app, name="provider")
llm_app.add_typer(alias_app, name="alias")
llm_app.add_typer(budget_app, name="budget")
llm_app.add_typer(price_app, name="price")
secret_app = typer.Typer(no_args_is_help=True, help="Secrets of the current tenant.")
secrets_app = typer.Typer(no_args_is_help=True, help="Installation-wide secret maintenance.")
usage_app = typer.Typer(help="LLM usage and cost of the current tenant.")

# The sub-apps registered on the main ``flowwright`` command, by name.
SUB_APPS: dict[str, typer.Typer] = {
    "llm": llm_app,
    "secret": secret_app,
    "secrets": secrets_app,
    "usage": usage_app,
}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

_state: dict[str, str] = {"profile": "default"}


def _remember_profile(ctx: typer.Context) -> None:
    """Keep the root command's ``--profile`` for the commands below."""
    _state["profile"] = str(ctx.find_root().params.get("profile") or "default")


llm_app.callback()(_remember_profile)
secret_app.callback()(_remember_profile)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _profile() -> Profile:
    name = _state["profile"]
    profile = load_profile(name)
    if profile is None:
        _fail(
            f"no CLI profile '{name}': run 'flowwright up' on this machine, or 'flowwright login', "
            "or set FLOWWRIGHT_URL and FLOWWRIGHT_API_KEY",
            2,
        )
        raise AssertionError  # unreachable: _fail raises
    return profile


@contextmanager
def _api() -> Iterator[ApiClient]:
    client = ApiClient.of(_profile())
    try:
        yield client
    except ApiError as exc:
        _fail(str(exc), 2 if exc.code == "unreachable" else 1)
    finally:
        client.close()


def _show(items: list[dict[str, Any]] | dict[str, Any], columns: list[str], as_json: bool) -> None:
    if as_json:
        print_json(items)
    else:
        print_table(items if isinstance(items, list) else [items], columns)


# --- providers ---------------------------------------------------------------------------------

_PROVIDER_COLUMNS = ["name", "kind", "base_url", "api_key_secret", "timeout_seconds"]


@provider_app.command("add")
def provider_add(
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
    with _api() as client:
        provider = client.request("PUT", f"/v1/llm/providers/{name}", json=body)
    _show(provider, _PROVIDER_COLUMNS, as_json)


@provider_app.command("list")
def provider_list(as_json: JsonOpt = False) -> None:
    """List providers."""
    with _api() as client:
        providers = client.get("/v1/llm/providers")
    _show(providers, _PROVIDER_COLUMNS, as_json)


@provider_app.command("remove")
def provider_remove(name: str) -> None:
    """Remove a provider (no alias may still use it)."""
    with _api() as client:
        client.delete(f"/v1/llm/providers/{name}")
    typer.echo(f"removed provider {name}")


# --- aliases -----------------------------------------------------------------------------------


def _candidates(specs: list[str], weights: list[float]) -> list[dict[str, Any]]:
    if weights and len(weights) != len(specs):
        _fail("give one --weight per --candidate, or none", 2)
    candidates = []
    for index, spec in enumerate(specs):
        provider, sep, model = spec.partition(":")
        if not sep or not provider or not model:
            _fail(f"--candidate reads PROVIDER:MODEL, got {spec!r}", 2)
        candidate: dict[str, Any] = {"provider": provider, "model": model}
        if weights:
            candidate["weight"] = weights[index]
        candidates.append(candidate)
    return candidates


@alias_app.command("set")
def alias_set(
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
    with _api() as client:
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
def alias_list(as_json: JsonOpt = False) -> None:
    """List aliases."""
    with _api() as client:
        aliases = client.get("/v1/llm/aliases")
    if as_json:
        print_json(aliases)
    else:
        print_table([_alias_row(a) for a in aliases], ["name", "policy", "candidates"])


@alias_app.command("remove")
def alias_remove(name: str) -> None:
    """Remove an alias."""
    with _api() as client:
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
    tokens: Annotated[int | None, typer.Option(help="Tokens per month.")] = None,
    usd: Annotated[str | None, typer.Option(help="US dollars per month, e.g. 250.00")] = None,
    warn_percent: Annotated[int, typer.Option(help="Warn once at this share of a limit.")] = 80,
    as_json: JsonOpt = False,
) -> None:
    """Set the monthly budget (calendar month, UTC)."""
    body = {"token_limit": tokens, "cost_limit_usd": usd, "warn_percent": warn_percent}
    with _api() as client:
        budget = client.request("PUT", "/v1/llm/budget", json=body)
    _show(budget, _BUDGET_COLUMNS, as_json)


@budget_app.command("show")
def budget_show(as_json: JsonOpt = False) -> None:
    """Show the budget and this month's usage."""
    with _api() as client:
        budget = client.get("/v1/llm/budget")
    _show(budget, _BUDGET_COLUMNS, as_json)


_PRICE_COLUMNS = ["model", "input_per_million", "output_per_million", "source"]


@price_app.command("set")
def price_set(
    model: str,
    input_usd: Annotated[str, typer.Option("--input", help="USD per 1M input tokens.")],
    output_usd: Annotated[str, typer.Option("--output", help="USD per 1M output tokens.")],
    as_json: JsonOpt = False,
) -> None:
    """Set a model's price for this tenant."""
    body = {"input_per_million": input_usd, "output_per_million": output_usd}
    with _api() as client:
        price = client.request("PUT", f"/v1/llm/prices/{model}", json=body)
    _show(price, _PRICE_COLUMNS, as_json)


@price_app.command("list")
def price_list(
    defaults: Annotated[bool, typer.Option(help="Include the built-in defaults.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """List prices."""
    with _api() as client:
        prices = client.get("/v1/llm/prices", defaults=str(defaults).lower())
    _show(prices, _PRICE_COLUMNS, as_json)


@price_app.command("remove")
def price_remove(model: str) -> None:
    """Remove a tenant price (the default applies again, if any)."""
    with _api() as client:
        client.delete(f"/v1/llm/prices/{model}")
    typer.echo(f"removed the price of {model}")


@llm_app.command("breakers")
def breakers(as_json: JsonOpt = False) -> None:
    """Circuit breaker of each provider (as the API process sees it)."""
    with _api() as client:
        states = client.get("/v1/llm/breakers")
    _show(states, ["provider", "state", "consecutive_failures", "retry_in_seconds"], as_json)


# --- chat --------------------------------------------------------------------------------------


@llm_app.command("chat")
def llm_chat(
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
        _stream_chat(body, as_json)
        return
    with _api() as client:
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


def _stream_chat(body: dict[str, Any], as_json: bool) -> None:
    profile = _profile()
    headers = {"Authorization": f"Bearer {profile.api_key}", "User-Agent": "flowwright-cli"}
    try:
        with (
            httpx.Client(base_url=profile.url, headers=headers, timeout=300) as client,
            client.stream("POST", "/v1/llm/chat", json=body) as response,
        ):
            if response.status_code >= 400:
                response.read()
                problem = response.json() if response.content else {}
                _fail(
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
        _fail(f"cannot reach Flowwright at {profile.url} ({exc.__class__.__name__})", 2)


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
        _fail(f"\nerror[{data.get('code')}]: {data.get('detail')}")


# --- secrets -----------------------------------------------------------------------------------

_SECRET_COLUMNS = ["name", "created_at", "updated_at"]


@secret_app.command("set")
def secret_set(
    name: str,
    value: Annotated[
        str | None, typer.Option(help="The value (visible in shell history: prefer stdin).")
    ] = None,
    from_stdin: Annotated[bool, typer.Option("--from-stdin", help="Read the value.")] = False,
) -> None:
    """Create or replace a secret; without --value or --from-stdin, prompt for it."""
    if value is not None and from_stdin:
        _fail("give --value or --from-stdin, not both", 2)
    if from_stdin:
        value = sys.stdin.read().rstrip("\r\n")
    elif value is None:
        value = typer.prompt(f"value of {name}", hide_input=True)
    with _api() as client:
        client.request("PUT", f"/v1/secrets/{name}", json={"value": value})
    typer.echo(f"secret {name} set")


@secret_app.command("list")
def secret_list(as_json: JsonOpt = False) -> None:
    """List secret names (values are never shown)."""
    with _api() as client:
        items = client.get("/v1/secrets")
    _show(items, _SECRET_COLUMNS, as_json)


@secret_app.command("delete")
def secret_delete(name: str) -> None:
    """Delete a secret."""
    with _api() as client:
        client.delete(f"/v1/secrets/{name}")
    typer.echo(f"deleted secret {name}")


@secrets_app.command("rotate-key")
def rotate_key(
    new_key: Annotated[
        bool,
        typer.Option(
            "--new-key",
            help="First add a new current key to the data directory's "
            "key file (when FLOWWRIGHT_SECRETS_KEYS is unset).",
        ),
    ] = False,
) -> None:
    """Re-encrypt every secret of every tenant with the current key (offline, on the database)."""
    from flowwright.bootstrap import build_container
    from flowwright.tenancy.adapters.secret_cipher import prepend_key_file
    from flowwright.tenancy.application.secrets import rotate_secrets

    settings = Settings()
    if new_key:
        if settings.secrets_keys is not None:
            _fail("FLOWWRIGHT_SECRETS_KEYS is set: put the new key first there instead", 2)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        typer.echo(f"new current key {prepend_key_file(settings.data_dir)}")

    async def run() -> int:
        container = build_container(settings)
        try:
            return await rotate_secrets(
                uow_factory=container.tenancy, cipher=container.secret_cipher
            )
        finally:
            await container.aclose()

    rotated = asyncio.run(run())
    typer.echo(f"re-encrypted {rotated} secret(s) with the current key")


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
    _remember_profile(ctx)
    with _api() as client:
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
