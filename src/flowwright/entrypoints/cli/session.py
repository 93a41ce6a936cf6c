"""What every API-backed command needs: the selected profile's client, and clean failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from flowwright.entrypoints.cli.client import ApiClient, ApiError
from flowwright.entrypoints.cli.profile import load_profile


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def profile_name(ctx: typer.Context) -> str:
    return str(ctx.find_root().params.get("profile") or "default")


@contextmanager
def api_client(ctx: typer.Context) -> Iterator[ApiClient]:
    with client_for_profile(profile_name(ctx)) as client:
        yield client


@contextmanager
def client_for_profile(name: str) -> Iterator[ApiClient]:
    """A client for the named profile; API errors end the command with their message."""
    profile = load_profile(name)
    if profile is None:
        fail(
            f"no CLI profile '{name}': run 'flowwright up' on this machine, or "
            "'flowwright login --url URL --email EMAIL', or set FLOWWRIGHT_URL and "
            "FLOWWRIGHT_API_KEY",
            2,
        )
    client = ApiClient.of(profile)
    try:
        yield client
    except ApiError as exc:
        fail(str(exc), 2 if exc.code == "unreachable" else 1)
    finally:
        client.close()
