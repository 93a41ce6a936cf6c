"""Many rows at once: one statement on PostgreSQL, one driver call per table on SQLite.

asyncpg runs an executemany as one execution per row: about 0.1 ms each on a local server, so
the 122 rows a 40-step run writes cost 12 ms, and a fan-out of 100 its 300. PostgreSQL receives
the rows here instead as one array per column, expanded by ``INSERT ... SELECT * FROM
unnest(...)``: one execution whatever the number of rows. The statement's text depends only on
the table and its columns, so each connection prepares it once. (A multi-row ``VALUES`` list
would be a new statement for every number of rows, compiled and planned anew each time.)
Rows of several tables written together (``insert_together``: a run with its steps, history
and events) go to PostgreSQL as one such statement, every table but the last in a
data-modifying ``WITH`` clause: one round trip for the lot.

SQLite runs an executemany in C already; what cost was SQLAlchemy building each row's parameters
(7-9% of a 10- or 40-step start). The rows go to the driver's executemany directly instead.

Either way, values go through each column type's own bind processing first (JSON serialized,
UTC datetimes checked and formatted), so the rows stored are the ones SQLAlchemy's executemany
would have stored. A single row, or another database, gets SQLAlchemy's INSERT (built once per
table: building one took about 0.1 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Insert, Table, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flowwright.kernel.adapters.database import dialect_of

Processor = Callable[[Any], Any] | None


async def insert_rows(
    session: AsyncSession | AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows`` (dictionaries with the same keys, column names) into ``table``.

    Rows whose keys differ are refused (``ValueError``) before anything is sent: a value only
    some rows carry would otherwise be dropped without a word.
    """
    await insert_together(session, [(table, rows)])


async def insert_together(
    session: AsyncSession | AsyncConnection,
    writes: Sequence[tuple[Table, Sequence[dict[str, Any]]]],
) -> None:
    """Insert each table's rows, as ``insert_rows`` would, in the order given.

    PostgreSQL receives them all in one statement: each table's rows but the last go in a
    data-modifying ``WITH`` clause. Its foreign keys are checked at the statement's end, so a
    row may refer to one inserted by an earlier table of the same call. Elsewhere the tables
    are written one after the other.
    """
    writes = [(table, rows) for table, rows in writes if rows]
    for table, rows in writes:
        keys = rows[0].keys()
        if any(row.keys() != keys for row in rows):
            raise ValueError(f"rows for {table.name} must all have the same columns")
    if not writes:
        return
    dialect = dialect_of(session)
    if dialect.name == "postgresql" and (len(writes) > 1 or len(writes[0][1]) > 1):
        await _execute(session, *_together(writes, dialect))
        return
    for table, rows in writes:
        if len(rows) == 1 or dialect.name not in _BY_DRIVER:
            plain = _PLAIN.get(table.name)
            if plain is None:
                plain = _PLAIN[table.name] = insert(table)
            await session.execute(plain, list(rows))
            continue
        names = tuple(rows[0].keys())
        sql = _statement(table, names, dialect)
        columns = list(zip(names, _processors(table, names, dialect), strict=True))
        parameters = [  # one tuple per row
            tuple(row[name] if process is None else process(row[name]) for name, process in columns)
            for row in rows
        ]
        await _execute(session, sql, parameters)


async def _execute(session: AsyncSession | AsyncConnection, sql: str, parameters: Any) -> None:
    connection = session if isinstance(session, AsyncConnection) else await session.connection()
    await connection.exec_driver_sql(sql, parameters)


def _together(
    writes: Sequence[tuple[Table, Sequence[dict[str, Any]]]], dialect: Dialect
) -> tuple[str, tuple[list[Any], ...]]:
    """PostgreSQL's one statement for ``writes``, and its parameters: one array per column."""
    shape = tuple((table, tuple(rows[0].keys())) for table, rows in writes)
    sql = _COMBINED.get(key := tuple((table.name, names) for table, names in shape))
    if sql is None:
        inserts, first = [], 1
        for table, names in shape:
            inserts.append(_statement(table, names, dialect, first))
            first += len(names)
        clauses = ", ".join(f"w{index} AS ({text})" for index, text in enumerate(inserts[:-1]))
        sql = _COMBINED[key] = f"WITH {clauses} {inserts[-1]}" if clauses else inserts[-1]
    parameters: list[list[Any]] = []
    for (table, names), (_, rows) in zip(shape, writes, strict=True):
        processors = _processors(table, names, dialect)
        parameters.extend(
            [row[name] for row in rows] if process is None else [process(row[name]) for row in rows]
            for name, process in zip(names, processors, strict=True)
        )
    return sql, tuple(parameters)


def _unnest(dialect: Dialect, table: Table, names: tuple[str, ...], first: int) -> str:
    arrays = ", ".join(
        f"${index}::{table.c[name].type.compile(dialect=dialect)}[]"
        for index, name in enumerate(names, start=first)
    )
    return f"SELECT * FROM unnest({arrays})"  # noqa: S608  (column types, no values)


def _values(_dialect: Dialect, _table: Table, names: tuple[str, ...], _first: int) -> str:
    return f"VALUES ({', '.join('?' for _ in names)})"


# How each driver is handed many rows, after the column list (see the module's docstring).
_BY_DRIVER: dict[str, Callable[[Dialect, Table, tuple[str, ...], int], str]] = {
    "postgresql": _unnest,
    "sqlite": _values,
}
_PLAIN: dict[str, Insert] = {}
_STATEMENTS: dict[tuple[str, tuple[str, ...], str, int], str] = {}
_PROCESSORS: dict[tuple[str, tuple[str, ...], str], list[Processor]] = {}
_COMBINED: dict[tuple[tuple[str, tuple[str, ...]], ...], str] = {}  # PostgreSQL's, by shape


def _statement(table: Table, names: tuple[str, ...], dialect: Dialect, first: int = 1) -> str:
    """The driver-level INSERT of ``names`` into ``table``, its parameters numbered from
    ``first`` where the driver numbers them."""
    key = (table.name, names, dialect.name, first)
    built = _STATEMENTS.get(key)
    if built is None:
        # Only the table's own column names and types, quoted by the dialect, enter the text.
        target = dialect.identifier_preparer.format_table(table)
        listed = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
        rows = _BY_DRIVER[dialect.name](dialect, table, names, first)
        built = _STATEMENTS[key] = f"INSERT INTO {target} ({listed}) {rows}"
    return built


def _processors(table: Table, names: tuple[str, ...], dialect: Dialect) -> list[Processor]:
    """Each column's bind processor (None where values go to the driver as they are)."""
    key = (table.name, names, dialect.name)
    built = _PROCESSORS.get(key)
    if built is None:
        built = _PROCESSORS[key] = [
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
        ]
    return built
