"""The ledger's schema version and the steps that bring an older ledger to it, each in its own transaction.

A new database (SQLite or PostgreSQL) is created from `tables.metadata` at the latest version in one
step. Ledgers written by earlier releases exist only as SQLite files; they are upgraded in place, one
version at a time, the next time a pass opens them. A ledger newer than this program is refused untouched.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from sqlalchemy import Connection, inspect, select, text

from ..errors import LedgerError
from ..messages import TEXT
from . import tables as t
from .db import Database

SCHEMA_VERSION = 8
_LOCK_KEY = 740205  # PostgreSQL advisory lock: two programs creating one database wait for each other


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar()
    return int(value) if value else 0


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(t.meta.delete().where(t.meta.c.key == "schema_version"))
    conn.execute(t.meta.insert().values(key="schema_version", value=str(version)))


def _create(conn: Connection) -> None:
    t.metadata.create_all(conn)
    conn.execute(t.meta.insert().values(key="token_secret", value=secrets.token_hex(16)))


def _v2(conn: Connection) -> None:
    t.decision_notes.create(conn)


def _v3(conn: Connection) -> None:
    conn.exec_driver_sql("ALTER TABLE events ADD COLUMN effective_date TEXT")


def _v4(conn: Connection) -> None:
    conn.exec_driver_sql("CREATE INDEX members_place ON members(town, village)")


def _v5(conn: Connection) -> None:
    """What a step did becomes a column (events.action) instead of the start of its comment; a file's
    villages a table (submission_villages) instead of one "、"-joined string."""
    conn.exec_driver_sql("ALTER TABLE events ADD COLUMN action TEXT")
    for trigger in ("events_no_update", "events_no_delete"):
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.exec_driver_sql(
        "UPDATE events SET action = CASE WHEN event = 'transition' THEN"
        " (CASE WHEN instr(comment, '：') > 0 THEN substr(comment, 1, instr(comment, '：') - 1) ELSE comment END)"
        " ELSE event END")
    # the comment keeps only what was said with the step ("退回：户籍有误" → action 退回, comment 户籍有误)
    conn.exec_driver_sql(
        "UPDATE events SET comment = CASE WHEN comment = action THEN NULL"
        " ELSE substr(comment, length(action) + 2) END"
        " WHERE event = 'transition' AND (comment = action OR substr(comment, 1, length(action) + 1) = action || '：')")
    conn.exec_driver_sql("UPDATE events SET effective_date = substr(at, 1, 10) WHERE effective_date IS NULL")
    for statement in t.SQLITE_APPEND_ONLY:
        conn.exec_driver_sql(statement)
    t.submission_villages.create(conn)
    rows = conn.exec_driver_sql(
        "SELECT id, town, village FROM submissions WHERE town IS NOT NULL AND village IS NOT NULL"
        " AND kind = 'village' AND status = 'applied'").fetchall()
    places = {(sid, town, village) for sid, town, joined in rows for village in joined.split("、") if village}
    if places:
        conn.execute(t.submission_villages.insert(),
                     [{"submission_id": s, "town": town, "village": v} for s, town, v in sorted(places)])
    conn.exec_driver_sql("DROP INDEX IF EXISTS submissions_village")
    conn.exec_driver_sql("ALTER TABLE submissions DROP COLUMN village")
    conn.exec_driver_sql("CREATE INDEX submissions_town ON submissions(town)")


def _v6(conn: Connection) -> None:
    """Outputs to write again (a failed returned copy is retried, not forgotten)."""
    t.pending_outputs.create(conn)


def _v7(conn: Connection) -> None:
    """Refused decisions keep what was typed (decision_drafts), shown again in the next copy of the workbook."""
    t.decision_drafts.create(conn)


def _v8(conn: Connection) -> None:
    """Department lists (部门筛查预警): the lists received, their warnings, the people in no household."""
    for table in (t.dept_lists, t.dept_warnings, t.dept_unmatched):
        table.create(conn)


STEPS: dict[int, Callable[[Connection], None]] = {2: _v2, 3: _v3, 4: _v4, 5: _v5, 6: _v6, 7: _v7, 8: _v8}


def migrate(db: Database) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version it had."""
    with db.atomic() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        found = schema_version(conn)
        if found > SCHEMA_VERSION:
            raise LedgerError(TEXT["ledger.too_new"].format(current=found, supported=SCHEMA_VERSION))
        if found == 0:
            _create(conn)
            _set_version(conn, SCHEMA_VERSION)
            return 0
    if found < SCHEMA_VERSION and not db.is_sqlite:
        raise LedgerError(TEXT["ledger.too_old"].format(current=found, supported=SCHEMA_VERSION))
    for version in range(found + 1, SCHEMA_VERSION + 1):
        with db.atomic() as conn:
            if schema_version(conn) >= version:  # another program did it meanwhile
                continue
            STEPS[version](conn)
            _set_version(conn, version)
    return found
