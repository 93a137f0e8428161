"""Households and their members, measures and reviews: the commands that change them and the reads the
domain needs. Commands run inside the caller's `store.atomic()`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update

from . import tables as t
from .db import Database
from .records import HouseholdRow, revived

_H = t.households
_INSERT_MEMBER = insert(t.members)
_INSERT_MEASURE = insert(t.measures)
_INSERT_REVIEW = insert(t.reviews)


class Households:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- commands ---
    def create(self, *, head_id: str, head_name: str | None, town: str, village: str, state: str,
               household_no: str | None, provisional: bool, lead_date: dt.date | None,
               identified_date: dt.date | None, submission_id: int | None, row: int | None,
               data: dict[str, Any], assessment: dict[str, Any], errors: int, warnings: int,
               at: dt.datetime) -> int:
        result = self.db.conn.execute(insert(_H).values(
            household_no=household_no, provisional=provisional, head_id=head_id, head_name=head_name, town=town,
            village=village, state=state, version=1, opinion="", on_file=True, lead_date=lead_date,
            identified_date=identified_date, submission_id=submission_id, row=row, data=data,
            assessment=assessment, errors=errors, warnings=warnings, updated_at=at).returning(_H.c.id))
        return int(result.scalar_one())

    def update_from_file(self, household_id: int, *, household_no: str | None, provisional: bool, head_id: str,
                         head_name: str | None, submission_id: int, row: int | None, data: dict[str, Any],
                         assessment: dict[str, Any], errors: int, warnings: int,
                         identified_date: dt.date | None, at: dt.datetime) -> None:
        """A village file's newer rows for a household it already had (back on file if it was removed)."""
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(
            household_no=household_no, provisional=provisional, head_id=head_id, head_name=head_name, on_file=True,
            submission_id=submission_id, row=row, data=data, assessment=assessment, errors=errors,
            warnings=warnings, updated_at=at, identified_date=identified_date))

    def mark_removed(self, household_id: int, *, at: dt.datetime) -> None:
        """No longer in its village's current file: kept, with its history, never deleted."""
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(on_file=False, updated_at=at))

    def set_state(self, household_id: int, *, state: str, version: int, at: dt.datetime,
                  **fields: Any) -> None:
        """A workflow move: the new state and version, and the dates/opinion the move sets
        (lead_date, identified_date, eliminated_date, opinion)."""
        allowed = {"lead_date", "identified_date", "eliminated_date", "opinion"}
        unknown = set(fields) - allowed
        if unknown:
            raise TypeError(f"set_state() cannot set {sorted(unknown)}")
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(
            state=state, version=version, updated_at=at, **fields))

    def set_values(self, household_id: int, values: dict[str, Any], *, at: dt.datetime) -> None:
        """Some of a household's values set by the system itself (the channel and risk type of a lead the town
        made from a department warning); the village's next file replaces them like all the others."""
        conn = self.db.conn
        data = conn.execute(select(_H.c.data).where(_H.c.id == household_id)).scalar_one()
        conn.execute(update(_H).where(_H.c.id == household_id).values(data={**data, **values}, updated_at=at))

    def assign_number(self, household_id: int, number: str, *, provisional: bool) -> None:
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(
            household_no=number, provisional=provisional))

    def replace_children(self, household_id: int, *, town: str, village: str, members: Sequence[dict[str, Any]],
                         measures: Sequence[dict[str, Any]], reviews: Sequence[dict[str, Any]]) -> None:
        """The household's members, measures and reviews as its latest file lists them."""
        conn = self.db.conn
        for table in (t.members, t.measures, t.reviews):
            conn.execute(table.delete().where(table.c.household_id == household_id))
        if members:
            conn.execute(_INSERT_MEMBER, [
                {"household_id": household_id, "person_id": m.get("person_id"), "name": m.get("name"), "town": town,
                 "village": village, "sheet": m.get("_sheet"), "row": m.get("_row"), "data": m} for m in members])
        if measures:
            conn.execute(_INSERT_MEASURE, [{"household_id": household_id, "data": m} for m in measures])
        if reviews:
            conn.execute(_INSERT_REVIEW, [{"household_id": household_id, "data": r} for r in reviews])

    # --- reads ---
    def get(self, household_id: int) -> HouseholdRow | None:
        r = self.db.first(select(_H).where(_H.c.id == household_id))
        return HouseholdRow.of(r) if r is not None else None

    def list(self, *, town: str | None = None, village: str | None = None, states: Iterable[str] | None = None,
             on_file: bool | None = None) -> list[HouseholdRow]:
        q = select(_H)
        if town is not None:
            q = q.where(_H.c.town == town)
        if village is not None:
            q = q.where(_H.c.village == village)
        if states is not None:
            q = q.where(_H.c.state.in_(list(states)))
        if on_file is not None:
            q = q.where(_H.c.on_file == on_file)
        return [HouseholdRow.of(r) for r in self.db.rows(q.order_by(_H.c.town, _H.c.village, _H.c.id))]

    def find(self, key: str) -> list[HouseholdRow]:
        """By 户编号 or 户主身份证号."""
        q = select(_H).where(or_(_H.c.household_no == key, _H.c.head_id == key.upper())).order_by(_H.c.id)
        return [HouseholdRow.of(r) for r in self.db.rows(q)]

    def from_submission(self, submission_id: int, *, on_file: bool = True) -> list[HouseholdRow]:
        q = select(_H).where(_H.c.submission_id == submission_id, _H.c.on_file == on_file).order_by(_H.c.id)
        return [HouseholdRow.of(r) for r in self.db.rows(q)]

    def members_of(self, household_id: int) -> list[dict[str, Any]]:
        return self._children(t.members, household_id)

    def measures_of(self, household_id: int) -> list[dict[str, Any]]:
        return self._children(t.measures, household_id)

    def reviews_of(self, household_id: int) -> list[dict[str, Any]]:
        return self._children(t.reviews, household_id)

    def _children(self, table: Any, household_id: int) -> list[dict[str, Any]]:
        q = select(table.c.data).where(table.c.household_id == household_id).order_by(table.c.id)
        return [revived(r[0]) for r in self.db.rows(q)]

    def with_reviews(self, states: Iterable[str]) -> list[tuple[HouseholdRow, str | None]]:
        """Households on file in these states that have at least one review row, each with the hash of the
        file it came from (the village step of the daily advance)."""
        q = (select(_H, t.submissions.c.sha256.label("source_sha256"))
             .select_from(_H.outerjoin(t.submissions, t.submissions.c.id == _H.c.submission_id))
             .where(_H.c.on_file.is_(True), _H.c.state.in_(list(states)),
                    exists().where(t.reviews.c.household_id == _H.c.id))
             .order_by(_H.c.id))
        return [(HouseholdRow.of(r), r.source_sha256) for r in self.db.rows(q)]

    def places_with_notice_since(self, since: dt.date) -> set[tuple[str, str]]:
        """Villages with a review whose notice ends on or after `since` (their notice lists change by date)."""
        q = (select(_H.c.town, _H.c.village, t.reviews.c.data)
             .select_from(t.reviews.join(_H, _H.c.id == t.reviews.c.household_id)))
        out = set()
        for town, village, data in self.db.rows(q):
            end = data.get("notice_end")
            if isinstance(end, str) and end[:10] >= since.isoformat():
                out.add((town, village))
        return out

    def count_where(self, **equal: Any) -> int:
        q = select(func.count()).select_from(_H).where(and_(*(_H.c[k] == v for k, v in equal.items())))
        return int(self.db.scalar(q) or 0)
