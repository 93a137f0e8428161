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
from collections.abc import Callable
from pathlib import Path

from .db import Database, database_url, describe
from .departments import Departments
from .drafts import Drafts
from .events import Events
from .households import Households
from .locks import pass_lock
from .migrations import SCHEMA_VERSION, migrate, schema_version
from .moves import Moves
from .outputs import Meta, Notes, Outputs, Pending
from .records import (
    Conflict,
    CountedHousehold,
    CountedMove,
    DeptListRow,
    Draft,
    Event,
    HouseholdRow,
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
from .views import Tally, Views

__all__ = ["SCHEMA_VERSION", "Conflict", "CountedHousehold", "CountedMove", "DeptListRow", "Draft", "Event",
           "HouseholdRow", "MeasureRow", "MemberRow", "SentUp", "ShareRow", "Snapshot", "Store", "Submission", "Tally",
           "UnmatchedRow", "VillageSummary", "WarningRow", "database_url", "describe", "revive", "revived"]


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
        self.moves = Moves(self.households, self.events)  # what workflow.transition is handed

    @classmethod
    def open(cls, target: str | Path, *, timeout: float = 30.0) -> "Store":
        """Open (creating or upgrading) the ledger at a SQLite path or a database URL."""
        db = Database(target, timeout=timeout)
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
        return cls(db)

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
