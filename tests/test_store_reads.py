"""One read statement outside a block (store/db.py `rows`, `first`, `scalar`): on PostgreSQL it runs in autocommit,
its own snapshot, without a BEGIN and a ROLLBACK round trip around it; inside `snapshot()` or `atomic()` the reads
share the block's transaction as before. Real SQLite and, where EB_TEST_POSTGRES is set, a real PostgreSQL."""

from __future__ import annotations

import os

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


def test_a_worker_keeps_its_engine_between_jobs_but_no_connection(store, tmp_path):
    """`keep_engine` (the district job, in a worker, job after job): the same ledger opened again gets the engine of
    the time before, with what it compiled; closing closes every connection, so a SQLite ledger replaced between
    two jobs is read as it is now. At most KEPT_ENGINES are kept, the least recently used let go."""
    from excel_bridge.store import Store
    from excel_bridge.store.db import KEPT_ENGINES

    target = store.db.url.render_as_string(hide_password=False)
    with Store.open(target, keep_engine=True) as first:
        engine = first.db.engine
        with first.atomic():
            first.meta.set("kept", "1")
    assert engine.pool.checkedout() == 0
    with Store.open(target, keep_engine=True) as second:
        assert second.db.engine is engine
        assert second.meta.get("kept") == "1"
    with Store.open(target) as unkept:
        assert unkept.db.engine is not engine
    if not store.db.is_sqlite:
        return
    store.close()
    ledger = store.db.url.database
    with Store.open(tmp_path / "another.sqlite") as other:
        assert other.meta.get("kept") is None
    os.replace(tmp_path / "another.sqlite", ledger)
    with Store.open(target, keep_engine=True) as third:
        assert third.db.engine is engine
        assert third.meta.get("kept") is None
    for n in range(KEPT_ENGINES):
        Store.open(tmp_path / f"{n}.sqlite", keep_engine=True).close()
    with Store.open(target, keep_engine=True) as fourth:
        assert fourth.db.engine is not engine
