"""What the set-based queries of several features share: matching a column against many values, and writing many
rows in one statement."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

DIALECT = postgresql.dialect()


def any_of(column: InstrumentedAttribute[Any], values: Iterable[Any]) -> sa.ColumnElement[bool]:
    """`column = ANY(:values)`, the values one array: `IN` would take a placeholder for each, compiled afresh for
    every batch of a thousand."""
    return column == sa.any_(sa.literal(list(values), postgresql.ARRAY(column.type)))


async def set_documents(session: AsyncSession, table: str, documents: dict[Any, Any]) -> set[Any]:
    """`document_id` of many rows of a table (id → document id) in one statement; the ids of the rows there were."""
    if not documents:
        return set()
    # our own table's name, no outside input
    statement = sa.text(f"UPDATE {table} SET document_id = given.document_id "  # noqa: S608
                        "FROM unnest(CAST(:ids AS uuid[]), CAST(:document_ids AS uuid[])) AS given(id, document_id) "
                        f"WHERE {table}.id = given.id RETURNING {table}.id")
    result = await session.execute(statement, {"ids": list(documents), "document_ids": list(documents.values())})
    return set(result.scalars())


#: column types whose values travel as one text each (`insert_rows`)
_JOINED_TYPES = (sa.Numeric, sa.Integer, sa.Boolean)
_JOINED_NULL = "NULL"


@functools.cache
def _unnest_insert(table: sa.Table, names: tuple[str, ...], suffix: str) -> tuple[sa.TextClause, frozenset[str]]:
    """The statement of `insert_rows` for these columns, and which of them travel joined."""
    joined = frozenset(name for name in names if isinstance(table.c[name].type, _JOINED_TYPES))

    def array(name: str) -> str:
        array_type = f"{table.c[name].type.compile(dialect=DIALECT)}[]"
        if name in joined:
            return f"CAST(string_to_array(:{name}, ',', '{_JOINED_NULL}') AS {array_type})"
        return f"CAST(:{name} AS {array_type})"

    # names of our own table and columns, no outside input
    statement = (f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608
                 f"SELECT * FROM unnest({', '.join(map(array, names))}) {suffix}")
    return sa.text(statement), joined


async def insert_rows(session: AsyncSession, table: sa.Table, rows: Sequence[dict[str, Any]],
                      suffix: str = "") -> sa.Result[Any]:
    """`INSERT ... SELECT * FROM unnest(...)`: one statement however many rows (a billing run writes thousands),
    the columns (those of the first row) travelling as arrays.

    Numbers, counts and flags travel as one text each (`1037.5,12,…`): asyncpg encodes an array element by
    element, which was most of the cost of writing a batch, where their text is joined in one go. PostgreSQL
    reads the digits exactly, and rounds to the column's scale as it would the binary value.
    """
    statement, joined = _unnest_insert(table, tuple(rows[0]), suffix)
    return await session.execute(statement, {
        name: ",".join([_JOINED_NULL if row[name] is None else str(row[name]) for row in rows]) if name in joined
        else [row[name] for row in rows] for name in rows[0]})
