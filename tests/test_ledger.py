"""The ledger database: WAL, schema version, migrations, the append-only event log and all-or-nothing
transactions (`excel-bridge init` itself: test_init.py). Real files, real SQLite, a real subprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from excel_bridge.errors import LedgerError
from excel_bridge.ledger import MIGRATIONS, SCHEMA_VERSION, Ledger
from excel_bridge.workspace import Workspace

TABLES_V1 = {"meta", "submissions", "households", "members", "measures", "reviews", "issues", "events", "outputs",
             "counters"}


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_workspace_open_refuses_a_folder_without_settings(tmp_path):
    from excel_bridge.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="不是 excel_bridge 工作目录"):
        Workspace.open(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "process", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 3
    assert "excel-bridge init" in proc.stderr


# --- migrations ---

def _v1_database(path: Path) -> None:
    """A ledger as the first release left it: only migration 1, schema_version 1, some data."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.executescript(MIGRATIONS[1])
    conn.executescript("""
        INSERT INTO meta(key, value) VALUES('schema_version', '1');
        INSERT INTO meta(key, value) VALUES('token_secret', 'feedfacefeedfacefeedfacefeedface');
        INSERT INTO submissions(id, sha256, kind, status, town, village, file_name, received_at)
            VALUES(1, 'abc', 'village', 'applied', '马坝镇', '石塘村', '石塘村.xlsx', '2021-12-01 10:00:00');
        INSERT INTO households(id, head_id, head_name, town, village, state, data, assessment, updated_at)
            VALUES(7, '440205195001200440', '李秀英', '马坝镇', '石塘村', '线索', '{"size":1}', '{}',
                   '2021-12-01 10:00:00');
        INSERT INTO members(household_id, person_id, name, town, village, data)
            VALUES(7, '440205195001200440', '李秀英', '马坝镇', '石塘村', '{}');
        INSERT INTO events(at, household_id, event, to_state, level) VALUES('2021-12-01 10:00:00', 7, 'created',
            '线索', '系统');
    """)
    conn.close()


def _v1_columns(table: str) -> list[str]:
    """The columns a table had in migration 1 (later migrations may add more)."""
    scratch = sqlite3.connect(":memory:")
    scratch.executescript(MIGRATIONS[1])
    names = [r[1] for r in scratch.execute(f"PRAGMA table_info({table})")]
    scratch.close()
    return names


def _v1_rows(db: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        cols = ", ".join(_v1_columns(table))
        return conn.execute(f"SELECT {cols} FROM {table} ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_v1_database_is_upgraded_on_open_and_keeps_its_data(tmp_path):
    db = tmp_path / "ledger.sqlite"
    _v1_database(db)
    before = {t: _v1_rows(db, t) for t in ("submissions", "households", "members", "events")}
    with Ledger.open(db) as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION >= 2
        assert "decision_notes" in _tables(ledger.conn)
        assert ledger.meta("token_secret") == "feedfacefeedfacefeedfacefeedface"
        hh = ledger.household(7)
        assert hh is not None and hh.head_name == "李秀英" and hh.state == "线索" and hh.data == {"size": 1}
        assert [dict(e)["event"] for e in ledger.events_of(7)] == ["created"]
    for table, rows in before.items():
        assert _v1_rows(db, table) == rows, table
    conn = sqlite3.connect(db)
    try:
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        assert meta["schema_version"] == str(SCHEMA_VERSION)
        assert meta["token_secret"] == "feedfacefeedfacefeedfacefeedface"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
    # opening again migrates nothing more, and the upgraded ledger takes new rows
    with Ledger.open(db) as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION
        assert ledger.conn.execute("SELECT COUNT(*) FROM decision_notes").fetchone()[0] == 0
        with ledger.transaction():
            ledger.record_event(household_id=7, event="removed", level="村", at="2021-12-20 09:00:00")
        assert [e["event"] for e in ledger.events_of(7)] == ["created", "removed"]


def test_a_database_newer_than_the_program_is_refused_untouched(tmp_path):
    db = tmp_path / "ledger.sqlite"
    Ledger.open(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.close()
    with pytest.raises(LedgerError, match=f"台账数据库版本（{SCHEMA_VERSION + 1}）比本程序（{SCHEMA_VERSION}）新"):
        Ledger.open(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION + 1)
    conn.close()


def test_a_fresh_database_gets_every_migration_once(tmp_path):
    db = tmp_path / "sub" / "ledger.sqlite"
    with Ledger.open(db) as ledger:
        assert ledger.schema_version() == SCHEMA_VERSION
        assert TABLES_V1 | {"decision_notes"} <= _tables(ledger.conn)
        secret = ledger.meta("token_secret")
        assert secret is not None and len(secret) == 32
    with Ledger.open(db) as ledger:
        assert ledger.meta("token_secret") == secret
        assert ledger.schema_version() == SCHEMA_VERSION


# --- the event log is append-only ---

def test_events_refuse_update_and_delete(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        with ledger.transaction():
            ledger.record_event(household_id=None, event="created", level="系统", at="2021-12-20 09:00:00",
                                comment="原始记录")
        before = ledger.conn.execute("SELECT * FROM events").fetchall()
        with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
            ledger.conn.execute("UPDATE events SET comment='改过'")
        with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
            ledger.conn.execute("DELETE FROM events")
        with pytest.raises(sqlite3.IntegrityError, match="events are append-only"):
            with ledger.transaction():
                ledger.record_event(household_id=None, event="x", level="系统", at="2021-12-20 09:00:01")
                ledger.conn.execute("DELETE FROM events WHERE event='created'")
        assert ledger.conn.execute("SELECT * FROM events").fetchall() == before
        assert [tuple(r) for r in before][0][3:5] == ("created", None)


def test_transaction_is_all_or_nothing(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite") as ledger:
        with pytest.raises(RuntimeError, match="half way"):
            with ledger.transaction():
                ledger.add_submission(sha256="b" * 64, kind="village", status="applied", file_name="y.xlsx",
                                      received_at="2021-12-20 09:00:00")
                ledger.next_counter("provisional_no")
                raise RuntimeError("half way")
        assert ledger.submissions() == []
        assert ledger.conn.execute("SELECT COUNT(*) FROM counters").fetchone()[0] == 0
        with ledger.transaction():
            assert ledger.next_counter("provisional_no") == 1
            assert ledger.next_counter("provisional_no") == 2


def test_a_second_writer_waits_then_reports_the_database_busy(tmp_path):
    db = tmp_path / "l.sqlite"
    with Ledger.open(db) as first, Ledger.open(db, timeout=0.2) as second:
        with first.transaction():
            with pytest.raises(LedgerError, match="台账数据库被占用"):
                with second.transaction():
                    pass
            # readers are never blocked by the writer (WAL)
            assert second.submissions() == []
