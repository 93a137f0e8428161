"""The ledger's tables as SQLAlchemy Core metadata: one definition for SQLite and PostgreSQL.

Every ledger (new or older, SQLite or PostgreSQL) is built by the Alembic revisions of `store/revisions/`;
these definitions are what the code reads and writes, and tests/test_migrations.py checks they match. Timestamps are naive local times, dates are calendar days,
record contents (a household's typed values, its assessment, a member's row) are JSON.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TypeDecorator,
    event,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.schema import DDL
from sqlalchemy.types import TypeEngine

try:  # a dependency; without it (a platform with no wheel of it) the ledger reads with json, only slower
    import orjson as _orjson
except ImportError:  # pragma: no cover - tests/test_store_json.py runs this path in a subprocess
    _orjson = None  # type: ignore[assignment]

# Stored as "2021-12-20 09:30:00" in SQLite (the text earlier releases wrote), TIMESTAMP in PostgreSQL.
Stamp = DateTime().with_variant(
    sqlite.DATETIME(storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"),
    "sqlite")
Day = Date()


class _Doc(TypeDecorator[Any]):
    """JSON; JSONB on PostgreSQL, its dialect imported when a PostgreSQL ledger is used. (Not
    `JSON().with_variant(postgresql.JSONB(), …)`: that imported the dialect and its drivers' modules into every
    process that opens a ledger, a SQLite workspace's too; tests/test_imports.py checks that none does.)"""

    impl = JSON
    cache_ok = True
    should_evaluate_none = True  # as JSON's: None is stored as JSON null, not SQL NULL

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return self.impl_instance


Doc = _Doc()


@functools.cache
def json_columns(table: Table) -> frozenset[str]:
    """The names of `table`'s JSON columns (the records' documents)."""
    return frozenset(c.name for c in table.columns
                     if isinstance(c.type.impl_instance if isinstance(c.type, TypeDecorator) else c.type, JSON))
# Text compared byte by byte on both backends: PostgreSQL's locale collation would order 镇/村 names
# differently from SQLite (and from one server to another).
Words = Text().with_variant(Text(collation="C"), "postgresql")


def json_default(value: Any) -> Any:
    """Dates and sets inside a record's JSON (dates as ISO text; the read models turn them back)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple, frozenset)):
        return list(value)
    raise TypeError(type(value).__name__)


def _encoder() -> Callable[[Any], str]:
    """json.dumps(value, ensure_ascii=False, default=json_default, separators=(",", ":")), its C encoder made once:
    json.dumps builds an encoder for every value, a third of the time of a member's row (an import writes 175,000).
    The records hold no reference cycles, so no circular check (a cycle would end in RecursionError)."""
    made = getattr(json.encoder, "c_make_encoder", None)  # None without the C accelerator: json's own encoder
    if made is None:
        return json.JSONEncoder(ensure_ascii=False, default=json_default, separators=(",", ":")).encode
    encode = made(None, json_default, json.encoder.encode_basestring, None, ":", ",", False, False, True)
    # the encoder bound as a default, not a closure: psycopg logs "using a closure in a dumps/loads function may
    # cause a resource leak" for a closure (on stderr, for every PostgreSQL connection's JSON dumper)
    def dumps(value: Any, encode: Callable[[Any, int], list[str]] = encode) -> str:
        return "".join(encode(value, 0))

    return dumps


dumps = _encoder()


def loads(text: str | bytes) -> Any:
    """The ledger's JSON decoded (every record the store reads: SQLite and PostgreSQL alike). orjson decodes a
    full district's 288,000 records in 0.45 of json's time (bench/json_decode.py); what it refuses — NaN or
    Infinity, which json writes for a float that is not finite — is decoded by json. (An integer beyond 64 bits
    comes back as a float from orjson: the ledger holds none, a spreadsheet's numbers being doubles.)"""
    if _orjson is None:
        return json.loads(text)
    try:
        return _orjson.loads(text)
    except _orjson.JSONDecodeError:
        return json.loads(text)


metadata = MetaData()

meta = Table("meta", metadata, Column("key", Words, primary_key=True), Column("value", Words, nullable=False))

counters = Table("counters", metadata, Column("name", Words, primary_key=True),
                 Column("value", Integer, nullable=False))

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", Words, nullable=False),
    Column("kind", Words, nullable=False),     # village / town_review / master
    Column("status", Words, nullable=False),   # applied / duplicate / unreadable / failed / decisions / refused
    Column("town", Words),
    Column("file_name", Words, nullable=False),
    Column("archived_path", Words),                  # workspace-relative
    Column("received_at", Stamp, nullable=False),
    Column("errors", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("households", Integer, nullable=False, default=0),
    Column("members", Integer, nullable=False, default=0),
    Column("feedback_path", Words),                  # workspace-relative
    Column("message", Words),
    Index("submissions_sha", "sha256"),
    Index("submissions_town", "town"),
)

# The villages a village file holds (one file may carry several): the place of every household it applied.
submission_villages = Table(
    "submission_villages", metadata,
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("town", Words, nullable=False),
    Column("village", Words, nullable=False),
    PrimaryKeyConstraint("submission_id", "town", "village"),
    Index("submission_villages_place", "town", "village"),
)

households = Table(
    "households", metadata,
    Column("id", Integer, primary_key=True),
    Column("household_no", Words),
    Column("provisional", Boolean, nullable=False, default=False),
    Column("head_id", Words, nullable=False),
    Column("head_name", Words),
    Column("town", Words, nullable=False),
    Column("village", Words, nullable=False),
    Column("state", Words, nullable=False),
    Column("version", Integer, nullable=False, default=1),
    Column("opinion", Words, nullable=False, default=""),
    Column("on_file", Boolean, nullable=False, default=True),
    Column("lead_date", Day),
    Column("identified_date", Day),
    Column("eliminated_date", Day),
    Column("category", Words),                        # 认定类别: fixed by the district's 同意 (or the import)
    Column("submission_id", Integer, ForeignKey("submissions.id")),
    Column("row", Integer),
    Column("data", Doc, nullable=False),
    Column("assessment", Doc, nullable=False),
    Column("errors", Integer, nullable=False, default=0),
    Column("warnings", Integer, nullable=False, default=0),
    Column("updated_at", Stamp, nullable=False),
    Index("households_place", "town", "village"),
    Index("households_head", "head_id"),
    Index("households_no", "household_no"),
    Index("households_state", "state"),
)

members = Table(
    "members", metadata,
    Column("id", Integer, primary_key=True),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False),
    Column("person_id", Words),
    Column("name", Words),
    Column("town", Words, nullable=False),
    Column("village", Words, nullable=False),
    Column("sheet", Words),
    Column("row", Integer),
    Column("data", Doc, nullable=False),
    Index("members_household", "household_id"),
    Index("members_person", "person_id"),
    Index("members_place", "town", "village"),
)

measures = Table(
    "measures", metadata,
    Column("id", Integer, primary_key=True),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False),
    Column("data", Doc, nullable=False),
    Index("measures_household", "household_id"),
)

reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False),
    Column("data", Doc, nullable=False),
    Index("reviews_household", "household_id"),
)

issues = Table(
    "issues", metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submissions.id"), nullable=False),
    Column("code", Words, nullable=False),
    Column("severity", Words, nullable=False),
    Column("sheet", Words),
    Column("row", Integer),
    Column("column_name", Words),
    Column("value", Words),
    Column("message", Words, nullable=False),
    Column("hint", Words, nullable=False),
    Index("issues_submission", "submission_id"),
)

# The audit log: append-only (triggers refuse UPDATE and DELETE on both backends).
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Stamp, nullable=False),              # when the system recorded it
    Column("household_id", Integer, ForeignKey("households.id")),
    Column("event", Words, nullable=False),      # created / transition / removed / restored
    Column("action", Words),                           # for a transition: 同意, 退回, 不予认定, 评议公示通过 …
    Column("from_state", Words),
    Column("to_state", Words),
    Column("level", Words, nullable=False),       # 村 / 镇 / 区 / 系统
    Column("person", Words),
    Column("source_sha256", Words),
    Column("comment", Words),
    Column("effective_date", Day),                    # the day it counts for
    Index("events_household", "household_id"),
)

outputs = Table(
    "outputs", metadata,
    Column("path", Words, primary_key=True),           # workspace-relative
    Column("sha256", Words, nullable=False),
    Column("kind", Words, nullable=False),
    Column("written_at", Stamp, nullable=False),
    Column("digest", Words),                           # what its writer asked of XlsxWriter (writers.digest)
)

# Outputs that must be written again (a returned copy, a 公示名单, the district's workbooks) because writing
# them failed, or they are due: kept until written, so a full disk or a locked folder is retried next pass.
pending_outputs = Table(
    "pending_outputs", metadata,
    Column("kind", Words, nullable=False),      # copy / notice / district
    Column("town", Words, nullable=False),
    Column("village", Words, nullable=False),
    Column("since", Stamp, nullable=False),
    PrimaryKeyConstraint("kind", "town", "village"),
)

decision_notes = Table(
    "decision_notes", metadata,
    Column("id", Integer, primary_key=True),
    Column("at", Stamp, nullable=False),
    Column("level", Words, nullable=False),
    Column("town", Words),
    Column("message", Words, nullable=False),
    Column("shown_at", Stamp),
)

# A decision typed into a decision workbook and refused (a field left empty, a choice not allowed): what was typed,
# so the next copy of the workbook shows it again for the person to complete. One per level and household; the
# drafts of a level and town are replaced each time one of its decision workbooks is read.
decision_drafts = Table(
    "decision_drafts", metadata,
    Column("level", Words, nullable=False),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False),
    Column("town", Words, nullable=False),
    Column("version", Integer, nullable=False),       # the household's version the row was written for
    Column("decision", Words),
    Column("comment", Words),
    Column("person", Words),
    Column("decided_on", Day),
    Column("flagged", Doc, nullable=False),            # the decision fields to fill in or change
    Column("at", Stamp, nullable=False),
    PrimaryKeyConstraint("level", "household_id"),
)

# Department lists (部门筛查预警, plan 四(三)): every list received, the warnings its people raised for households
# of the ledger, and the people a rule warned about who are in no household of it (未在台账中的人员).
dept_lists = Table(
    "dept_lists", metadata,
    Column("id", Integer, primary_key=True),
    Column("department", Words),                      # None: a file in a folder no department is configured for
    Column("file_name", Words, nullable=False),
    Column("sha256", Words, nullable=False),          # of the file's bytes (the archive key)
    Column("fingerprint", Words),                     # of what the list says: the same list re-saved has the same one
    Column("received_at", Stamp, nullable=False),
    Column("received_date", Day, nullable=False),     # the day the verification period runs from
    Column("archived_path", Words),                   # workspace-relative
    Column("status", Words, nullable=False),          # applied / duplicate / refused
    Column("row_count", Integer, nullable=False, default=0),  # data rows read
    Column("people", Integer, nullable=False, default=0),     # distinct valid IDs
    Column("invalid", Integer, nullable=False, default=0),    # rows whose ID cannot be used
    Column("issues", Integer, nullable=False, default=0),     # problems of single rows
    Column("matched", Integer, nullable=False, default=0),    # people who are members of a household on file
    Column("warnings", Integer, nullable=False, default=0),   # warnings the list's rules raised
    Column("unmatched", Integer, nullable=False, default=0),  # people warned about who are in no household
    Column("by_town", Doc),                           # town → {"matched": n, "warnings": n}
    Column("note_path", Words),                       # 反馈/部门/<部门>_说明.txt, workspace-relative
    Column("message", Words),
    Index("dept_lists_department", "department"),
    Index("dept_lists_sha", "sha256"),
)

dept_warnings = Table(
    "dept_warnings", metadata,
    Column("id", Integer, primary_key=True),
    Column("department", Words, nullable=False),
    Column("rule_id", Words, nullable=False),
    Column("person_id", Words, nullable=False),
    Column("name", Words),
    Column("household_id", Integer, ForeignKey("households.id"), nullable=False),
    Column("town", Words, nullable=False),            # routed to this town's review workbook
    Column("village", Words, nullable=False),
    Column("risk_type", Words),
    Column("guarantee", Words),
    Column("fact", Words, nullable=False),            # the sentence the town reads
    Column("received_date", Day, nullable=False),
    Column("deadline", Day, nullable=False),
    Column("status", Words, nullable=False),          # 待核实 / 属实-建议纳入 / 属实-已在监测 / 不属实 / 部门已撤销
    Column("revision", Integer, nullable=False, default=1),  # +1 when a newer list changes its fact or household
    Column("list_id", Integer, ForeignKey("dept_lists.id"), nullable=False),       # the list that raised it
    Column("last_list_id", Integer, ForeignKey("dept_lists.id"), nullable=False),  # the latest list that says it
    Column("sheet", Words),
    Column("row", Integer),
    Column("comment", Words),                         # 核实意见
    Column("verified_by", Words),                     # 核实人
    Column("verified_date", Day),                     # 核实日期
    Column("source_sha256", Words),                   # the town workbook the verification came in
    Column("lead_created", Boolean, nullable=False, default=False),
    Column("lead_source", Words),                     # 线索来源 of a lead made from it (信访信息); none: 部门筛查预警
    Column("lead_date", Day),                         # its 受理日期 as the list gives it (信访/12317)
    Column("closed_reason", Words),                   # withdrawn: not_listed / no_longer_holds
    Column("updated_at", Stamp, nullable=False),
    Index("dept_warnings_department", "department", "status"),
    Index("dept_warnings_town", "town", "status"),
    Index("dept_warnings_household", "household_id"),
)

dept_unmatched = Table(
    "dept_unmatched", metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", Integer, ForeignKey("dept_lists.id"), nullable=False),
    Column("department", Words, nullable=False),
    Column("person_id", Words, nullable=False),
    Column("name", Words),
    Column("rule_ids", Words, nullable=False),        # "、"-joined
    Column("facts", Words, nullable=False),           # "；"-joined
    Column("town", Words),                            # a town of the district when it can be known
    Column("place", Words, nullable=False),           # what the district reads: 本区（镇不详…）/ 外区…
    Column("basis", Words, nullable=False),           # list / address_code / removed_household / district / outside
    Column("sheet", Words),
    Column("row", Integer),
    Index("dept_unmatched_list", "list_id"),
)

# The district's numbers of a month (统计's tables, as JSON), kept when the month's 通报 is first made (made_by
# "report": never replaced) or, until then, by each pass in the month (made_by "pass": replaced by the next).
report_snapshots = Table(
    "report_snapshots", metadata,
    Column("month", Words, nullable=False),            # 2021-12
    Column("name", Words, nullable=False),             # the table's key (statistics.StatTable.key)
    Column("made_by", Words, nullable=False),          # report / pass
    Column("as_of", Day, nullable=False),              # the day the numbers were counted for
    Column("made_at", Stamp, nullable=False),
    Column("data", Doc, nullable=False),
    PrimaryKeyConstraint("month", "name"),
)

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
for _statement in SQLITE_APPEND_ONLY:
    event.listen(events, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_APPEND_ONLY:
    event.listen(events, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
