"""``flowwright``: run the platform and manage it through its HTTP API."""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from flowwright import __version__
from flowwright.entrypoints.cli import design_command, llm_commands, workflow_commands
from flowwright.entrypoints.cli.client import ApiClient, ApiError
from flowwright.entrypoints.cli.output import print_json, print_table
from flowwright.entrypoints.cli.profile import Profile, save_profile
from flowwright.entrypoints.cli.session import client_for_profile, fail
from flowwright.entrypoints.role_names import Role as ServerRole
from flowwright.kernel.errors import FlowwrightError
from flowwright.settings import Settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Flowwright: describe an automation, review it, run it durably.",
)
tenant_app = typer.Typer(no_args_is_help=True, help="Tenants (installation administrators).")
user_app = typer.Typer(no_args_is_help=True, help="Users and their roles in the current tenant.")
apikey_app = typer.Typer(no_args_is_help=True, help="API keys of the current tenant.")
app.add_typer(tenant_app, name="tenant")
app.add_typer(user_app, name="user")
app.add_typer(apikey_app, name="apikey")
for _name, _sub_app in {**workflow_commands.SUB_APPS, **llm_commands.SUB_APPS}.items():
    app.add_typer(_sub_app, name=_name)
app.command("design")(design_command.design)

_state: dict[str, str] = {"profile": "default"}

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def _root(
    profile: Annotated[
        str, typer.Option(envvar="FLOWWRIGHT_PROFILE", help="CLI profile to use.")
    ] = "default",
) -> None:
    _state["profile"] = profile


@contextmanager
def api() -> Iterator[ApiClient]:
    with client_for_profile(_state["profile"]) as client:
        yield client


# --- offline commands ---------------------------------------------------------------------


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(f"flowwright {__version__}")


@app.command()
def migrate() -> None:
    """Apply database migrations (works offline, against FLOWWRIGHT_DATABASE_URL)."""
    from flowwright.migrations import runner

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    runner.upgrade(settings.resolved_database_url, app_role=settings.postgres_app_role)
    typer.echo(f"database at revision {runner.head_revision()}")


@app.command()
def up() -> None:
    """Migrate, create the first tenant and owner on first run, and serve all roles."""
    settings = Settings()
    asyncio.run(_up(settings))


async def _up(settings: Settings) -> None:
    from flowwright.bootstrap import build_container
    from flowwright.entrypoints.logging import configure_logging
    from flowwright.entrypoints.roles import serve
    from flowwright.migrations import runner
    from flowwright.tenancy.application.first_run import ensure_first_run

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await asyncio.to_thread(
        runner.upgrade, settings.resolved_database_url, app_role=settings.postgres_app_role
    )
    container = build_container(settings)
    credentials = await ensure_first_run(
        uow_factory=container.tenancy, hasher=container.hasher, clock=container.clock
    )
    url = settings.base_url
    typer.echo(f"Flowwright {__version__} serving at {url} (API docs: {url}/docs)")
    if credentials is not None:
        path = save_profile(_state["profile"], Profile(url=url, api_key=credentials.api_key))
        typer.echo("First run: created tenant 'default' and its owner.")
        typer.echo(f"  email:    {credentials.email}")
        typer.echo(f"  password: {credentials.password}")
        typer.echo(f"  API key:  {credentials.api_key}")
        typer.echo(
            f"These are shown once. The CLI profile '{_state['profile']}' in {path} "
            "holds the API key, so 'flowwright ...' commands work now."
        )
    sys.stdout.flush()
    await serve(container, ServerRole.ALL)


@app.command("serve")
def serve_command(
    role: Annotated[
        ServerRole, typer.Option(help="Which role this process plays.")
    ] = ServerRole.ALL,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations before serving.")
    ] = False,
) -> None:
    """Serve one role (api, worker, scheduler) or all, against the configured database."""
    settings = Settings()
    asyncio.run(_serve(settings, role, migrate_first))


async def _serve(settings: Settings, role: ServerRole, migrate_first: bool) -> None:
    from flowwright.bootstrap import build_container
    from flowwright.entrypoints.logging import configure_logging
    from flowwright.entrypoints.roles import serve
    from flowwright.migrations import runner

    configure_logging(level=settings.log_level, fmt=settings.log_format)
    if migrate_first:
        await asyncio.to_thread(
            runner.upgrade, settings.resolved_database_url, app_role=settings.postgres_app_role
        )
    await serve(build_container(settings), role)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Workflow definitions (YAML or JSON).")],
    output_format: Annotated[str, typer.Option("--format", help="text or json")] = "text",
) -> None:
    """Check workflow files offline; prints FILE:LINE:COL: error[CODE]: message (hint)."""
    from flowwright.entrypoints.cli.validate_command import validate_files

    if output_format not in ("text", "json"):
        fail("--format must be 'text' or 'json'", 2)
    raise typer.Exit(
        validate_files(
            files,
            output_format=output_format,  # type: ignore[arg-type]
            out=sys.stdout,
        )
    )


# --- session ---------------------------------------------------------------------------------


@app.command()
def login(
    url: Annotated[str, typer.Option(help="Server URL.")] = "http://127.0.0.1:8420",
    email: Annotated[str, typer.Option(prompt=True)] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, envvar="FLOWWRIGHT_PASSWORD")
    ] = "",
    tenant: Annotated[str | None, typer.Option(help="Tenant slug; default: your first.")] = None,
) -> None:
    """Log in with a password and store an API key for this machine in the CLI profile."""
    anonymous = ApiClient(url)
    try:
        token = anonymous.post(
            "/v1/auth/login", {"email": email, "password": password, "tenant": tenant}
        )
        authed = ApiClient(url, token=token["access_token"])
        try:
            key = authed.post("/v1/api-keys", {"name": f"cli on {socket.gethostname()}"[:100]})
        finally:
            authed.close()
    except ApiError as exc:
        fail(str(exc), 2 if exc.code == "unreachable" else 1)
        return
    finally:
        anonymous.close()
    path = save_profile(_state["profile"], Profile(url=url.rstrip("/"), api_key=key["key"]))
    typer.echo(f"Logged in to {url} as {email} (role {key['role']}); profile saved in {path}")


@app.command()
def whoami(as_json: JsonOpt = False) -> None:
    """Show who the current profile's credentials speak for."""
    with api() as client:
        me = client.get("/v1/me")
    if as_json:
        print_json(me)
    else:
        admin = ", installation administrator" if me["is_admin"] else ""
        typer.echo(f"user {me['user_id']} in tenant {me['tenant_id']} as {me['role']}{admin}")


# --- tenants ---------------------------------------------------------------------------------

_TENANT_COLUMNS = ["id", "slug", "name", "status", "created_at"]


@tenant_app.command("create")
def tenant_create(
    slug: str,
    name: Annotated[str | None, typer.Option(help="Display name; default: the slug.")] = None,
    owner_email: Annotated[str | None, typer.Option(help="Create the first owner.")] = None,
    owner_password: Annotated[
        str | None,
        typer.Option(envvar="FLOWWRIGHT_OWNER_PASSWORD", help="Password of the first owner."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a tenant (installation administrators)."""
    body = {
        "slug": slug,
        "name": name or slug,
        "owner_email": owner_email,
        "owner_password": owner_password,
    }
    with api() as client:
        tenant = client.post("/v1/tenants", body)
    _show(tenant, _TENANT_COLUMNS, as_json)


@tenant_app.command("list")
def tenant_list(as_json: JsonOpt = False) -> None:
    """List tenants: all for administrators, your own otherwise."""
    with api() as client:
        tenants = client.get("/v1/tenants")
    _show_many(tenants, _TENANT_COLUMNS, as_json)


@tenant_app.command("show")
def tenant_show(tenant_id: str, as_json: JsonOpt = False) -> None:
    """Show one tenant."""
    with api() as client:
        tenant = client.get(f"/v1/tenants/{tenant_id}")
    _show(tenant, _TENANT_COLUMNS, as_json)


# --- users -----------------------------------------------------------------------------------

_MEMBER_COLUMNS = ["id", "email", "role", "display_name", "created_at"]


@user_app.command("create")
def user_create(
    email: str,
    role: Annotated[str, typer.Option(help="owner, admin, editor, operator or viewer")] = "viewer",
    password: Annotated[
        str | None, typer.Option(envvar="FLOWWRIGHT_USER_PASSWORD", help="Password for a new user.")
    ] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Add a user to the current tenant with a role (creates the user when new)."""
    body = {"email": email, "role": role, "password": password, "display_name": display_name}
    with api() as client:
        member = client.post("/v1/members", body)
    _show(member, _MEMBER_COLUMNS, as_json)


@user_app.command("list")
def user_list(as_json: JsonOpt = False) -> None:
    """List the members of the current tenant."""
    with api() as client:
        members = client.get("/v1/members")
    _show_many(members, _MEMBER_COLUMNS, as_json)


@user_app.command("set-role")
def user_set_role(membership_id: str, role: str, as_json: JsonOpt = False) -> None:
    """Change a member's role."""
    with api() as client:
        member = client.patch(f"/v1/members/{membership_id}", {"role": role})
    _show(member, _MEMBER_COLUMNS, as_json)


@user_app.command("remove")
def user_remove(membership_id: str) -> None:
    """Remove a member from the current tenant (their API keys here are revoked)."""
    with api() as client:
        client.delete(f"/v1/members/{membership_id}")
    typer.echo(f"removed {membership_id}")


# --- API keys --------------------------------------------------------------------------------

_KEY_COLUMNS = ["id", "name", "prefix", "role", "created_at", "expires_at", "revoked_at"]


@apikey_app.command("create")
def apikey_create(
    name: str,
    role: Annotated[str | None, typer.Option(help="Default: your own role.")] = None,
    expires_in_days: Annotated[int | None, typer.Option(min=1, max=3650)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create an API key; the key is printed once."""
    with api() as client:
        key = client.post(
            "/v1/api-keys", {"name": name, "role": role, "expires_in_days": expires_in_days}
        )
    if as_json:
        print_json(key)
        return
    typer.echo(key["key"])
    typer.echo(
        f"(id {key['id']}, role {key['role']}; store it now: it is not shown again)", err=True
    )


@apikey_app.command("list")
def apikey_list(as_json: JsonOpt = False) -> None:
    """List API keys (admins see every key of the tenant)."""
    with api() as client:
        keys = client.get("/v1/api-keys")
    _show_many(keys, _KEY_COLUMNS, as_json)


@apikey_app.command("revoke")
def apikey_revoke(key_id: str, as_json: JsonOpt = False) -> None:
    """Revoke an API key at once."""
    with api() as client:
        key = client.delete(f"/v1/api-keys/{key_id}")
    _show(key, _KEY_COLUMNS, as_json)


def _show(item: dict[str, Any], columns: list[str], as_json: bool) -> None:
    if as_json:
        print_json(item)
    else:
        print_table([item], columns)


def _show_many(items: list[dict[str, Any]], columns: list[str], as_json: bool) -> None:
    if as_json:
        print_json(items)
    else:
        print_table(items, columns)


def main() -> None:
    try:
        app()
    except FlowwrightError as exc:
        typer.echo(f"error[{exc.code}]: {exc.message}", err=True)
        raise SystemExit(1) from exc
