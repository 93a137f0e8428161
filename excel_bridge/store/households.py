"""Households and their members, measures and reviews: the commands that change them and the reads the
domain needs. Commands run inside the caller's `store.atomic()`."""

from __future__ import annotations

import builtins  # the method list() shadows the type in the annotations after it
import datetime as dt
import functools
from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, exists, func, insert, or_, select, text, update

from . import tables as t
from .bulk import JsonText, insert_rows
from .db import IN_LIST, Database, in_chunks
from .records import HouseholdRow, revived
from .tables import dumps, loads

_H = t.households
# the statements a village file repeats for each of its households, built once (SQLAlchemy then only binds)
_GET = select(_H).where(_H.c.id == bindparam("hid"))
_UPDATE_FROM_FILE = update(_H).where(_H.c.id == bindparam("hid")).values(
    {c: bindparam(c) for c in ("household_no", "provisional", "head_id", "head_name", "on_file", "submission_id",
                               "row", "data", "assessment", "errors", "warnings", "updated_at", "identified_date")})
# values bound per call (.values(**row) would be compiled and cache-keyed each time)
_CREATE = insert(_H).returning(_H.c.id)
# PostgreSQL: ids for n new households from the table's own sequence, taken before they are inserted
_RESERVE_IDS = text("SELECT nextval(pg_get_serial_sequence('households', 'id')) FROM generate_series(1, :n)")
_INSERT_HOUSEHOLDS = insert(_H)
_MAX_ID = select(func.max(_H.c.id))
_COUNT = select(func.count()).select_from(_H)
_FROM_ID = select(_H).where(_H.c.id >= bindparam("first")).order_by(_H.c.id)
_CHILD_TABLES = (t.members, t.measures, t.reviews)
_MOVE_KEYS = frozenset({"household_id", "state", "version", "at"})
_MOVE_FIELDS = frozenset({"lead_date", "identified_date", "eliminated_date", "opinion", "on_file", "category"})


@functools.cache
def _set_state(fields: tuple[str, ...]) -> Any:
    """The UPDATE of a workflow move that sets these fields besides state, version and updated_at (built once)."""
    return update(_H).where(_H.c.id == bindparam("hid")).values(
        {c: bindparam(c) for c in ("state", "version", "updated_at", *fields)})


_ANALYZED = (_H, *_CHILD_TABLES, t.events)


def _same_rows(stored: Sequence[tuple[Any, ...]], wanted: Sequence[tuple[Any, ...]]) -> bool:
    """Rows of one household in one table, each (columns…, the document's JSON text), the same in the same order."""
    if stored == wanted:
        return True
    return len(stored) == len(wanted) and all(
        a[:-1] == b[:-1] and (a[-1] == b[-1] or loads(a[-1]) == loads(b[-1]))
        for a, b in zip(stored, wanted, strict=True))


def new_household(*, head_id: str, head_name: str | None, town: str, village: str, state: str,
                  household_no: str | None, provisional: bool, lead_date: dt.date | None,
                  identified_date: dt.date | None, submission_id: int | None, row: int | None,
                  data: dict[str, Any], assessment: dict[str, Any], errors: int, warnings: int, at: dt.datetime,
                  category: str | None = None, eliminated_date: dt.date | None = None) -> dict[str, Any]:
    """The columns of a new household (version 1, on file, no opinion yet; `category`: 认定类别 of an import, and
    `eliminated_date` of a household the national system already shows 风险已消除)."""
    return {"household_no": household_no, "provisional": provisional, "head_id": head_id, "head_name": head_name,
            "town": town, "village": village, "state": state, "version": 1, "opinion": "", "on_file": True,
            "lead_date": lead_date, "identified_date": identified_date, "category": category,
            "eliminated_date": eliminated_date,
            "submission_id": submission_id, "row": row,
            "data": data, "assessment": assessment, "errors": errors, "warnings": warnings, "updated_at": at}


def _row_as_stored(household_id: int, values: dict[str, Any], data: str, assessment: str) -> HouseholdRow:
    """The HouseholdRow a read-back of a household just inserted with these values gives (its JSON columns as the
    text stored), without reading it back."""
    return HouseholdRow.of_mapping({**values, "id": household_id, "data": loads(data),
                                    "assessment": loads(assessment)})


class Households:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- commands ---
    def create(self, *, head_id: str, head_name: str | None, town: str, village: str, state: str,
               household_no: str | None, provisional: bool, lead_date: dt.date | None,
               identified_date: dt.date | None, submission_id: int | None, row: int | None,
               data: dict[str, Any], assessment: dict[str, Any], errors: int, warnings: int,
               at: dt.datetime) -> int:
        return int(self.db.conn.execute(_CREATE, new_household(
            household_no=household_no, provisional=provisional, head_id=head_id, head_name=head_name, town=town,
            village=village, state=state, lead_date=lead_date, identified_date=identified_date,
            submission_id=submission_id, row=row, data=data, assessment=assessment, errors=errors,
            warnings=warnings, at=at)).scalar_one())

    def create_rows(self, households: Sequence[dict[str, Any]]) -> list[HouseholdRow]:
        """Many create()s (each a dict of its keywords) in one statement: a village file's new households.
        The rows come back as stored, in the order given."""
        if not households:
            return []
        rows = [new_household(**h) for h in households]
        conn = self.db.conn
        self.db.grown += len(rows)
        if self.db.is_sqlite:
            # RETURNING in the order given is one INSERT per row on SQLite (SQLAlchemy's fallback). The pass holds
            # the write lock (BEGIN IMMEDIATE), so the ids after the highest are ours, as SQLite would pick them:
            # one executemany, then the rows read back in one SELECT.
            first = (conn.execute(_MAX_ID).scalar() or 0) + 1
            conn.execute(_INSERT_HOUSEHOLDS, [{**r, "id": first + i} for i, r in enumerate(rows)])
            return [HouseholdRow.of(r) for r in conn.execute(_FROM_ID, {"first": first})]
        # PostgreSQL: the ids taken from the sequence first, in one statement, then the rows copied in with them, and
        # the rows handed back built from what was sent (asking the server to return every column made it send the
        # JSON values back for the client to decode: most of the statement's time). Every column is given, so no
        # default of the server's fills one in; the JSON values are decoded from the very text stored.
        ids = sorted(conn.execute(_RESERVE_IDS, {"n": len(rows)}).scalars())
        texts = [(dumps(r["data"]), dumps(r["assessment"])) for r in rows]
        insert_rows(conn, _H, [{**r, "id": hid, "data": JsonText(data), "assessment": JsonText(assessment)}
                               for hid, r, (data, assessment) in zip(ids, rows, texts, strict=True)])
        return [_row_as_stored(hid, r, data, assessment) for hid, r, (data, assessment) in zip(ids, rows, texts,
                                                                                                 strict=True)]

    def update_from_file(self, household_id: int, *, household_no: str | None, provisional: bool, head_id: str,
                         head_name: str | None, submission_id: int, row: int | None, data: dict[str, Any],
                         assessment: dict[str, Any], errors: int, warnings: int,
                         identified_date: dt.date | None, at: dt.datetime) -> None:
        """A village file's newer rows for a household it already had (back on file if it was removed)."""
        self.update_many_from_file([dict(
            household_id=household_id, household_no=household_no, provisional=provisional, head_id=head_id,
            head_name=head_name, submission_id=submission_id, row=row, data=data, assessment=assessment,
            errors=errors, warnings=warnings, identified_date=identified_date, at=at)])

    def update_many_from_file(self, households: Sequence[dict[str, Any]]) -> None:
        """Many update_from_file()s (each a dict of its keywords and `household_id`) in one executemany: a village
        file sent again updates all of its households in one round trip, not one each."""
        if not households:
            return
        self.db.conn.execute(_UPDATE_FROM_FILE, [{
            "hid": h["household_id"], "household_no": h["household_no"], "provisional": h["provisional"],
            "head_id": h["head_id"], "head_name": h["head_name"], "on_file": True, "submission_id": h["submission_id"],
            "row": h["row"], "data": h["data"], "assessment": h["assessment"], "errors": h["errors"],
            "warnings": h["warnings"], "updated_at": h["at"], "identified_date": h["identified_date"]}
            for h in households])

    def mark_removed(self, household_id: int, *, at: dt.datetime) -> None:
        """No longer in its village's current file: kept, with its history, never deleted."""
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(on_file=False, updated_at=at))

    def set_state(self, household_id: int, *, state: str, version: int, at: dt.datetime,
                  **fields: Any) -> None:
        """A workflow move: the new state and version, and the dates/opinion the move sets
        (lead_date, identified_date, eliminated_date, opinion; on_file for 已移出; category at the district's 同意)."""
        self.set_states([{"household_id": household_id, "state": state, "version": version, "at": at, **fields}])

    def set_states(self, moves: Sequence[dict[str, Any]]) -> None:
        """Many set_state()s (each a dict of its keywords and `household_id`; a household once), one executemany per
        set of fields the moves set: the households a file moves on, in one statement instead of one each."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for move in moves:
            fields = tuple(sorted(set(move) - _MOVE_KEYS))
            unknown = set(fields) - _MOVE_FIELDS
            if unknown:
                raise TypeError(f"set_state() cannot set {sorted(unknown)}")
            groups.setdefault(fields, []).append(move)
        if sum(len(g) for g in groups.values()) != len({m["household_id"] for m in moves}):
            raise ValueError("set_states(): a household moves once per call")
        for fields, group in groups.items():
            self.db.conn.execute(_set_state(fields), [
                {"hid": m["household_id"], "state": m["state"], "version": m["version"], "updated_at": m["at"],
                 **{f: m[f] for f in fields}} for m in group])

    def set_values(self, household_id: int, values: dict[str, Any], *, at: dt.datetime) -> None:
        """Some of a household's values set by the system itself (the channel and risk type of a lead the town
        made from a department warning); the village's next file replaces them like all the others."""
        conn = self.db.conn
        data = conn.execute(select(_H.c.data).where(_H.c.id == household_id)).scalar_one()
        conn.execute(update(_H).where(_H.c.id == household_id).values(data={**data, **values}, updated_at=at))

    def set_lead_date(self, household_id: int, day: dt.date) -> None:
        """The 受理日期 of a lead still on its way (the village corrected it): the 15-day clock runs from it."""
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(lead_date=day))

    def assign_number(self, household_id: int, number: str, *, provisional: bool) -> None:
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(
            household_no=number, provisional=provisional))

    def replace_children(self, household_id: int, *, town: str, village: str, members: Sequence[dict[str, Any]],
                         measures: Sequence[dict[str, Any]], reviews: Sequence[dict[str, Any]]) -> None:
        """The household's members, measures and reviews as its latest file lists them."""
        self.replace_children_of(town=town, village=village, children=[(household_id, members, measures, reviews)])

    def replace_children_of(self, *, town: str, village: str,
                            children: Sequence[tuple[int, Sequence[dict], Sequence[dict], Sequence[dict]]],
                            created: Collection[int] = ()) -> None:
        """Many households' members, measures and reviews at once (a village file: a read, a delete and a bulk
        insert a table instead of six statements a household). Only what differs from the ledger is written: a
        household whose rows in a table are what the ledger holds, in the same order, keeps them (a clerk's file
        sent again with one income changed rewrites that household's rows, not the village's 900 members); the
        others' rows of that table are deleted and inserted again in the file's order. `created`: those of the
        households just created in this transaction, which have nothing to compare or delete (a village's first
        file: no read and no delete at all)."""
        conn = self.db.conn
        fresh = set(created)
        ids = sorted({hid for hid, *_ in children if hid not in fresh})
        members = [{"household_id": hid, "person_id": m.get("person_id"), "name": m.get("name"), "town": town,
                    "village": village, "sheet": m.get("_sheet"), "row": m.get("_row"), "data": m}
                   for hid, ms, _, _ in children for m in ms]
        measures = [{"household_id": hid, "data": m} for hid, _, ms, _ in children for m in ms]
        reviews = [{"household_id": hid, "data": r} for hid, _, _, rs in children for r in rs]
        for table, rows in ((t.members, members), (t.measures, measures), (t.reviews, reviews)):
            stale = self._differing(table, ids, rows)
            for chunk in in_chunks(stale):
                conn.execute(table.delete().where(table.c.household_id.in_(chunk)))
            written = set(stale) | fresh
            insert_rows(conn, table, [r for r in rows if r["household_id"] in written])

    def _differing(self, table: Any, ids: Sequence[int], rows: Sequence[dict[str, Any]]) -> builtins.list[int]:
        """Of the households `ids` (sorted), those whose rows of `table` in the ledger differ from `rows` (the new
        rows of a table's columns, in order): other values, more or fewer rows, another order. A document is
        compared as text first (SQLite keeps the very text written); text that differs is compared decoded
        (PostgreSQL's JSONB gives back its own spelling; a date in a new row is its ISO text in the ledger)."""
        if not ids:
            return []
        names = [c for c in rows[0] if c not in ("household_id", "data")] if rows else []
        stored: dict[int, builtins.list[tuple[Any, ...]]] = {}
        for chunk in in_chunks(ids):
            q = (select(table.c.household_id, *(table.c[c] for c in names), cast(table.c.data, Text))
                 .where(table.c.household_id.in_(chunk)).order_by(table.c.household_id, table.c.id))
            for hid, *values in self.db.rows(q):
                stored.setdefault(hid, []).append(tuple(values))
        wanted: dict[int, builtins.list[tuple[Any, ...]]] = {hid: [] for hid in ids}
        for r in rows:  # (the rows of households just created are not compared: nothing encoded for them)
            if (mine := wanted.get(r["household_id"])) is not None:
                mine.append((*(r[c] for c in names), dumps(r["data"])))
        return [hid for hid in ids if not _same_rows(stored.get(hid, []), wanted[hid])]

    # --- reads ---
    def get(self, household_id: int) -> HouseholdRow | None:
        r = self.db.first(_GET, {"hid": household_id})
        return HouseholdRow.of(r) if r is not None else None

    def list(self, *, town: str | None = None, village: str | None = None, states: Iterable[str] | None = None,
             on_file: bool | None = None, ids: Iterable[int] | None = None) -> list[HouseholdRow]:
        """Households in the ledger's order (town, village, id), of a town, a village, in some states, on file
        or not, and among `ids` (a few households of a village: not all of them decoded for nothing)."""
        q = select(_H)
        if states is not None:
            states = list(states)  # asked again for each chunk of ids below
        if ids is not None:
            wanted = sorted(set(ids))
            if len(wanted) > IN_LIST:  # one IN list stays short on every backend
                rows = [r for chunk in in_chunks(wanted) for r in self.list(town=town, village=village,
                                                                             states=states, on_file=on_file, ids=chunk)]
                return sorted(rows, key=lambda r: (r.town, r.village, r.id))
            q = q.where(_H.c.id.in_(wanted))
        if town is not None:
            q = q.where(_H.c.town == town)
        if village is not None:
            q = q.where(_H.c.village == village)
        if states is not None:
            q = q.where(_H.c.state.in_(list(states)))
        if on_file is not None:
            q = q.where(_H.c.on_file == on_file)
        return [HouseholdRow.of(r) for r in self.db.rows(q.order_by(_H.c.town, _H.c.village, _H.c.id))]

    def each(self, *, town: str | None = None) -> Iterator[HouseholdRow]:
        """The households (of a town), in the order of list(), one at a time: a district's are never all held."""
        q = select(_H)
        if town is not None:
            q = q.where(_H.c.town == town)
        for r in self.db.stream(q.order_by(_H.c.town, _H.c.village, _H.c.id)):
            yield HouseholdRow.of(r)

    def find(self, key: str) -> builtins.list[HouseholdRow]:
        """By 户编号 or 户主身份证号."""
        q = select(_H).where(or_(_H.c.household_no == key, _H.c.head_id == key.upper())).order_by(_H.c.id)
        return [HouseholdRow.of(r) for r in self.db.rows(q)]

    def with_member(self, person_id: str) -> builtins.list[HouseholdRow]:
        """The households one of whose members (the head or any other) has this 身份证号."""
        m = t.members
        q = (select(_H).select_from(_H.join(m, m.c.household_id == _H.c.id))
             .where(m.c.person_id == person_id.upper()).order_by(_H.c.id))
        seen: dict[int, HouseholdRow] = {}
        for r in self.db.rows(q):
            seen.setdefault(r.id, HouseholdRow.of(r))
        return list(seen.values())

    def member_name(self, household_id: int, person_id: str) -> str | None:
        """The name the household's file gives the member with this 身份证号 (None: no such member)."""
        q = (select(t.members.c.name).where(t.members.c.household_id == household_id,
                                            t.members.c.person_id == person_id.upper()).limit(1))
        r = self.db.first(q)
        return r[0] if r is not None else None

    def from_submission(self, submission_id: int, *, on_file: bool = True) -> builtins.list[HouseholdRow]:
        q = select(_H).where(_H.c.submission_id == submission_id, _H.c.on_file == on_file).order_by(_H.c.id)
        return [HouseholdRow.of(r) for r in self.db.rows(q)]

    def members_of(self, household_id: int) -> builtins.list[dict[str, Any]]:
        return self._children(t.members, household_id)

    def measures_of(self, household_id: int) -> builtins.list[dict[str, Any]]:
        return self._children(t.measures, household_id)

    def reviews_of(self, household_id: int) -> builtins.list[dict[str, Any]]:
        return self._children(t.reviews, household_id)

    def children(self, household_ids: Iterable[int]) -> dict[int, tuple[builtins.list, builtins.list, builtins.list]]:
        """Members, measures and reviews of many households in three queries (the rules run on a town's or the
        district's 帮扶中 households at once)."""
        ids = sorted(set(household_ids))
        out: dict[int, tuple[list, list, list]] = {i: ([], [], []) for i in ids}
        with self.db.snapshot():  # one connection and transaction for the three (PostgreSQL: not three of each)
            for n, table in enumerate((t.members, t.measures, t.reviews)):
                for chunk in in_chunks(ids):
                    q = (select(table.c.household_id, table.c.data).where(table.c.household_id.in_(chunk))
                         .order_by(table.c.household_id, table.c.id))
                    for hid, data in self.db.rows(q):
                        out[hid][n].append(revived(data))
        return out

    def reviews_of_many(self, household_ids: Iterable[int]) -> dict[int, builtins.list[dict[str, Any]]]:
        """reviews_of() of many households in one query (a chunk of ids each): a decision sheet's rows."""
        ids = sorted(set(household_ids))
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for chunk in in_chunks(ids):
            q = (select(t.reviews.c.household_id, t.reviews.c.data).where(t.reviews.c.household_id.in_(chunk))
                 .order_by(t.reviews.c.household_id, t.reviews.c.id))
            for hid, data in self.db.rows(q):
                out[hid].append(revived(data))
        return out

    def _children(self, table: Any, household_id: int) -> builtins.list[dict[str, Any]]:
        q = select(table.c.data).where(table.c.household_id == household_id).order_by(table.c.id)
        return [revived(r[0]) for r in self.db.rows(q)]

    def people_in(self, town: str, village: str) -> dict[int, dict[str, str | None]]:
        """Household id → its members as last accepted (身份证号 → 姓名), for one village in one query: what a
        village's new file is compared with to see who left and who joined a household."""
        m = t.members
        q = (select(m.c.household_id, m.c.person_id, m.c.name)
             .where(m.c.town == town, m.c.village == village, m.c.person_id.is_not(None)).order_by(m.c.id))
        out: dict[int, dict[str, str | None]] = {}
        for hid, pid, name in self.db.rows(q):
            out.setdefault(hid, {})[pid] = name
        return out

    def reviews_in(self, town: str, village: str) -> dict[int, builtins.list[dict[str, Any]]]:
        """Household id → its reviews, for one village in one query (its 公示名单)."""
        q = (select(t.reviews.c.household_id, t.reviews.c.data)
             .select_from(t.reviews.join(_H, _H.c.id == t.reviews.c.household_id))
             .where(_H.c.town == town, _H.c.village == village).order_by(t.reviews.c.id))
        out: dict[int, list[dict[str, Any]]] = {}
        for hid, data in self.db.rows(q):
            out.setdefault(hid, []).append(revived(data))
        return out

    def with_reviews(self, states: Iterable[str]) -> builtins.list[tuple[HouseholdRow, str | None]]:
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

    def refresh_statistics(self) -> None:
        """After many households were added (a tenth or more of the ledger's since the last look: a district's
        first files, a cold pass), PostgreSQL's statistics of the households and what hangs on them are refreshed
        at once: its autovacuum does so only a while later, and the district's workbooks, read right after, would be
        read with plans made for empty tables (the members' self-join of person_conflicts: a second instead of
        milliseconds at 20 villages). Fewer: left to the autovacuum. SQLite: nothing (it plans without them)."""
        added, self.db.grown = self.db.grown, 0
        if not added or self.db.is_sqlite:
            return
        with self.db.atomic():
            if added * 10 >= int(self.db.scalar(_COUNT) or 0):
                self.db.refresh_statistics(_ANALYZED)

    def count_where(self, **equal: Any) -> int:
        q = select(func.count()).select_from(_H).where(and_(*(_H.c[k] == v for k, v in equal.items())))
        return int(self.db.scalar(q) or 0)
