"""Row-level security helpers for migrations (PostgreSQL only; no-ops elsewhere).

Each tenant-owned table gets a policy comparing ``tenant_id`` with the transaction's
``flowwright.tenant_id`` setting, or admitting the ``system`` scope used by authentication and
background roles. ``FORCE`` makes the policy apply to the table owner as well, and the application
assumes the unprivileged role below in every transaction, so it applies to superusers too.
"""

from __future__ import annotations

import re

from alembic import op

DEFAULT_APP_ROLE = "flowwright_app"
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"unsafe SQL identifier {name!r}")
    return name


def app_role() -> str:
    config = op.get_context().config
    role = config.attributes.get("app_role", DEFAULT_APP_ROLE) if config else DEFAULT_APP_ROLE
    return _ident(str(role))


def is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def create_app_role() -> None:
    if not is_postgres():
        return
    role = app_role()
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') "  # noqa: S608  (role is a validated identifier)
        f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$"
    )
    op.execute(
        f"DO $$ BEGIN IF NOT pg_has_role(current_user, '{role}', 'MEMBER') "
        f"THEN EXECUTE 'GRANT {role} TO ' || quote_ident(current_user); END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}"
    )


def grant_table(table: str) -> None:
    if is_postgres():
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {_ident(table)} TO {app_role()}")


def enable_tenant_isolation(table: str) -> None:
    if not is_postgres():
        return
    table = _ident(table)
    grant_table(table)
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    condition = (
        "current_setting('flowwright.scope', true) = 'system' "
        "OR tenant_id = current_setting('flowwright.tenant_id', true)"
    )
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} USING ({condition}) WITH CHECK ({condition})"
    )


def disable_tenant_isolation(table: str) -> None:
    if not is_postgres():
        return
    table = _ident(table)
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
