"""Many rows into one table at once: one statement on PostgreSQL, one driver call on SQLite.

asyncpg runs an executemany as one execution per row: about 0.1 ms each on a local server, so
the 122 rows a 40-step run writes cost 12 ms, and a fan-out of 100 its 300. PostgreSQL receives
the rows here instead as one array per column, expanded by ``INSERT ... SELECT * FROM
unnest(...)``: one execution whatever the number of rows. The statement's text depends only on
the table and its columns, so each connection prepares it once. (A multi-row ``VALUES`` list
would be a new statement for every number of rows, compiled and planned anew each time.)

SQLite runs an executemany in C already; what cost was SQLAlchemy building each row's parameters
(7-9% of a 10- or 40-step start). The rows go to the driver's executemany directly instead.

Either way, values go through each column type's own bind processing first (JSON serialized,
UTC datetimes checked and formatted), so the rows stored are the ones SQLAlchemy's executemany
would have stored. A single row gets a plain INSERT (built once per table: building one took
about 0.1 ms).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Insert, Table, TextClause, insert, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flowwright.kernel.adapters.database import dialect_of

Processor = Callable[[Any], Any] | None


async def insert_rows(
    session: AsyncSession | AsyncConnection, table: Table, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert ``rows`` (dictionaries with the same keys, column names) into ``table``.

    Rows whose keys differ are refused (``ValueError``) before anything is sent.
    """
    if not rows:
        return
    keys = rows[0].keys()
    if any(row.keys() != keys for row in rows):
        # A value only some rows have would be dropped without a word.
        raise ValueError(f"rows for {table.name} must all have the same columns")
    dialect = dialect_of(session)
    if len(rows) > 1 and dialect.name == "sqlite":
        sql, columns = _driver_insert(table, tuple(keys), dialect)
        connection = session if isinstance(session, AsyncConnection) else await session.connection()
        await connection.exec_driver_sql(sql, [_values(row, columns) for row in rows])
        return
    if len(rows) == 1 or dialect.name != "postgresql":
        plain = _PLAIN.get(table.name)
        if plain is None:
            plain = _PLAIN[table.name] = insert(table)
        await session.execute(plain, list(rows))
        return
    names = tuple(rows[0])
    statement, processors = _unnest_insert(table, names, dialect)
    parameters = {
        f"c{index}": [row[name] for row in rows]
        if process is None
        else [process(row[name]) for row in rows]
        for index, (name, process) in enumerate(zip(names, processors, strict=True))
    }
    await session.execute(statement, parameters)


def _values(row: dict[str, Any], processors: list[tuple[str, Processor]]) -> tuple[Any, ...]:
    return tuple(
        row[name] if process is None else process(row[name]) for name, process in processors
    )


_PLAIN: dict[str, Insert] = {}
_DRIVER_STATEMENTS: dict[tuple[str, tuple[str, ...]], tuple[str, list[tuple[str, Processor]]]] = {}


def _driver_insert(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> tuple[str, list[tuple[str, Processor]]]:
    key = (table.name, names)
    built = _DRIVER_STATEMENTS.get(key)
    if built is None:
        quote = dialect.identifier_preparer.quote
        columns = [table.c[name] for name in names]
        target = dialect.identifier_preparer.format_table(table)
        listed = ", ".join(quote(name) for name in names)
        marks = ", ".join("?" for _ in names)
        built = (
            f"INSERT INTO {target} ({listed}) VALUES ({marks})",  # noqa: S608
            [(c.name, c.type.dialect_impl(dialect).bind_processor(dialect)) for c in columns],
        )
        _DRIVER_STATEMENTS[key] = built
    return built


_STATEMENTS: dict[tuple[str, tuple[str, ...], str], tuple[TextClause, list[Processor]]] = {}


def _unnest_insert(
    table: Table, names: tuple[str, ...], dialect: Dialect
) -> tuple[TextClause, list[Processor]]:
    key = (table.name, names, dialect.name)
    built = _STATEMENTS.get(key)
    if built is None:
        quote = dialect.identifier_preparer.quote
        columns = [table.c[name] for name in names]
        arrays = ", ".join(
            f"CAST(:c{index} AS {column.type.compile(dialect=dialect)}[])"
            for index, column in enumerate(columns)
        )
        # Only the table's own column names and types, quoted by the dialect, enter the text.
        target = dialect.identifier_preparer.format_table(table)
        listed = ", ".join(quote(name) for name in names)
        sql = f"INSERT INTO {target} ({listed}) SELECT * FROM unnest({arrays})"  # noqa: S608
        statement = text(sql)
        built = (
            statement,
            [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns],
        )
        _STATEMENTS[key] = built
    return built
