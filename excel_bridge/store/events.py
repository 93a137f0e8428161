"""The audit log: every transition, creation, removal and restoration, append-only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select

from . import tables as t
from .bulk import insert_rows
from .db import Database, in_chunks
from .records import Event, day

_E = t.events
_H = t.households


class Events:
    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, *, household_id: int | None, event: str, level: str, at: dt.datetime,
               action: str | None = None, from_state: str | None = None, to_state: str | None = None,
               person: str | None = None, source_sha256: str | None = None, comment: str | None = None,
               effective_date: dt.date | None = None) -> None:
        """Append one event. `at` is when the system recorded it; `effective_date` the day it counts for (the
        date typed with a decision, or the processing day)."""
        self.record_many([dict(household_id=household_id, event=event, level=level, at=at, action=action,
                               from_state=from_state, to_state=to_state, person=person,
                               source_sha256=source_sha256, comment=comment, effective_date=effective_date)])

    def record_many(self, events: Sequence[dict[str, Any]]) -> None:
        """Append events given as record()'s keywords, in one statement (a village file's new households; COPY on
        PostgreSQL)."""
        if not events:
            return
        insert_rows(self.db.conn, _E, [{
            "at": e["at"], "household_id": e["household_id"], "event": e["event"],
            "action": e.get("action") or e["event"], "from_state": e.get("from_state"),
            "to_state": e.get("to_state"), "level": e["level"], "person": e.get("person"),
            "source_sha256": e.get("source_sha256"), "comment": e.get("comment"),
            "effective_date": e.get("effective_date") or e["at"].date()} for e in events])

    def of(self, household_id: int) -> list[Event]:
        q = select(_E).where(_E.c.household_id == household_id).order_by(_E.c.id)
        return [Event.of(r) for r in self.db.rows(q)]

    def recent_transitions(self, limit: int) -> list[Event]:
        q = (select(_E, _H.c.town, _H.c.village, _H.c.head_name, _H.c.household_no)
             .select_from(_E.outerjoin(_H, _H.c.id == _E.c.household_id))
             .where(_E.c.event == "transition").order_by(_E.c.id.desc()).limit(limit))
        return [Event.of(r) for r in self.db.rows(q)]

    def latest_decisions(self, level: str, household_ids: Iterable[int]) -> dict[int, Event]:
        """household id → the latest transition `level` (镇, 区) made on it, for these households; one query per
        few hundred households, never one per row."""
        ids = sorted(set(household_ids))
        out: dict[int, Event] = {}
        for chunk in in_chunks(ids):
            latest = (select(func.max(_E.c.id))
                      .where(_E.c.level == level, _E.c.event == "transition", _E.c.household_id.in_(chunk))
                      .group_by(_E.c.household_id))
            for r in self.db.rows(select(_E).where(_E.c.id.in_(latest))):
                out[r.household_id] = Event.of(r)
        return out

    def last_action_day(self, household_id: int, actions: tuple[str, ...]) -> dt.date | None:
        """The effective day of the household's latest transition by one of these actions."""
        q = (select(_E.c.effective_date).where(_E.c.household_id == household_id, _E.c.event == "transition",
                                               _E.c.action.in_(actions))
             .order_by(_E.c.id.desc()).limit(1))
        return day(self.db.scalar(q))

    def last_action_days(self, household_ids: Iterable[int], actions: tuple[str, ...]) -> dict[int, dt.date | None]:
        """last_action_day() of many households in one query (a chunk of ids each); a household with no such move
        is left out."""
        ids = sorted(set(household_ids))
        out: dict[int, dt.date | None] = {}
        for chunk in in_chunks(ids):
            latest = (select(func.max(_E.c.id))
                      .where(_E.c.household_id.in_(chunk), _E.c.event == "transition", _E.c.action.in_(actions))
                      .group_by(_E.c.household_id))
            for hid, effective in self.db.rows(select(_E.c.household_id, _E.c.effective_date).where(_E.c.id.in_(latest))):
                out[hid] = day(effective)
        return out

    def last_entry_into(self, household_id: int, state: str) -> Event | None:
        """The latest event that brought the household into `state`."""
        q = select(_E).where(_E.c.household_id == household_id, _E.c.to_state == state).order_by(_E.c.id.desc()).limit(1)
        r = self.db.first(q)
        return Event.of(r) if r is not None else None

    def village_first_files(self) -> dict[tuple[str, str], str | None]:
        """(town, village) → content hash of the file that first brought the village's households in: its
        baseline, whose households are not "newly found" (the scale warning, plan 六(四))."""
        first = (select(func.min(_E.c.id)).select_from(_E.join(_H, _H.c.id == _E.c.household_id))
                 .where(_E.c.event == "created").group_by(_H.c.town, _H.c.village))
        q = (select(_H.c.town, _H.c.village, _E.c.source_sha256)
             .select_from(_E.join(_H, _H.c.id == _E.c.household_id)).where(_E.c.id.in_(first)))
        return {(town, village): sha for town, village, sha in self.db.rows(q)}

    def found_since(self, day: dt.date, *, lead: str, before: Sequence[str]) -> dict[int, str | None]:
        """household id → content hash of the file that last made it a `lead` (created as one, or proposed
        again from one of `before`), for those made so on or after `day`."""
        q = (select(_E.c.household_id, _E.c.source_sha256)
             .where(_E.c.to_state == lead, or_(_E.c.event == "created", _E.c.from_state.in_(list(before))),
                    _E.c.effective_date >= day).order_by(_E.c.id))
        return {hid: sha for hid, sha in self.db.rows(q)}

    def states_seen(self, household_id: int) -> set[str]:
        """Every state the household has been in (a decision row's token is checked against them)."""
        q = select(_E.c.from_state, _E.c.to_state).where(_E.c.household_id == household_id)
        return {s for row in self.db.rows(q) for s in row if s}
