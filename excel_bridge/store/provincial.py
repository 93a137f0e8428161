"""The provincial system step (DOMAIN.md "The provincial system"): which of the district's decisions (a household
identified, its risk eliminated) the town has not yet entered into the provincial system, and the town's answer.
No table of its own: a decision is its transition event, an entry an event `provincial` whose action is the
town's 录入结论 (the ledger's audit log is the one record of both). Commands run inside the caller's
`store.atomic()`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select

from . import tables as t
from .db import Database
from .records import day, required_day

ENTRY_EVENT = "provincial"  # events.event of the town's 录入结论 (its action: 已录入 / 暂未录入)
_E = t.events
_H = t.households


@dataclass(frozen=True)
class EntryDue:
    """A district decision the town has not marked entered into the provincial system: the household as it is
    now, and the decision (its event)."""

    household_id: int
    town: str
    village: str
    household_no: str | None
    provisional: bool
    head_id: str
    head_name: str | None
    state: str
    decision_id: int  # the decision's event id (the 省系统录入 row's token is for this decision)
    decided_into: str  # the state the decision moved the household into (帮扶中, 风险已消除)
    decided_on: dt.date
    category: str | None

    @classmethod
    def of(cls, r: Any) -> "EntryDue":
        m = r._mapping
        return cls(household_id=m["id"], town=m["town"], village=m["village"], household_no=m["household_no"],
                   provisional=bool(m["provisional"]), head_id=m["head_id"], head_name=m["head_name"],
                   state=m["state"], decision_id=m["decision_id"], decided_into=m["to_state"],
                   decided_on=required_day(m["effective_date"]), category=m["category"])


@dataclass(frozen=True)
class Decision:
    """One district decision to enter, with the household's id (the export of newly decided households)."""

    event_id: int
    household_id: int
    decided_into: str
    decided_on: dt.date | None
    at: dt.datetime


class Provincial:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _decisions(self, level: str, action: str, into: Sequence[str]) -> Any:
        return and_(_E.c.event == "transition", _E.c.level == level, _E.c.action == action,
                    _E.c.to_state.in_(list(into)))

    def due(self, *, level: str, action: str, into: Sequence[str], entered: str,
            town: str | None = None) -> list[EntryDue]:
        """Households on file whose latest decision by `level` (`action`, moving them into one of `into`) has no
        `entered` entry after it, in the ledger's order (town, village, id)."""
        latest = (select(func.max(_E.c.id).label("decision_id"), _E.c.household_id)
                  .where(self._decisions(level, action, into)).group_by(_E.c.household_id).subquery())
        done = (select(func.max(_E.c.id).label("entry_id"), _E.c.household_id)
                .where(_E.c.event == ENTRY_EVENT, _E.c.action == entered).group_by(_E.c.household_id).subquery())
        q = (select(_H.c.id, _H.c.town, _H.c.village, _H.c.household_no, _H.c.provisional, _H.c.head_id,
                    _H.c.head_name, _H.c.state, _H.c.category, latest.c.decision_id, _E.c.to_state,
                    _E.c.effective_date)
             .select_from(latest.join(_E, _E.c.id == latest.c.decision_id)
                          .join(_H, _H.c.id == latest.c.household_id)
                          .outerjoin(done, done.c.household_id == latest.c.household_id))
             .where(_H.c.on_file.is_(True), or_(done.c.entry_id.is_(None), done.c.entry_id < latest.c.decision_id)))
        if town is not None:
            q = q.where(_H.c.town == town)
        return [EntryDue.of(r) for r in self.db.rows(q.order_by(_H.c.town, _H.c.village, _H.c.id))]

    def decision(self, event_id: int) -> Decision | None:
        r = self.db.first(select(_E).where(_E.c.id == event_id))
        if r is None or r.household_id is None:
            return None
        return Decision(r.id, r.household_id, r.to_state or "", day(r.effective_date), r.at)

    def decided_since(self, since: dt.datetime | None, *, level: str, action: str, into: Sequence[str],
                      town: str | None = None) -> list[Decision]:
        """The decisions by `level` recorded after `since` (all of them with None), oldest first."""
        q = (select(_E).select_from(_E.join(_H, _H.c.id == _E.c.household_id))
             .where(self._decisions(level, action, into)))
        if since is not None:
            q = q.where(_E.c.at > since)
        if town is not None:
            q = q.where(_H.c.town == town)
        return [Decision(r.id, r.household_id, r.to_state or "", day(r.effective_date), r.at)
                for r in self.db.rows(q.order_by(_E.c.id))]

    def provisional(self, *, states: Sequence[str]) -> list[tuple[str, str, str | None, str | None, str]]:
        """(town, village, 户编号, 户主姓名, state) of the households on file in `states` still on a provisional
        number, in the ledger's order."""
        q = (select(_H.c.town, _H.c.village, _H.c.household_no, _H.c.head_name, _H.c.state)
             .where(_H.c.on_file.is_(True), _H.c.provisional.is_(True), _H.c.state.in_(list(states)))
             .order_by(_H.c.town, _H.c.village, _H.c.id))
        return [(r.town, r.village, r.household_no, r.head_name, r.state) for r in self.db.rows(q)]

    def number_holders(self, number: str) -> list[int]:
        """The households holding this 户编号."""
        return [r[0] for r in self.db.rows(select(_H.c.id).where(_H.c.household_no == number).order_by(_H.c.id))]

    def record_entry(self, *, household_id: int, action: str, level: str, at: dt.datetime, person: str | None,
                     day: dt.date, source_sha256: str, comment: str | None) -> None:
        """The town's 录入结论 on a decision (an event: the audit log is append-only)."""
        self.db.conn.execute(t.events.insert().values(
            at=at, household_id=household_id, event=ENTRY_EVENT, action=action, level=level, person=person,
            source_sha256=source_sha256, comment=comment, effective_date=day))
