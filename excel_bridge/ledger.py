"""The ledger: SQLite (WAL) system of record — households, members, measures, reviews, submissions,
issues, an append-only event log, and the outputs we wrote. Versioned schema with migrations.

Workbooks are views of this; losing any workbook loses nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LedgerError
from .messages import TEXT

SCHEMA_VERSION = 4

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE submissions(
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,            -- village / town_review / master / other
        status TEXT NOT NULL,          -- applied / duplicate / unreadable / failed / ignored
        town TEXT, village TEXT,
        file_name TEXT NOT NULL,
        archived_path TEXT,
        received_at TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0,
        households INTEGER NOT NULL DEFAULT 0,
        members INTEGER NOT NULL DEFAULT 0,
        feedback_path TEXT,
        message TEXT
    );
    CREATE INDEX submissions_sha ON submissions(sha256);
    CREATE INDEX submissions_village ON submissions(town, village);
    CREATE TABLE households(
        id INTEGER PRIMARY KEY,
        household_no TEXT,
        provisional INTEGER NOT NULL DEFAULT 0,
        head_id TEXT NOT NULL,
        head_name TEXT,
        town TEXT NOT NULL,
        village TEXT NOT NULL,
        state TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        opinion TEXT NOT NULL DEFAULT '',
        on_file INTEGER NOT NULL DEFAULT 1,
        lead_date TEXT,
        identified_date TEXT,
        eliminated_date TEXT,
        submission_id INTEGER REFERENCES submissions(id),
        row INTEGER,
        data TEXT NOT NULL,
        assessment TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX households_place ON households(town, village);
    CREATE INDEX households_head ON households(head_id);
    CREATE INDEX households_no ON households(household_no);
    CREATE INDEX households_state ON households(state);
    CREATE TABLE members(
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        person_id TEXT,
        name TEXT,
        town TEXT NOT NULL,
        village TEXT NOT NULL,
        sheet TEXT, row INTEGER,
        data TEXT NOT NULL
    );
    CREATE INDEX members_household ON members(household_id);
    CREATE INDEX members_person ON members(person_id);
    CREATE TABLE measures(
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        data TEXT NOT NULL
    );
    CREATE INDEX measures_household ON measures(household_id);
    CREATE TABLE reviews(
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        data TEXT NOT NULL
    );
    CREATE INDEX reviews_household ON reviews(household_id);
    CREATE TABLE issues(
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        code TEXT NOT NULL, severity TEXT NOT NULL,
        sheet TEXT, row INTEGER, column_name TEXT, value TEXT,
        message TEXT NOT NULL, hint TEXT NOT NULL
    );
    CREATE INDEX issues_submission ON issues(submission_id);
    CREATE TABLE events(
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        household_id INTEGER REFERENCES households(id),
        event TEXT NOT NULL,
        from_state TEXT, to_state TEXT,
        level TEXT NOT NULL,
        person TEXT,
        source_sha256 TEXT,
        comment TEXT
    );
    CREATE INDEX events_household ON events(household_id);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TABLE outputs(
        path TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,
        written_at TEXT NOT NULL
    );
    CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
    """,
    2: """
    CREATE TABLE decision_notes(
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        level TEXT NOT NULL,
        town TEXT,
        message TEXT NOT NULL,
        shown_at TEXT
    );
    """,
    3: """
    ALTER TABLE events ADD COLUMN effective_date TEXT;
    """,
    4: """
    CREATE INDEX members_place ON members(town, village);  -- a village's people in two villages, per file
    """,
}


def now_text(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now()).strftime("%Y-%m-%d %H:%M:%S")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default, separators=(",", ":"))


def _default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    raise TypeError(type(value).__name__)


@dataclass(frozen=True)
class HouseholdRow:
    """A household as the ledger holds it (typed fields decoded)."""

    id: int
    household_no: str | None
    provisional: bool
    head_id: str
    head_name: str | None
    town: str
    village: str
    state: str
    version: int
    opinion: str
    on_file: bool
    lead_date: str | None
    identified_date: str | None
    eliminated_date: str | None
    submission_id: int | None
    row: int | None
    data: dict[str, Any]
    assessment: dict[str, Any]
    errors: int
    warnings: int
    updated_at: str

    @classmethod
    def from_sql(cls, r: sqlite3.Row) -> "HouseholdRow":
        return cls(id=r["id"], household_no=r["household_no"], provisional=bool(r["provisional"]),
                   head_id=r["head_id"], head_name=r["head_name"], town=r["town"], village=r["village"],
                   state=r["state"], version=r["version"], opinion=r["opinion"], on_file=bool(r["on_file"]),
                   lead_date=r["lead_date"], identified_date=r["identified_date"],
                   eliminated_date=r["eliminated_date"], submission_id=r["submission_id"], row=r["row"],
                   data=json.loads(r["data"]), assessment=json.loads(r["assessment"]), errors=r["errors"],
                   warnings=r["warnings"], updated_at=r["updated_at"])


class Ledger:
    """A connection to the ledger database; one writer (the processing loop), any number of readers."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, timeout: float = 30.0) -> "Ledger":
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
        except sqlite3.Error as exc:
            raise LedgerError(TEXT["ledger.cannot_open"].format(path=path, error=exc)) from exc
        ledger = cls(conn, path)
        ledger._migrate()
        return ledger

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- schema ---
    def schema_version(self) -> int:
        has_meta = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
        if not has_meta:
            return 0
        row = self.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row["value"]) if row else 0

    def _migrate(self) -> None:
        current = self.schema_version()
        if current > SCHEMA_VERSION:
            raise LedgerError(TEXT["ledger.too_new"].format(current=current, supported=SCHEMA_VERSION))
        for version in range(current + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in _statements(MIGRATIONS[version]):
                    self.conn.execute(statement)
                self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)",
                                  (str(version),))
                if version == 1:
                    self.conn.execute("INSERT INTO meta(key, value) VALUES('token_secret', ?)",
                                      (secrets.token_hex(16),))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: BEGIN IMMEDIATE … COMMIT, ROLLBACK on any exception."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise LedgerError(TEXT["ledger.busy"].format(error=exc)) from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # --- small helpers ---
    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row["value"] if row else None

    def next_counter(self, name: str) -> int:
        self.conn.execute("INSERT INTO counters(name, value) VALUES(?, 1) "
                          "ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,))
        return int(self.conn.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()["value"])

    def token(self, household_id: int, state: str, version: int) -> str:
        """The hidden row token of a decision row: valid only for this household in this state and version."""
        secret = (self.meta("token_secret") or "").encode()
        msg = f"{household_id}:{state}:{version}".encode()
        return hmac.new(secret, msg, hashlib.sha256).hexdigest()[:16]

    # --- submissions ---
    def add_submission(self, *, sha256: str, kind: str, status: str, file_name: str, received_at: str,
                       town: str | None = None, village: str | None = None, archived_path: str | None = None,
                       message: str | None = None) -> int:
        cur = self.conn.execute(
            "INSERT INTO submissions(sha256, kind, status, town, village, file_name, archived_path, received_at,"
            " message) VALUES(?,?,?,?,?,?,?,?,?)",
            (sha256, kind, status, town, village, file_name, archived_path, received_at, message))
        return int(cur.lastrowid)

    def applied_submission(self, sha256: str, *, town: str | None = None) -> sqlite3.Row | None:
        """The latest applied submission of this content (from this town's folder, if given)."""
        where, args = _place_filter("", town, None)
        return self.conn.execute("SELECT * FROM submissions WHERE sha256=? AND status='applied'" + where +
                                 " ORDER BY id DESC LIMIT 1", (sha256, *args)).fetchone()

    def latest_village_submission(self, town: str, village: str) -> sqlite3.Row | None:
        return self.conn.execute(
            "SELECT * FROM submissions WHERE town=? AND village=? AND kind='village' AND status='applied'"
            " ORDER BY id DESC LIMIT 1", (town, village)).fetchone()

    def submissions(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM submissions ORDER BY id").fetchall()

    # --- households ---
    def households(self, *, town: str | None = None, village: str | None = None,
                   states: Sequence[str] | None = None, on_file: bool | None = None) -> list[HouseholdRow]:
        where, args = _place_filter("", town, village)
        sql = "SELECT * FROM households WHERE 1=1" + where
        if states is not None:
            sql += f" AND state IN ({','.join('?' * len(states))})"
            args.extend(states)
        if on_file is not None:
            sql += " AND on_file=?"
            args.append(int(on_file))
        sql += " ORDER BY town, village, id"
        return [HouseholdRow.from_sql(r) for r in self.conn.execute(sql, args)]

    def household(self, household_id: int) -> HouseholdRow | None:
        r = self.conn.execute("SELECT * FROM households WHERE id=?", (household_id,)).fetchone()
        return HouseholdRow.from_sql(r) if r else None

    def find_households(self, key: str) -> list[HouseholdRow]:
        """By 户编号 or 户主身份证号."""
        rows = self.conn.execute("SELECT * FROM households WHERE household_no=? OR head_id=? ORDER BY id",
                                 (key, key.upper())).fetchall()
        return [HouseholdRow.from_sql(r) for r in rows]

    def members_of(self, household_id: int) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in
                self.conn.execute("SELECT data FROM members WHERE household_id=? ORDER BY id", (household_id,))]

    def measures_of(self, household_id: int) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in
                self.conn.execute("SELECT data FROM measures WHERE household_id=? ORDER BY id", (household_id,))]

    def reviews_of(self, household_id: int) -> list[dict[str, Any]]:
        return [json.loads(r["data"]) for r in
                self.conn.execute("SELECT data FROM reviews WHERE household_id=? ORDER BY id", (household_id,))]

    def issues_of(self, submission_id: int) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM issues WHERE submission_id=? ORDER BY id",
                                 (submission_id,)).fetchall()

    def record_event(self, *, household_id: int | None, event: str, level: str, at: str,
                     from_state: str | None = None, to_state: str | None = None, person: str | None = None,
                     source_sha256: str | None = None, comment: str | None = None,
                     effective_date: str | None = None) -> None:
        """Append to the audit log. `at` is when the system recorded it; `effective_date` the day it counts
        for (the date typed with a decision, or the processing day)."""
        self.conn.execute(
            "INSERT INTO events(at, household_id, event, from_state, to_state, level, person, source_sha256, comment,"
            " effective_date) VALUES(?,?,?,?,?,?,?,?,?,?)",
            (at, household_id, event, from_state, to_state, level, person, source_sha256, comment,
             effective_date or at[:10]))

    def events_of(self, household_id: int) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM events WHERE household_id=? ORDER BY id", (household_id,)).fetchall()

    def recent_events(self, limit: int = 500) -> list[sqlite3.Row]:
        return self.conn.execute(
            "SELECT e.*, h.town, h.village, h.head_name, h.household_no FROM events e"
            " LEFT JOIN households h ON h.id = e.household_id WHERE e.event='transition'"
            " ORDER BY e.id DESC LIMIT ?", (limit,)).fetchall()

    # --- when households were found (the scale warning, plan 六(四)) ---
    def village_first_files(self) -> dict[tuple[str, str], str]:
        """(town, village) → content hash of the file that first brought the village's households in: its
        baseline, whose households are not "newly found"."""
        rows = self.conn.execute(
            "SELECT h.town, h.village, e.source_sha256 FROM events e JOIN households h ON h.id = e.household_id"
            " WHERE e.id IN (SELECT MIN(e2.id) FROM events e2 JOIN households h2 ON h2.id = e2.household_id"
            " WHERE e2.event = 'created' GROUP BY h2.town, h2.village)").fetchall()
        return {(r["town"], r["village"]): r["source_sha256"] for r in rows}

    def found_since(self, day: str, *, lead: str, before: Sequence[str]) -> dict[int, str | None]:
        """household id → content hash of the file that last made it a `lead` (created as one, or proposed
        again from one of `before`), for those made so on or after `day`."""
        rows = self.conn.execute(
            "SELECT household_id, source_sha256 FROM events WHERE to_state = ?"
            f" AND (event = 'created' OR from_state IN ({','.join('?' * len(before))}))"
            " AND COALESCE(effective_date, substr(at, 1, 10)) >= ? ORDER BY id", (lead, *before, day)).fetchall()
        return {r["household_id"]: r["source_sha256"] for r in rows}

    # --- people in two villages ---
    def person_conflicts(self, *, town: str | None = None, village: str | None = None) -> list[sqlite3.Row]:
        """Members whose ID is in the current rows of another village too (both sides reported)."""
        sql = """
            SELECT m.person_id, m.name, m.town, m.village, m.sheet, m.row,
                   o.town AS other_town, o.village AS other_village
            FROM members m JOIN households h ON h.id = m.household_id AND h.on_file = 1
            JOIN members o ON o.person_id = m.person_id AND (o.town != m.town OR o.village != m.village)
            JOIN households oh ON oh.id = o.household_id AND oh.on_file = 1
            WHERE m.person_id IS NOT NULL"""
        where, args = _place_filter("m.", town, village)
        sql += where
        return self.conn.execute(sql + " ORDER BY m.town, m.village, m.row", args).fetchall()

    # --- notes shown at the top of the next copy of a decision workbook ---
    def add_decision_note(self, *, at: str, level: str, town: str | None, message: str) -> None:
        self.conn.execute("INSERT INTO decision_notes(at, level, town, message) VALUES(?,?,?,?)",
                          (at, level, town, message))

    # --- outputs we wrote (to tell our own files from edited ones) ---
    def remember_output(self, key: str, sha256: str, kind: str, at: str) -> None:
        """What we last wrote (or read) at a workspace-relative path."""
        self.conn.execute("INSERT OR REPLACE INTO outputs(path, sha256, kind, written_at) VALUES(?,?,?,?)",
                          (key, sha256, kind, at))

    def output_sha(self, key: str) -> str | None:
        r = self.conn.execute("SELECT sha256 FROM outputs WHERE path=?", (key,)).fetchone()
        return r["sha256"] if r else None

    def is_our_output(self, sha256: str) -> bool:
        return self.conn.execute("SELECT 1 FROM outputs WHERE sha256=?", (sha256,)).fetchone() is not None


def _place_filter(prefix: str, town: str | None, village: str | None) -> tuple[str, list[Any]]:
    """' AND town=? AND village=?' for the parts given (prefix: a table alias with its dot)."""
    sql, args = "", []
    for column, value in (("town", town), ("village", village)):
        if value is not None:
            sql += f" AND {prefix}{column}=?"
            args.append(value)
    return sql, args


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (triggers contain ';' inside BEGIN…END)."""
    out, buf = [], []
    for line in script.splitlines():
        if not line.strip() or line.strip().startswith("--"):
            continue
        buf.append(line.split(" --")[0] if " --" in line else line)
        text = "\n".join(buf).strip()
        if text.endswith(";") and sqlite3.complete_statement(text):
            out.append(text)
            buf = []
    if buf and "\n".join(buf).strip():
        out.append("\n".join(buf))
    return out
