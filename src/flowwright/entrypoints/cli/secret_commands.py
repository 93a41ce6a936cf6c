"""CLI commands for tenant secrets: ``secret set|list|delete`` (through the API) and the offline
``secrets rotate-key``."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated, Any

import typer

from flowwright.entrypoints.cli.output import print_json, print_table
from flowwright.entrypoints.cli.session import api_client, fail
from flowwright.settings import Settings

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

secret_app = typer.Typer(no_args_is_help=True, help="Secrets of the current tenant.")
secrets_app = typer.Typer(no_args_is_help=True, help="Installation-wide secret maintenance.")


def show(items: list[dict[str, Any]] | dict[str, Any], columns: list[str], as_json: bool) -> None:
    """Print one item or a list: a table for people, JSON with ``--json``."""
    if as_json:
        print_json(items)
    else:
        print_table(items if isinstance(items, list) else [items], columns)


_SECRET_COLUMNS = ["name", "created_at", "updated_at"]


@secret_app.command("set")
def secret_set(
    ctx: typer.Context,
    name: str,
    value: Annotated[
        str | None, typer.Option(help="The value (visible in shell history: prefer stdin).")
    ] = None,
    from_stdin: Annotated[bool, typer.Option("--from-stdin", help="Read the value.")] = False,
) -> None:
    """Create or replace a secret; without --value or --from-stdin, prompt for it."""
    if value is not None and from_stdin:
        fail("give --value or --from-stdin, not both", 2)
    if from_stdin:
        value = sys.stdin.read().rstrip("\r\n")
    elif value is None:
        value = typer.prompt(f"value of {name}", hide_input=True)
    with api_client(ctx) as client:
        client.request("PUT", f"/v1/secrets/{name}", json={"value": value})
    typer.echo(f"secret {name} set")


@secret_app.command("list")
def secret_list(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List secret names (values are never shown)."""
    with api_client(ctx) as client:
        items = client.get("/v1/secrets")
    show(items, _SECRET_COLUMNS, as_json)


@secret_app.command("delete")
def secret_delete(ctx: typer.Context, name: str) -> None:
    """Delete a secret."""
    with api_client(ctx) as client:
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
            fail("FLOWWRIGHT_SECRETS_KEYS is set: put the new key first there instead", 2)
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
