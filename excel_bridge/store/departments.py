"""Department lists (部门筛查预警): the lists received, the warnings they raise for households of the ledger,
the people they name who are in no household, and the read models the department channel needs — the
ledger's people to match a list against, and the monitored households shared back to a department.
Commands run inside the caller's `store.atomic()`."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, insert, select, update

from . import tables as t
from .db import Database, in_chunks
from .records import DeptListRow, HouseholdRow, ShareRow, UnmatchedRow, WarningRow, day, revived

if TYPE_CHECKING:
    import pandas as pd

_L = t.dept_lists
_W = t.dept_warnings
_U = t.dept_unmatched
_H = t.households
_M = t.members

OPEN = "待核实"  # a warning the town has not verified yet
WITHDRAWN = "部门已撤销"
APPLIED = "applied"
# the ledger side of a comparison, in the order departments.model.LEDGER_COLUMNS names them
PEOPLE_COLUMNS = ("person_id", "household", "town", "village", "household_type", "state", "on_file", "dibao", "tekun",
                  "disability_type", "disability_grade")
_WITH_HOUSEHOLD = (_H.c.household_no, _H.c.head_name, _H.c.state.label("household_state"),
                   _H.c.on_file.label("household_on_file"))


class Departments:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- commands ---
    def add_list(self, *, department: str | None, file_name: str, sha256: str, received_at: dt.datetime,
                 received_date: dt.date, status: str, fingerprint: str | None = None,
                 archived_path: str | None = None, row_count: int = 0, people: int = 0, invalid: int = 0,
                 issues: int = 0, matched: int = 0, warnings: int = 0, unmatched: int = 0,
                 by_town: dict[str, dict[str, int]] | None = None, note_path: str | None = None,
                 message: str | None = None) -> int:
        result = self.db.conn.execute(insert(_L).values(
            department=department, file_name=file_name, sha256=sha256, fingerprint=fingerprint,
            received_at=received_at, received_date=received_date, archived_path=archived_path, status=status,
            row_count=row_count, people=people, invalid=invalid, issues=issues, matched=matched, warnings=warnings,
            unmatched=unmatched, by_town=by_town or {}, note_path=note_path, message=message).returning(_L.c.id))
        return int(result.scalar_one())

    def add_warnings(self, list_id: int, warnings: Sequence[dict[str, Any]], *, at: dt.datetime) -> None:
        """Open these warnings (keys: department, rule_id, person_id, name, household_id, town, village,
        risk_type, guarantee, fact, received_date, deadline, sheet, row, lead_source, lead_date), raised by list
        `list_id`."""
        if warnings:
            self.db.conn.execute(insert(_W), [
                {**w, "status": OPEN, "revision": 1, "list_id": list_id, "last_list_id": list_id,
                 "lead_created": False, "updated_at": at} for w in warnings])

    def keep(self, list_id: int, kept: Sequence[dict[str, Any]], *, at: dt.datetime) -> None:
        """A newer list still says these (keys: id, fact, name, household_id, town, village, lead_source, lead_date):
        each as the list says it now, the latest list noted. A changed fact or household is a new revision (a
        decision row written for the old one is stale); the deadline stays. Those unchanged — most of a monthly
        list — in one statement."""
        conn = self.db.conn
        current = {}
        for chunk in in_chunks([k["id"] for k in kept], 5000):
            q = select(_W.c.id, _W.c.fact, _W.c.name, _W.c.household_id, _W.c.town, _W.c.village, _W.c.revision,
                       _W.c.lead_source, _W.c.lead_date)
            current.update({r.id: r for r in conn.execute(q.where(_W.c.id.in_(chunk)))})
        same = []
        for k in kept:
            row = current[k["id"]]
            if (row.fact, row.name, row.household_id, row.town, row.village, row.lead_source, day(row.lead_date)) == (
                    k["fact"], k["name"], k["household_id"], k["town"], k["village"], k.get("lead_source"),
                    k.get("lead_date")):
                same.append(k["id"])
                continue
            revision = row.revision + (row.fact != k["fact"] or row.household_id != k["household_id"])
            conn.execute(update(_W).where(_W.c.id == k["id"]).values(
                fact=k["fact"], name=k["name"], household_id=k["household_id"], town=k["town"], village=k["village"],
                lead_source=k.get("lead_source"), lead_date=k.get("lead_date"), last_list_id=list_id,
                revision=revision, updated_at=at))
        for chunk in in_chunks(same, 5000):
            conn.execute(update(_W).where(_W.c.id.in_(chunk)).values(last_list_id=list_id, updated_at=at))

    def withdraw(self, warning_ids: Sequence[int], *, reason: str, at: dt.datetime) -> None:
        """Closed as 部门已撤销: only open warnings (a verified outcome is never closed)."""
        for chunk in in_chunks(list(warning_ids), 5000):
            self.db.conn.execute(update(_W).where(_W.c.id.in_(chunk), _W.c.status == OPEN).values(
                status=WITHDRAWN, closed_reason=reason, updated_at=at))

    def verify(self, warning_id: int, *, status: str, comment: str | None, person: str, day: dt.date,
               source_sha256: str, lead_created: bool, at: dt.datetime) -> None:
        """The town's 核实结论 on an open warning."""
        self.db.conn.execute(update(_W).where(_W.c.id == warning_id, _W.c.status == OPEN).values(
            status=status, comment=comment, verified_by=person, verified_date=day, source_sha256=source_sha256,
            lead_created=lead_created, updated_at=at))

    def add_unmatched(self, list_id: int, department: str, people: Sequence[dict[str, Any]]) -> None:
        """未在台账中的人员 of a list (keys: person_id, name, rule_ids, facts, town, place, basis, sheet, row)."""
        if people:
            self.db.conn.execute(insert(_U), [
                {**p, "list_id": list_id, "department": department, "rule_ids": "、".join(p["rule_ids"]),
                 "facts": "；".join(p["facts"])} for p in people])

    # --- reads: lists ---
    def lists(self) -> list[DeptListRow]:
        return [DeptListRow.of(r) for r in self.db.rows(select(_L).order_by(_L.c.id))]

    def latest_list(self, department: str) -> DeptListRow | None:
        """The department's latest applied list (the one whose warnings are current)."""
        q = select(_L).where(_L.c.department == department, _L.c.status == APPLIED).order_by(_L.c.id.desc()).limit(1)
        r = self.db.first(q)
        return DeptListRow.of(r) if r is not None else None

    def latest_lists(self) -> dict[str, DeptListRow]:
        """Each department's latest applied list."""
        latest = (select(func.max(_L.c.id)).where(_L.c.status == APPLIED, _L.c.department.is_not(None))
                  .group_by(_L.c.department))
        rows = self.db.rows(select(_L).where(_L.c.id.in_(latest)).order_by(_L.c.department))
        return {r.department: DeptListRow.of(r) for r in rows}

    def unmatched(self, list_ids: Iterable[int]) -> list[UnmatchedRow]:
        ids = list(list_ids)
        if not ids:
            return []
        q = select(_U).where(_U.c.list_id.in_(ids)).order_by(_U.c.department, _U.c.id)
        return [UnmatchedRow(list_id=r.list_id, department=r.department, person_id=r.person_id, name=r.name,
                             rule_ids=tuple(r.rule_ids.split("、")), facts=tuple(r.facts.split("；")), town=r.town,
                             place=r.place, basis=r.basis, sheet=r.sheet, row=r.row) for r in self.db.rows(q)]

    # --- reads: warnings ---
    def warning(self, warning_id: int) -> WarningRow | None:
        r = self.db.first(self._joined().where(_W.c.id == warning_id))
        return WarningRow.of(r) if r is not None else None

    def open_warnings(self, department: str) -> list[WarningRow]:
        q = select(_W).where(_W.c.department == department, _W.c.status == OPEN).order_by(_W.c.id)
        return [WarningRow.of(r) for r in self.db.rows(q)]

    def verified(self, department: str) -> list[WarningRow]:
        """The department's warnings the town has verified (属实… / 不属实), latest last."""
        q = (select(_W).where(_W.c.department == department, _W.c.status.not_in((OPEN, WITHDRAWN)))
             .order_by(_W.c.id))
        return [WarningRow.of(r) for r in self.db.rows(q)]

    def for_town(self, town: str, *, statuses: Iterable[str] = (OPEN,)) -> list[WarningRow]:
        """The town's warnings in these states, with their households, oldest deadline first."""
        q = (self._joined().where(_W.c.town == town, _W.c.status.in_(list(statuses)))
             .order_by(_W.c.deadline, _W.c.village, _W.c.department, _W.c.id))
        return [WarningRow.of(r) for r in self.db.rows(q)]

    def overdue(self, as_of: dt.date, *, town: str | None = None) -> list[WarningRow]:
        """Open warnings whose verification deadline has passed."""
        q = self._joined().where(_W.c.status == OPEN, _W.c.deadline < as_of)
        if town is not None:
            q = q.where(_W.c.town == town)
        return [WarningRow.of(r) for r in self.db.rows(q.order_by(_W.c.town, _W.c.village, _W.c.deadline, _W.c.id))]

    def all_warnings(self) -> list[WarningRow]:
        return [WarningRow.of(r) for r in self.db.rows(select(_W).order_by(_W.c.id))]

    @staticmethod
    def _joined():
        return select(_W, *_WITH_HOUSEHOLD).select_from(_W.join(_H, _H.c.id == _W.c.household_id))

    # --- reads: the ledger's side ---
    def ledger_people(self) -> "pd.DataFrame":
        """Every member with an ID, with the household a list's warning would be routed to: the columns
        departments.evaluate() takes (household = the household's id; on_file False for 已移出)."""
        import pandas as pd  # only the department channel needs it: the rest of the store loads without it

        q = (select(_M.c.person_id, _H.c.id, _H.c.town, _H.c.village, _H.c.data["household_type"].as_string(),
                    _H.c.state, _H.c.on_file, _M.c.data["dibao"].as_string(), _M.c.data["tekun"].as_string(),
                    _M.c.data["disability_type"].as_string(), _M.c.data["disability_grade"].as_string())
             .select_from(_M.join(_H, _H.c.id == _M.c.household_id))
             .where(_M.c.person_id.is_not(None)).order_by(_M.c.id))
        rows = [(*r[:6], bool(r[6]), r[7], r[8], _one_kind(r[9]), r[10]) for r in self.db.rows(q)]
        return pd.DataFrame(rows, columns=list(PEOPLE_COLUMNS))

    def share_rows(self, *, states: Iterable[str], since: dt.date | None = None) -> list[ShareRow]:
        """Households on file in these states, with members, measures and the day they last changed state
        (created or moved); with `since`, only those changed on or after it."""
        changed_q = (select(_E_HOUSEHOLD, func.max(t.events.c.effective_date))
                     .where(t.events.c.event.in_(("created", "transition")), t.events.c.household_id.is_not(None))
                     .group_by(_E_HOUSEHOLD))
        with self.db.snapshot() as conn:
            households = [HouseholdRow.of(r) for r in conn.execute(
                select(_H).where(_H.c.state.in_(list(states)), _H.c.on_file.is_(True))
                .order_by(_H.c.town, _H.c.village, _H.c.id))]
            wanted = {h.id for h in households}
            changed = {hid: _day(value) for hid, value in conn.execute(changed_q) if hid in wanted}
            if since is not None:
                households = [h for h in households if (changed.get(h.id) or h.updated_at.date()) >= since]
                wanted = {h.id for h in households}
            members: dict[int, list[dict[str, Any]]] = defaultdict(list)
            measures: dict[int, list[dict[str, Any]]] = defaultdict(list)
            for table, into in ((_M, members), (t.measures, measures)):
                q = select(table.c.household_id, table.c.data).order_by(table.c.household_id, table.c.id)
                if len(wanted) <= 500:
                    q = q.where(table.c.household_id.in_(list(wanted)))
                for hid, data in conn.execute(q):
                    if hid in wanted:
                        into[hid].append(revived(data))
        return [ShareRow(household=h, members=members[h.id], measures=measures[h.id], changed=changed.get(h.id))
                for h in households]

    def count_where(self, **equal: Any) -> int:
        q = select(func.count()).select_from(_W).where(and_(*(_W.c[k] == v for k, v in equal.items())))
        return int(self.db.scalar(q) or 0)


_E_HOUSEHOLD = t.events.c.household_id


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _one_kind(value: str | None) -> str | None:
    """残疾类别 as evaluate() compares it: one kind, or 多重 for several (stored as a JSON list)."""
    if not value or not value.startswith("["):
        return value or None
    kinds = json.loads(value)
    return kinds[0] if len(kinds) == 1 else ("多重" if kinds else None)
