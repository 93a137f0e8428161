"""Many rows into one table in one go: PostgreSQL's COPY, SQLite's executemany.

A village file writes hundreds of members, measures, reviews and events. On PostgreSQL an executemany of an INSERT
still makes the server parse, plan and execute one INSERT a row (and the client bind each); `COPY … FROM STDIN`
streams the rows in one statement, on the connection of the open `atomic()` block (its transaction, its schema:
the table is named unqualified, found through the connection's search_path like every other statement). The
values arrive as SQLAlchemy would have stored them: JSON columns as the engine's serializer (`tables.dumps`) writes
them, the rest as psycopg adapts them (dates, times, booleans, NULLs). SQLite runs in our process: its executemany
is already the cheap way.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert
from sqlalchemy.exc import DBAPIError

from .tables import dumps, json_columns


class JsonText(str):
    """A JSON column's value already serialized by `tables.dumps` (written as it is; the caller that needs the text
    itself serializes once)."""


@functools.cache
def _insert(table: Table) -> Any:
    return insert(table)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys, the table's column names) into `table` in the order given (ids the
    table numbers itself are taken in that order), inside the caller's transaction."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(_insert(table), rows)
        return
    columns = list(rows[0])
    as_json = [name in json_columns(table) for name in columns]
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    fairy = conn.connection
    driver = fairy.driver_connection
    assert driver is not None, "a closed connection inside atomic()"
    dbapi = conn.dialect.loaded_dbapi
    try:
        with driver.cursor() as cursor:
            # shown to the engine's cursor listeners like an executemany of the rows (a profile, a count of the
            # statements a pass sends), though it does not pass through SQLAlchemy's cursor: no execution context
            conn.dispatch.before_cursor_execute(conn, cursor, statement, rows, None, True)
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row([_json(value) if j else value
                                    for value, j in zip((row[c] for c in columns), as_json, strict=True)])
            conn.dispatch.after_cursor_execute(conn, cursor, statement, rows, None, True)
    except dbapi.Error as exc:  # as SQLAlchemy reports a failed statement: atomic() says what it means for the pass
        lost = conn.dialect.is_disconnect(exc, fairy.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(statement, None, exc, dbapi.Error, connection_invalidated=lost,
                                  dialect=conn.dialect) from exc


def _json(value: Any) -> str:
    return value if isinstance(value, JsonText) else dumps(value)
