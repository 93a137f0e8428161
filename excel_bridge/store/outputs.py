"""What the system wrote (to tell its own workbooks from ones people edited), notes for the next copy of a
decision workbook, and small named values (settings of the ledger itself, counters)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import NamedTuple

from sqlalchemy import delete, insert, select, update

from . import tables as t
from .db import Database, in_places

_O = t.outputs
_N = t.decision_notes


class OutputRecord(NamedTuple):
    sha256: str
    written_at: dt.datetime
    digest: str | None


class Outputs:
    def __init__(self, db: Database) -> None:
        self.db = db

    def remember(self, key: str, sha256: str, kind: str, *, at: dt.datetime) -> None:
        """What we last wrote (or read) at a workspace-relative path."""
        conn = self.db.conn
        conn.execute(delete(_O).where(_O.c.path == key))
        conn.execute(insert(_O).values(path=key, sha256=sha256, kind=kind, written_at=at))

    def rename(self, old: str, new: str) -> None:
        """A file we wrote was moved (a workspace laid out anew): its record follows it."""
        conn = self.db.conn
        conn.execute(delete(_O).where(_O.c.path == new))
        conn.execute(update(_O).where(_O.c.path == old).values(path=new))

    def forget(self, key: str) -> None:
        self.db.conn.execute(delete(_O).where(_O.c.path == key))

    def sha_of(self, key: str) -> str | None:
        return self.db.scalar(select(_O.c.sha256).where(_O.c.path == key))

    def set_digest(self, key: str, digest: str) -> None:
        """The digest of what the writer of the workbook at `key` asked of XlsxWriter (writers.digest)."""
        self.db.conn.execute(update(_O).where(_O.c.path == key).values(digest=digest))

    def record_of(self, key: str) -> OutputRecord | None:
        """What is recorded of the workbook at `key`: the SHA-256 of the file, when, and its digest (if any)."""
        rows = self.db.rows(select(_O.c.sha256, _O.c.written_at, _O.c.digest).where(_O.c.path == key))
        return OutputRecord(*rows[0]) if rows else None


class Pending:
    """Outputs due to be written again: (kind, town, village); the district's workbooks as ("district", "", "")."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, kind: str, places: Iterable[tuple[str, str]], *, at: dt.datetime) -> None:
        wanted = sorted(set(places))
        if wanted:  # one statement to clear them, one to insert them
            p = t.pending_outputs
            self.done(kind, wanted)
            self.db.conn.execute(insert(p), [{"kind": kind, "town": town, "village": village, "since": at}
                                             for town, village in wanted])

    def done(self, kind: str, places: Iterable[tuple[str, str]]) -> None:
        wanted = set(places)
        if wanted:  # one statement for them all
            p = t.pending_outputs
            self.db.conn.execute(delete(p).where(p.c.kind == kind, in_places(p.c.town, p.c.village, wanted)))

    def of(self, kind: str) -> set[tuple[str, str]]:
        p = t.pending_outputs
        return {(town, village) for town, village in self.db.rows(select(p.c.town, p.c.village).where(p.c.kind == kind))}


class Notes:
    """Messages shown at the top of the next copy of a town's (or the district's) decision workbook."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, *, level: str, town: str | None, message: str, at: dt.datetime) -> None:
        self.db.conn.execute(insert(_N).values(at=at, level=level, town=town, message=message))

    def pending(self, *, level: str, town: str | None) -> list[str]:
        q = select(_N.c.message).where(*self._where(level, town)).order_by(_N.c.id)
        return [r[0] for r in self.db.rows(q)]

    def mark_shown(self, *, level: str, town: str | None, at: dt.datetime) -> None:
        self.db.conn.execute(update(_N).where(*self._where(level, town)).values(shown_at=at))

    @staticmethod
    def _where(level: str, town: str | None) -> tuple:
        place = _N.c.town.is_(None) if town is None else _N.c.town == town
        return (_N.c.level == level, place, _N.c.shown_at.is_(None))


class Meta:
    """Named values of the ledger itself (its token secret, the day outputs were last refreshed) and counters."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, key: str) -> str | None:
        return self.db.scalar(select(t.meta.c.value).where(t.meta.c.key == key))

    def starting_with(self, prefix: str) -> dict[str, str]:
        """Every named value whose key starts with `prefix` (the yearly rounds: "round:2022", …)."""
        q = select(t.meta.c.key, t.meta.c.value).where(t.meta.c.key.startswith(prefix, autoescape=True))
        return {k: v for k, v in self.db.rows(q)}

    def set(self, key: str, value: str) -> None:
        conn = self.db.conn
        conn.execute(delete(t.meta).where(t.meta.c.key == key))
        conn.execute(insert(t.meta).values(key=key, value=value))

    def next_counter(self, name: str) -> int:
        """The next number of a sequence (provisional household numbers), inside the caller's transaction."""
        return self.next_counters(name, 1)[0]

    def next_counters(self, name: str, n: int) -> range:
        """The next `n` numbers of a sequence at once (a village file's new leads), in the caller's transaction."""
        if n <= 0:
            return range(0)
        conn = self.db.conn
        c = t.counters
        current = conn.execute(select(c.c.value).where(c.c.name == name).with_for_update()).scalar()
        if current is None:
            conn.execute(insert(c).values(name=name, value=n))
            return range(1, n + 1)
        conn.execute(update(c).where(c.c.name == name).values(value=current + n))
        return range(int(current) + 1, int(current) + n + 1)
