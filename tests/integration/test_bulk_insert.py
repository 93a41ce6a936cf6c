"""Rows inserted together are stored exactly as one INSERT per row would store them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    event,
    insert,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from flowwright.kernel.adapters.bulk_insert import insert_rows, insert_together
from flowwright.kernel.adapters.database import create_engine
from flowwright.kernel.adapters.types import UtcDateTime
from testkit import EmptyDatabase

schema = MetaData()


def _table(name: str) -> Table:
    return Table(
        name,
        schema,
        Column("id", String(36), primary_key=True),
        Column("key", String(500), nullable=False),  # a reserved word as a column name
        Column("attempt", Integer, nullable=True),
        Column("fencing", BigInteger, nullable=False),
        Column("handled", Boolean, nullable=False),
        Column("data", JSON, nullable=True),
        Column("reason", Text, nullable=True),
        Column("at", UtcDateTime, nullable=True),
    )


together, one_by_one = _table("rows_together"), _table("rows_one_by_one")
# Rows of another table that refer to rows of ``together``.
notes = Table(
    "notes",
    schema,
    Column("row_id", String(36), ForeignKey("rows_together.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)

ROWS: list[dict[str, Any]] = [
    {
        "id": "a",
        "key": 'it\'s "quoted" and ünïcode',
        "attempt": 1,
        "fencing": 2**40,
        "handled": True,
        "data": {"nested": [1, 2.5, None, {"x": "y"}], "empty": {}},
        "reason": "line\nbreak",
        "at": datetime(2026, 12, 7, 6, 0, tzinfo=UTC),
    },
    {
        "id": "b",
        "key": "",
        "attempt": None,
        "fencing": 0,
        "handled": False,
        "data": None,  # JSON null, as an INSERT of None stores it
        "reason": None,
        "at": datetime(2026, 12, 7, 8, 30, tzinfo=timezone(timedelta(hours=2))),
    },
    {
        "id": "c",
        "key": "k",
        "attempt": 3,
        "fencing": 1,
        "handled": False,
        "data": ["a", "b"],
        "reason": "",
        "at": None,
    },
]


@pytest.fixture
async def engine(empty_database: EmptyDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(empty_database.url)
    async with engine.begin() as connection:
        await connection.run_sync(schema.create_all)
    yield engine
    await engine.dispose()


async def _stored(engine: AsyncEngine, table: Table) -> list[tuple[Any, ...]]:
    """Each row as read back, and its JSON and time columns as the database holds them."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(table, cast(table.c.data, Text), cast(table.c.at, Text)).order_by(table.c.id)
        )
        return [tuple(row) for row in rows]


def _statements(engine: AsyncEngine) -> list[tuple[str, bool]]:
    """Every statement ``engine`` sends from now on, and whether it was an executemany."""
    statements: list[tuple[str, bool]] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cursor, statement, _p, _x, many: statements.append((statement, many)),
    )
    return statements


async def test_rows_inserted_together_equal_rows_inserted_one_statement_each(
    engine: AsyncEngine, empty_database: EmptyDatabase
) -> None:
    statements = _statements(engine)
    async with engine.begin() as connection:
        await insert_rows(connection, together, ROWS)
    inserted = len(statements)
    async with engine.begin() as connection:
        await connection.execute(insert(one_by_one), ROWS)

    assert await _stored(engine, together) == await _stored(engine, one_by_one)
    stored = await _stored(engine, together)
    assert [row[:8] for row in stored] == [
        (*[row[name] for name in list(row)[:7]], row["at"] and row["at"].astimezone(UTC))
        for row in ROWS
    ]
    # PostgreSQL gets one execution; SQLite one executemany (which sqlite3 runs in C).
    assert inserted == 1, statements
    assert statements[0][1] is (empty_database.backend == "sqlite")


async def test_a_naive_time_is_refused_as_by_a_plain_insert(engine: AsyncEngine) -> None:
    naive = [dict(row, at=datetime(2026, 12, 7)) for row in ROWS]
    with pytest.raises(Exception, match="naive datetime"):
        async with engine.begin() as connection:
            await insert_rows(connection, together, naive)
    assert await _stored(engine, together) == []


async def test_one_row_and_no_rows(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await insert_rows(connection, together, [])
        await insert_rows(connection, together, ROWS[:1])
    assert [row[0] for row in await _stored(engine, together)] == ["a"]


async def _notes(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(notes).order_by(notes.c.row_id, notes.c.seq))
        return [tuple(row) for row in rows]


NOTES = [{"row_id": "c", "seq": 1, "text": "first"}, {"row_id": "a", "seq": 2, "text": "é"}]


async def test_tables_written_together_may_refer_to_rows_of_an_earlier_table(
    engine: AsyncEngine, empty_database: EmptyDatabase
) -> None:
    statements = _statements(engine)
    async with engine.begin() as connection:
        # One row into the first table, as a run is written with its steps and history.
        await insert_together(connection, [(together, ROWS[:1]), (notes, NOTES[1:])])
        await insert_together(connection, [(together, ROWS[1:]), (notes, NOTES[:1])])
    written = list(statements)
    async with engine.begin() as connection:
        await connection.execute(insert(one_by_one), ROWS)

    assert await _stored(engine, together) == await _stored(engine, one_by_one)
    assert await _notes(engine) == [("a", 2, "é"), ("c", 1, "first")]
    # PostgreSQL gets one statement for each call; SQLite one for each table of each.
    assert len(written) == (4 if empty_database.backend == "sqlite" else 2), written


async def test_a_row_referring_to_no_row_fails_the_whole_write(engine: AsyncEngine) -> None:
    orphan = [{"row_id": "nobody", "seq": 1, "text": "lost"}]
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with engine.begin() as connection:
            await insert_together(connection, [(together, ROWS), (notes, orphan)])
    assert await _stored(engine, together) == []
    assert await _notes(engine) == []


async def test_tables_without_rows_are_skipped(engine: AsyncEngine) -> None:
    statements = _statements(engine)
    async with engine.begin() as connection:
        await insert_together(connection, [(together, []), (notes, [])])
        await insert_together(connection, [(together, ROWS[:1]), (notes, [])])
    assert len(statements) == 1, statements
    assert [row[0] for row in await _stored(engine, together)] == ["a"]


@pytest.mark.parametrize(
    ("uneven_table", "refusal"),
    [
        ("rows_together", "rows for rows_together must all have the same columns"),
        ("notes", "rows for notes must all have the same columns"),
    ],
)
async def test_rows_with_different_columns_are_refused_before_anything_is_written(
    engine: AsyncEngine, uneven_table: str, refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal):
        async with engine.begin() as connection:
            if uneven_table == "rows_together":  # one table
                await insert_rows(connection, together, [ROWS[0], {**ROWS[1], "extra": 1}])
            else:  # the second table of two
                uneven = [NOTES[0], {**NOTES[1], "extra": 1}]
                await insert_together(connection, [(together, ROWS), (notes, uneven)])
    assert await _stored(engine, together) == []
