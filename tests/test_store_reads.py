"""One read statement outside a block (store/db.py `rows`, `first`, `scalar`): on PostgreSQL it runs in autocommit,
its own snapshot, without a BEGIN and a ROLLBACK round trip around it; inside `snapshot()` or `atomic()` the reads
share the block's transaction as before. Real SQLite and, where EB_TEST_POSTGRES is set, a real PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from excel_bridge.store import tables as t

pytestmark = pytest.mark.backends


def _in_a_transaction(store) -> list[bool]:
    """For each statement the store sends while listened to: whether the driver had a transaction open for it
    (PostgreSQL: psycopg's autocommit off; SQLite: the sqlite3 connection's in_transaction)."""
    seen: list[bool] = []

    def listen(conn, _cursor, _statement, _parameters, _context, _executemany) -> None:
        driver = conn.connection.driver_connection
        seen.append(not driver.autocommit if conn.dialect.name == "postgresql" else driver.in_transaction)

    event.listen(store.db.engine, "before_cursor_execute", listen)
    return seen


def test_a_lone_read_needs_no_transaction_on_postgresql_and_a_block_keeps_its_own(store):
    seen = _in_a_transaction(store)
    count = select(func.count()).select_from(t.households)
    assert store.db.scalar(count) == 0
    assert store.db.rows(select(t.households.c.id)) == []
    assert store.db.first(select(t.households.c.id)) is None
    lone = list(seen)
    seen.clear()
    with store.db.snapshot():
        assert store.db.scalar(count) == 0
        assert store.db.scalar(count) == 0
    with store.atomic():
        assert store.db.scalar(count) == 0
    if store.db.dialect == "postgresql":
        assert lone == [False, False, False]
        assert seen == [True, True, True]
