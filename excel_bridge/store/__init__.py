"""The store: the only package that talks to the database.

    store = Store.open("系统/ledger.sqlite")            # or "postgresql+psycopg://user@host/db"
    with store.atomic():                                  # all or nothing; nests (SAVEPOINT)
        hid = store.households.create(...)
        store.events.record(household_id=hid, ...)
    rows = store.households.list(town="马坝镇")           # typed rows, dates decoded

Commands (households, submissions, events, outputs, notes, drafts, meta, departments) run inside `atomic()`; reads run anywhere,
each in a short snapshot, or many in one `snapshot()`. `views` holds the read models of the workbooks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from ..errors import LedgerError
from ..messages import TEXT
from .city import PersonPlace, in_several_on_server, in_several_streamed, people_by_id, present_among
from .db import Database, database_url, describe, schema_of, with_schema
from .departments import Departments
from .drafts import Drafts
from .events import Events
from .households import Households
from .imports import ImportDifference, ImportDifferences, Imports, LedgerKey
from .locks import pass_lock
from .migrations import SCHEMA_VERSION, migrate, schema_version
from .moves import Moves
from .outputs import Meta, Notes, Outputs, Pending
from .provincial import Decision, EntryDue, Provincial
from .records import (
    Conflict,
    CountedHousehold,
    CountedMove,
    DeptListRow,
    Draft,
    Event,
    HouseholdRow,
    LedgerHousehold,
    MeasureRow,
    MemberRow,
    SentUp,
    ShareRow,
    Submission,
    UnmatchedRow,
    VillageSummary,
    WarningRow,
    revive,
    revived,
)
from .snapshots import Snapshot, Snapshots
from .submissions import Submissions
from .views import CountingOnly, Tally, Views

__all__ = ["SCHEMA_VERSION", "Conflict", "CountedHousehold", "CountingOnly", "CountedMove", "Decision", "DeptListRow", "Draft",
           "EntryDue", "Event", "HouseholdRow", "ImportDifference", "ImportDifferences", "LedgerHousehold", "LedgerKey",
           "MeasureRow", "MemberRow", "PersonPlace", "SentUp", "ShareRow", "Snapshot", "Store", "Submission", "Tally",
           "UnmatchedRow", "VillageSummary", "WarningRow", "database_url", "describe", "in_several_streamed",
           "people_in_several", "revive", "revived", "schema_of", "with_schema"]


def people_in_several(server: str, schemas: Mapping[str, str]) -> list[PersonPlace]:
    """district → its schema on the server at `server`: the people in households of two or more of them, found by one
    query in the database, read only."""
    db = Database(server, read_only=True)
    try:
        return in_several_on_server(db, schemas)
    finally:
        db.close()


class Store:
    """The ledger: households, members, measures, reviews, submissions, issues, the event log, outputs, and
    the department lists with their warnings."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.households = Households(db)
        self.submissions = Submissions(db)
        self.events = Events(db)
        self.outputs = Outputs(db)
        self.notes = Notes(db)
        self.pending = Pending(db)
        self.drafts = Drafts(db)
        self.meta = Meta(db)
        self.views = Views(db, self.submissions)
        self.departments = Departments(db)
        self.snapshots = Snapshots(db)  # the monthly 通报's numbers as first reported
        self.provincial = Provincial(db)  # the district's decisions to enter into the provincial system
        self.imports = Imports(db)  # the national system's exports taken in (excel-bridge import)
        self.moves = Moves(self.households, self.events)  # what workflow.transition is handed

    @classmethod
    def open(cls, target: str | Path, *, timeout: float = 30.0, create_schema: bool = False,
             keep_engine: bool = False) -> "Store":
        """Open (creating or upgrading) the ledger at a SQLite path or a database URL; a PostgreSQL URL that names a
        schema of its own needs it made (`create_schema`: by init). `keep_engine`: a worker that opens the same
        ledger job after job reuses its engine (and the statements it compiled); closing still closes every
        connection."""
        db = Database(target, timeout=timeout, keep_engine=keep_engine)
        try:
            db.ensure_schema(create=create_schema)
            migrate(db)
        except BaseException:
            db.close()
            raise
        return cls(db)

    @classmethod
    def open_read(cls, target: str | Path, *, timeout: float = 30.0) -> "Store":
        """Open a ledger only to read it (a city's roll-up): never created, upgraded or written; PostgreSQL reads in
        READ ONLY transactions (a role with SELECT and USAGE is enough). LedgerError when it is missing or of another
        schema version than this program's."""
        url = database_url(target)
        if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).is_file()):
            raise LedgerError(TEXT["ledger.read_missing"].format(path=describe(url)))
        db = Database(target, timeout=timeout, read_only=True)
        try:
            db.ensure_schema(create=False)
            with db.snapshot() as conn:
                found = schema_version(conn)
            if found != SCHEMA_VERSION:
                raise LedgerError(TEXT["ledger.read_version"].format(database=describe(url), found=found,
                                                                     supported=SCHEMA_VERSION))
        except BaseException:
            db.close()
            raise
        return cls(db)

    def people_by_id(self, district: str) -> Iterator[PersonPlace]:
        """This ledger's people in households on file, in ID order, labelled `district` (the city's streamed match)."""
        return people_by_id(self.db, district)

    def present_among(self, ids: Iterable[str]) -> set[str]:
        """Which of these ID numbers are people in this ledger's households on file."""
        return present_among(self.db, ids)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def atomic(self):
        return self.db.atomic()

    def snapshot(self):
        return self.db.snapshot()

    def checkpoint(self) -> None:
        """SQLite: fold the write-ahead log into the database file now, waiting for nobody (a pass does it while
        its workers write; see Database.checkpoint). PostgreSQL: nothing."""
        self.db.checkpoint()

    def pass_lock(self, *, wait: bool,
                  on_wait: Callable[[str], None]) -> contextlib.AbstractContextManager[Callable[[], None]]:
        """One processing pass at a time on this ledger, whichever workspace copy or machine runs it: waits
        (telling `on_wait` once) or raises LedgerBusy. The block gets `held()`, which raises LedgerUnavailable
        once the lock was lost with its connection."""
        return pass_lock(self.db, wait=wait, on_wait=on_wait)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    def schema_version(self) -> int:
        with self.db.snapshot() as conn:
            return schema_version(conn)
