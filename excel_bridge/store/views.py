"""Read models for the workbooks the system writes: each a typed answer to one question a sheet asks.

The master's two big sheets are streamed (50,000 households and 180,000 members never sit in memory at
once); everything else is small enough to return as a list.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, or_, select

from ..issues import Issue
from . import tables as t
from .db import Database, in_places
from .records import (
    Conflict,
    CountedHousehold,
    CountedMove,
    Event,
    HouseholdRow,
    LedgerHousehold,
    MeasureRow,
    MemberRow,
    SentUp,
    Submission,
    VillageSummary,
    day,
    revived,
)
from .submissions import Submissions

_H = t.households
_M = t.members
_S = t.submissions
_E = t.events
_X = t.measures


@dataclass(frozen=True)
class Tally:
    """What the master's 总览 counts, from one pass over the households."""

    by_town_state: Counter  # (town, state or None when removed) → households
    by_category: Counter  # category → households on file and not 未纳入
    by_risk: Counter  # risk type → households on file and not 未纳入
    total: int


class Views:
    def __init__(self, db: Database, submissions: Submissions) -> None:
        self.db = db
        self.submissions = submissions

    def master_households(self) -> Iterator[HouseholdRow]:
        q = select(_H).order_by(_H.c.town, _H.c.village, _H.c.id)
        return (HouseholdRow.of(r) for r in self.db.stream(q))

    def master_members(self) -> Iterator[MemberRow]:
        q = (select(_M.c.data, _M.c.town, _M.c.village, _H.c.household_no, _H.c.head_id, _H.c.on_file)
             .select_from(_M.join(_H, _H.c.id == _M.c.household_id))
             .order_by(_M.c.town, _M.c.village, _M.c.household_id, _M.c.id))
        return (MemberRow(town=r.town, village=r.village, household_no=r.household_no, head_id=r.head_id,
                          on_file=bool(r.on_file), data=r.data) for r in self.db.stream(q))

    def master_measures(self) -> Iterator[MeasureRow]:
        """Every measure with its household's place, key and state, in the master's order (one read, streamed)."""
        q = (select(_X.c.data, _H.c.town, _H.c.village, _H.c.household_no, _H.c.head_name, _H.c.head_id, _H.c.state,
                    _H.c.category, _H.c.on_file)
             .select_from(_X.join(_H, _H.c.id == _X.c.household_id))
             .order_by(_H.c.town, _H.c.village, _H.c.id, _X.c.id))
        return (MeasureRow(town=r.town, village=r.village, household_no=r.household_no, head_name=r.head_name,
                           head_id=r.head_id, state=r.state, category=r.category, on_file=bool(r.on_file),
                           data=revived(r.data)) for r in self.db.stream(q))

    def tally(self, *, not_counted: str) -> Tally:
        """Households by town × state (None = removed), and by category and risk type of those on file
        whose state is not `not_counted` (未纳入)."""
        by_town_state: Counter = Counter()
        by_category: Counter = Counter()
        by_risk: Counter = Counter()
        total = 0
        for town, state, on_file, assessment in self.db.stream(
                select(_H.c.town, _H.c.state, _H.c.on_file, _H.c.assessment)):
            total += 1
            by_town_state[(town, state if on_file else None)] += 1
            if on_file and state != not_counted:
                if assessment.get("category"):
                    by_category[assessment["category"]] += 1
                for risk in assessment.get("risk_types", []):
                    by_risk[risk] += 1
        return Tally(by_town_state, by_category, by_risk, total)

    def town_states(self) -> Counter:
        """(town, state or None when removed) → households: 总览's table, counted by the database (no household's
        values decoded)."""
        by_town_state: Counter = Counter()
        q = select(_H.c.town, _H.c.state, _H.c.on_file, func.count()).group_by(_H.c.town, _H.c.state, _H.c.on_file)
        for town, state, on_file, n in self.db.rows(q):
            by_town_state[(town, state if on_file else None)] += n
        return by_town_state

    def open_issues(self) -> list[tuple[Submission, list[Issue]]]:
        """The problems of each village's latest file (an unreadable or failed file stands for its town until a
        readable one arrives), with the file they were found in."""
        q = select(_S).where(_S.c.kind == "village", _S.c.status.in_(("applied", "unreadable", "failed")))
        latest: dict[tuple[str | None, str | None], Submission] = {}
        for sub in self.submissions.with_villages(self.db.rows(q.order_by(_S.c.id))):
            for village in sub.villages or (None,):
                latest[(sub.town, village)] = sub
        out = []
        seen: set[int] = set()  # a file of two villages is the latest of both: its problems are listed once
        for (_, _), sub in sorted(latest.items(), key=lambda kv: (kv[0][0] or "", kv[0][1] or "")):
            if sub.id in seen:
                continue
            seen.add(sub.id)
            issues = self.submissions.issues_of(sub.id)
            if issues:
                out.append((sub, issues))
        return out

    def village_summaries(self, town: str, registered: list[str], *, monitored: tuple[str, ...]) -> list[VillageSummary]:
        """Each village of a town: its latest file (a file nobody could read is listed under its own name)
        and its households on file / in the `monitored` states."""
        q = select(_S).where(_S.c.town == town, _S.c.kind == "village").order_by(_S.c.id)
        latest: dict[str, Submission | None] = {}
        for sub in self.submissions.with_villages(self.db.rows(q)):
            for village in sub.villages or (sub.file_name,):
                latest[village] = sub
        for village in registered:
            latest.setdefault(village, None)
        counts = self.db.rows(
            select(_H.c.village, func.count(), func.sum(case((_H.c.state.in_(monitored), 1), else_=0)))
            .where(_H.c.town == town, _H.c.on_file.is_(True)).group_by(_H.c.village))
        by_village = {v: (int(n), int(m or 0)) for v, n, m in counts}
        return [VillageSummary(village=v, latest=latest[v], on_file=by_village.get(v, (0, 0))[0],
                               monitored=by_village.get(v, (0, 0))[1]) for v in sorted(latest)]

    def person_conflicts(self, *, town: str | None = None, village: str | None = None,
                         places: Iterable[tuple[str, str]] | None = None) -> list[Conflict]:
        """Members whose ID is in the current rows of another village too (both sides reported); `places`: of
        these (town, village) only, in one statement (a town's villages as one IN list, found by members_place)."""
        o = _M.alias()
        h, oh = _H.alias(), _H.alias()
        q = (select(_M.c.person_id, _M.c.name, _M.c.town, _M.c.village, _M.c.sheet, _M.c.row,
                    o.c.town.label("other_town"), o.c.village.label("other_village"))
             .select_from(_M.join(h, and_(h.c.id == _M.c.household_id, h.c.on_file.is_(True)))
                          .join(o, and_(o.c.person_id == _M.c.person_id,
                                        (o.c.town != _M.c.town) | (o.c.village != _M.c.village)))
                          .join(oh, and_(oh.c.id == o.c.household_id, oh.c.on_file.is_(True))))
             .where(_M.c.person_id.is_not(None)))
        if town is not None:
            q = q.where(_M.c.town == town)
        if village is not None:
            q = q.where(_M.c.village == village)
        if places is not None:
            q = q.where(in_places(_M.c.town, _M.c.village, places))
        q = q.order_by(_M.c.town, _M.c.village, _M.c.row)
        return [Conflict(person_id=r.person_id, name=r.name, town=r.town, village=r.village, sheet=r.sheet,
                         row=r.row, other_town=r.other_town, other_village=r.other_village) for r in self.db.rows(q)]

    def town_decisions(self, town: str, *, town_level: str, district_level: str) -> list[SentUp]:
        """Every decision the town took (level `town_level`) on its households, latest decision day first, each
        with the district's next decision on that household (level `district_level`) before the town decided
        again."""
        q = (select(_E, _H.c.village, _H.c.household_no, _H.c.head_name, _H.c.state.label("current_state"),
                    _H.c.on_file)
             .select_from(_E.join(_H, _H.c.id == _E.c.household_id))
             .where(_H.c.town == town, _E.c.event == "transition", _E.c.level.in_((town_level, district_level)))
             .order_by(_E.c.household_id, _E.c.id))
        out: list[SentUp] = []
        open_: dict[int, int] = {}  # household id → index (in out) of its town decision the district has not decided
        for r in self.db.rows(q):
            event = Event.of(r)
            hid = r.household_id
            if r.level == town_level:
                open_[hid] = len(out)
                out.append(SentUp(household_id=hid, village=r.village, household_no=r.household_no,
                                  head_name=r.head_name, state=r.current_state, on_file=bool(r.on_file),
                                  town_decision=event, district_decision=None))
            elif hid in open_:
                i = open_.pop(hid)
                out[i] = dataclasses.replace(out[i], district_decision=event)
        out.sort(key=lambda s: (s.town_decision.effective_date or s.town_decision.at.date(), s.town_decision.id),
                 reverse=True)
        return out

    # --- the district's numbers (统计, 通报, 考核): one read per table, never a query per household ---
    def counted_households(self, only: CountingOnly | None = None) -> Iterator[CountedHousehold]:
        """Every household, streamed, with what the numbers need of it (three values of its JSON, extracted by the
        database: the whole record is never decoded); `only`: just the households that can count (the city's
        roll-up, which needs no list of the others)."""
        q = select(_H.c.id, _H.c.town, _H.c.village, _H.c.household_no, _H.c.head_name, _H.c.state, _H.c.on_file,
                   _H.c.category, _H.c.lead_date, _H.c.identified_date,
                   _H.c.data["lead_source"].as_string().label("lead_source"),
                   _H.c.data["contact_person"].as_string().label("contact_person"),
                   _H.c.assessment["risk_types"].label("risk_types")).order_by(_H.c.id)
        if only is not None:
            q = q.where(_counting(only))
        for r in self.db.stream(q):
            yield CountedHousehold(
                id=r.id, town=r.town, village=r.village, household_no=r.household_no, head_name=r.head_name,
                state=r.state, on_file=bool(r.on_file), category=r.category, lead_source=r.lead_source,
                risk_types=tuple(r.risk_types or ()), contact_person=r.contact_person,
                lead_date=day(r.lead_date), identified_date=day(r.identified_date))

    def member_counts(self, only: CountingOnly | None = None) -> dict[int, int]:
        """household id → its members as last accepted (人); `only`: of the households that can count."""
        q = select(_M.c.household_id, func.count()).group_by(_M.c.household_id)
        if only is not None:
            q = q.where(_M.c.household_id.in_(select(_H.c.id).where(_counting(only))))
        return {int(hid): int(n) for hid, n in self.db.rows(q)}

    def households_with_measures(self) -> set[int]:
        """The households with at least one 帮扶措施 on file."""
        return {int(hid) for (hid,) in self.db.rows(select(t.measures.c.household_id).distinct())}

    def counted_moves(self, only: CountingOnly | None = None) -> list[CountedMove]:
        """Every creation, transition and household recorded by an import (the month-by-month series reads them
        once); `only`: just those into the states it counts."""
        q = (select(_E.c.household_id, _E.c.event, _E.c.from_state, _E.c.to_state, _E.c.effective_date)
             .where(_E.c.event.in_(_MOVES), _E.c.household_id.is_not(None),
                    _E.c.to_state.is_not(None)).order_by(_E.c.id))
        if only is not None:
            q = q.where(_E.c.to_state.in_(only.moved_to))
        return [CountedMove(household_id=r.household_id, event=r.event, from_state=r.from_state, to_state=r.to_state,
                            effective_date=day(r.effective_date)) for r in self.db.rows(q)]

    def places_on_file(self) -> set[tuple[str, str]]:
        """(town, village) of every household on file, grouped in the database (考核's villages, where the households
        themselves are not all read)."""
        q = select(_H.c.town, _H.c.village).where(_H.c.on_file.is_(True)).group_by(_H.c.town, _H.c.village)
        return {(town, village) for town, village in self.db.rows(q)}

    def village_files_since(self, since: dt.date | dt.datetime, *,
                            after_submission: int | None = None) -> set[tuple[str, str]]:
        """(town, village) of every village with a file applied on or after `since` (a day, or a moment), or, given
        `after_submission`, in a submission recorded after that one (exact where a moment to the second is not)."""
        sv = t.submission_villages
        moment = since if isinstance(since, dt.datetime) else dt.datetime.combine(since, dt.time())
        later = _S.c.id > after_submission if after_submission is not None else _S.c.received_at >= moment
        q = (select(sv.c.town, sv.c.village).select_from(sv.join(_S, _S.c.id == sv.c.submission_id))
             .where(_S.c.kind == "village", _S.c.status == "applied", later).distinct())
        return {(town, village) for town, village in self.db.rows(q)}

    def last_submission_id(self) -> int:
        """The id of the latest file recorded (0: none yet)."""
        return self.db.scalar(select(func.coalesce(func.max(_S.c.id), 0))) or 0

    def towns_on_file(self) -> set[str]:
        """The towns with households on file."""
        return {town for (town,) in self.db.rows(select(_H.c.town).where(_H.c.on_file.is_(True)).distinct())}

    def village_ledgers(self, places: set[tuple[str, str]] | None = None, *, left_out: tuple[str, ...] = (),
                        town: str | None = None) -> dict[tuple[str, str], list[LedgerHousehold]]:
        """(town, village) → its households on file as last accepted, in the ledger's order, each with its members,
        measures and reviews (the pre-filled village workbooks): one read per table for every village of the
        district, or of `town` (a caller writing a whole district goes town by town: one town's records in
        memory at a time); `places` keeps only those; households in the `left_out` states (已移出) left out."""
        q = (select(_H.c.id, _H.c.town, _H.c.village, _H.c.household_no, _H.c.head_id, _H.c.head_name, _H.c.state,
                    _H.c.category, _H.c.identified_date, _H.c.data, _H.c.assessment)
             .where(_H.c.on_file.is_(True)).order_by(_H.c.town, _H.c.village, _H.c.id))
        if left_out:
            q = q.where(_H.c.state.not_in(left_out))
        if town is not None:
            q = q.where(_H.c.town == town)
        out: dict[tuple[str, str], list[LedgerHousehold]] = {}
        by_id: dict[int, LedgerHousehold] = {}
        for r in self.db.stream(q):
            if places is not None and (r.town, r.village) not in places:
                continue
            hh = LedgerHousehold(id=r.id, town=r.town, village=r.village, household_no=r.household_no,
                                 head_id=r.head_id, head_name=r.head_name, state=r.state, category=r.category,
                                 identified_date=day(r.identified_date), data=revived(r.data),
                                 assessment=r.assessment or {})
            out.setdefault((r.town, r.village), []).append(hh)
            by_id[r.id] = hh
        for table, attr in ((_M, "members"), (t.measures, "measures"), (t.reviews, "reviews")):
            child = select(table.c.household_id, table.c.data).order_by(table.c.household_id, table.c.id)
            if town is not None:
                child = child.select_from(table.join(_H, _H.c.id == table.c.household_id)).where(_H.c.town == town)
            for hid, data in self.db.stream(child):
                owner = by_id.get(hid)
                if owner is not None:
                    getattr(owner, attr).append(revived(data))
        return out

    def resurveyed(self, year: int, *, left_out: tuple[str, ...] = (),
                   town: str | None = None) -> dict[tuple[str, str], tuple[int, int]]:
        """(town, village) → (households on file, those whose latest accepted row gives `year`'s income): a yearly
        round's progress (of one town, or all), in one read (two values of each household's JSON, extracted by the
        database)."""
        q = select(_H.c.town, _H.c.village, _H.c.data["income_year"].as_string().label("income_year"),
                   _H.c.data["_per_capita_income"].as_string().label("income")).where(_H.c.on_file.is_(True))
        if left_out:
            q = q.where(_H.c.state.not_in(left_out))
        if town is not None:
            q = q.where(_H.c.town == town)
        out: dict[tuple[str, str], list[int]] = {}
        wanted = str(year)
        for r in self.db.stream(q):
            counts = out.setdefault((r.town, r.village), [0, 0])
            counts[0] += 1
            if r.income is not None and str(r.income_year) == wanted:
                counts[1] += 1
        return {place: (n, done) for place, (n, done) in out.items()}

    def not_resurveyed(self, year: int, *, states: tuple[str, ...]) -> list[tuple[str, str, str | None, str | None]]:
        """(town, village, 户编号, 户主姓名) of each household on file in `states` whose latest accepted row does not
        give `year`'s income (a yearly round's households still to do), in the ledger's order."""
        q = (select(_H.c.town, _H.c.village, _H.c.household_no, _H.c.head_name,
                    _H.c.data["income_year"].as_string().label("income_year"),
                    _H.c.data["_per_capita_income"].as_string().label("income"))
             .where(_H.c.on_file.is_(True), _H.c.state.in_(states)).order_by(_H.c.town, _H.c.village, _H.c.id))
        wanted = str(year)
        return [(r.town, r.village, r.household_no, r.head_name) for r in self.db.stream(q)
                if r.income is None or str(r.income_year) != wanted]


_MOVES = ("created", "transition", "imported")


@dataclass(frozen=True)
class CountingOnly:
    """Which households can count in the district's numbers and 考核 (statistics.COUNTING_ONLY says which): those
    not in one of the `idle` states, or with a lead or identification date, or with a move into one of `moved_to`.
    Any other adds nothing to any count: reading it only costs time (three in four households of a district)."""

    idle: tuple[str, ...]
    moved_to: tuple[str, ...]


def _counting(only: CountingOnly) -> ColumnElement[bool]:
    moved = select(_E.c.household_id).where(_E.c.event.in_(_MOVES), _E.c.household_id.is_not(None),
                                            _E.c.to_state.in_(only.moved_to))
    return or_(_H.c.state.not_in(only.idle), _H.c.lead_date.is_not(None), _H.c.identified_date.is_not(None),
               _H.c.id.in_(moved))
