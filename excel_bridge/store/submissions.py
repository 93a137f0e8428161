"""Files received (submissions), the villages each village file holds, and the problems found in each."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import func, insert, select, update

from ..issues import Issue
from . import tables as t
from .bulk import insert_rows
from .db import Database, in_places
from .locks import claim_content
from .records import Submission

_S = t.submissions
_SV = t.submission_villages


class Submissions:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- commands ---
    def add(self, *, sha256: str, kind: str, status: str, file_name: str, received_at: dt.datetime,
            town: str | None = None, archived_path: str | None = None, message: str | None = None,
            villages: Iterable[str] = ()) -> int:
        conn = self.db.conn
        sid = int(conn.execute(insert(_S).values(
            sha256=sha256, kind=kind, status=status, town=town, file_name=file_name, archived_path=archived_path,
            received_at=received_at, message=message).returning(_S.c.id)).scalar_one())
        self.add_villages(sid, town, villages)
        return sid

    def add_villages(self, submission_id: int, town: str | None, villages: Iterable[str]) -> None:
        rows = [{"submission_id": submission_id, "town": town, "village": v} for v in sorted(set(villages)) if v]
        if rows and town:
            self.db.conn.execute(insert(_SV), rows)

    def claim(self, sha256: str, town: str | None) -> None:
        """Inside the applying transaction, before `repeated`: another process applying the same content for
        this town finishes first (so `repeated` then sees it)."""
        claim_content(self.db.conn, sha256, town)

    def set_counts(self, submission_id: int, *, errors: int, warnings: int, households: int | None = None,
                   members: int | None = None) -> None:
        values: dict[str, int] = {"errors": errors, "warnings": warnings}
        if households is not None:
            values["households"] = households
        if members is not None:
            values["members"] = members
        self.db.conn.execute(update(_S).where(_S.c.id == submission_id).values(**values))

    def set_paths(self, submission_id: int, *, archived_path: str | None, feedback_path: str | None) -> None:
        """Where the archived original and the returned copy are (workspace-relative)."""
        self.db.conn.execute(update(_S).where(_S.c.id == submission_id).values(
            archived_path=archived_path, feedback_path=feedback_path))

    def set_feedback(self, submission_id: int, path: str) -> None:
        self.db.conn.execute(update(_S).where(_S.c.id == submission_id).values(feedback_path=path))

    def add_issues(self, submission_id: int, issues: Sequence[Issue]) -> None:
        if issues:
            insert_rows(self.db.conn, t.issues, [
                {"submission_id": submission_id, "code": i.code, "severity": i.severity, "sheet": i.sheet,
                 "row": i.row, "column_name": i.column, "value": i.value, "message": i.message, "hint": i.hint}
                for i in issues])

    # --- reads ---
    def latest_by_town(self) -> dict[str, dt.datetime]:
        """When each town last had a file received (any kind: village files, its decision workbook)."""
        q = select(_S.c.town, func.max(_S.c.received_at)).where(_S.c.town.is_not(None)).group_by(_S.c.town)
        return {town: at for town, at in self.db.rows(q)}

    def get(self, submission_id: int) -> Submission | None:
        r = self.db.first(select(_S).where(_S.c.id == submission_id))
        return self.with_villages([r])[0] if r is not None else None

    def all(self) -> list[Submission]:
        return self.with_villages(self.db.rows(select(_S).order_by(_S.c.id)))

    def applied(self, sha256: str, *, town: str | None = None) -> Submission | None:
        """The latest applied village submission of this content (from this town's folder, if given)."""
        q = select(_S).where(_S.c.sha256 == sha256, _S.c.status == "applied")
        if town is not None:
            q = q.where(_S.c.town == town)
        r = self.db.first(q.order_by(_S.c.id.desc()).limit(1))
        return self.with_villages([r])[0] if r is not None else None

    def repeated(self, sha256: str, *, town: str) -> Submission | None:
        """The applied submission this content repeats, if it is still the latest file of each of its villages
        (an older content dropped again is a new submission: it restores what a later file removed)."""
        previous = self.applied(sha256, town=town)
        if previous is None:
            return None
        latest = self.latest_for_villages((town, village) for village in previous.villages)
        if any((s := latest.get((town, village))) is None or s.id != previous.id for village in previous.villages):
            return None
        return previous

    def applied_elsewhere(self, sha256: str, town: str) -> list[Submission]:
        """Applied submissions of this content from other towns' folders."""
        q = select(_S).where(_S.c.sha256 == sha256, _S.c.status == "applied", _S.c.town != town).order_by(_S.c.id)
        return self.with_villages(self.db.rows(q))

    def latest_for_village(self, town: str, village: str) -> Submission | None:
        """The village's latest applied file."""
        return self.latest_for_villages([(town, village)]).get((town, village))

    def latest_for_villages(self, places: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Submission]:
        """The latest applied file of each of `places` that has one, in three statements whatever their number."""
        wanted = set(places)
        if not wanted:
            return {}
        q = (select(_SV.c.town, _SV.c.village, func.max(_S.c.id)).join(_S, _SV.c.submission_id == _S.c.id)
             .where(_S.c.kind == "village", _S.c.status == "applied", in_places(_SV.c.town, _SV.c.village, wanted))
             .group_by(_SV.c.town, _SV.c.village))
        latest = {(town, village): sid for town, village, sid in self.db.rows(q)}
        if not latest:
            return {}
        subs = {s.id: s for s in self.with_villages(self.db.rows(select(_S).where(_S.c.id.in_(set(latest.values())))))}
        return {place: subs[sid] for place, sid in latest.items()}

    def issues_of(self, submission_id: int) -> list[Issue]:
        q = select(t.issues).where(t.issues.c.submission_id == submission_id).order_by(t.issues.c.id)
        return [Issue(code=r.code, severity=r.severity, sheet=r.sheet, row=r.row, column=r.column_name, value=r.value,
                      message=r.message, hint=r.hint) for r in self.db.rows(q)]

    def with_villages(self, rows: Sequence) -> list[Submission]:
        """Submission values of submissions table rows, each with the villages it holds."""
        ids = [r.id for r in rows]
        places: dict[int, list[str]] = defaultdict(list)
        if ids:
            q = select(_SV.c.submission_id, _SV.c.village).order_by(_SV.c.submission_id, _SV.c.village)
            if len(ids) <= 500:  # a few: look them up; many (the whole list): read the table once
                q = q.where(_SV.c.submission_id.in_(ids))
            for sid, village in self.db.rows(q):
                places[sid].append(village)
        return [Submission.of(r, tuple(places.get(r.id, ()))) for r in rows]
