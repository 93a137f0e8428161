"""Column types and statements as the revisions use them, frozen here: later changes to `store.tables` never
change what an old revision does."""

from __future__ import annotations

from alembic import op
from sqlalchemy import JSON, Date, DateTime, Text, text
from sqlalchemy.dialects import postgresql, sqlite

# Stored as "2021-12-20 09:30:00" in SQLite (the text the first releases wrote), TIMESTAMP in PostgreSQL.
Stamp = DateTime().with_variant(
    sqlite.DATETIME(storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"),
    "sqlite")
Day = Date()
Doc = JSON().with_variant(postgresql.JSONB(), "postgresql")
Words = Text().with_variant(postgresql.TEXT(collation="C"), "postgresql")

SQLITE_APPEND_ONLY = [
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END",
]
POSTGRES_APPEND_ONLY = [
    "CREATE OR REPLACE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'events are append-only'; END $$",
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only()",
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events FOR EACH ROW EXECUTE FUNCTION events_append_only()",
]


def dialect() -> str:
    return op.get_bind().dialect.name


def events_append_only(on: bool) -> None:
    """The triggers that refuse UPDATE and DELETE on events: created (on) or dropped, on either backend."""
    if on:
        for statement in SQLITE_APPEND_ONLY if dialect() == "sqlite" else POSTGRES_APPEND_ONLY:
            op.execute(statement)
        return
    where = "" if dialect() == "sqlite" else " ON events"
    for trigger in ("events_no_update", "events_no_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}{where}")


def set_version(version: int) -> None:
    """meta.schema_version, which a program reads to refuse a ledger newer than itself."""
    op.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
    op.execute(text("INSERT INTO meta(key, value) VALUES ('schema_version', :v)").bindparams(v=str(version)))
