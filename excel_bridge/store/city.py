"""What a city reads across its districts' ledgers (issue 24): the people registered in households of two or more
districts. Where the ledgers are schemas of one PostgreSQL server, one query over all of them finds them; otherwise
each ledger streams its people ordered by ID number and the streams are merged (nothing held but one ID's rows).
Only reads: a role with SELECT on the ledgers' tables and USAGE on their schemas is enough."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import MetaData, Select, Table, and_, func, literal, select, union_all

from . import tables as t
from .db import Database
from .records import day


@dataclass(frozen=True)
class PersonPlace:
    """A person (by ID number) in one district's household on file: where, which household, its state and dates."""

    person_id: str
    name: str | None
    district: str
    town: str
    village: str
    household_no: str | None
    head_name: str | None
    state: str
    lead_date: dt.date | None
    identified_date: dt.date | None
    updated: dt.date | None


def _people(members: Table, households: Table, district: str) -> Select:
    """Every member of a household on file, with the household, labelled with its district."""
    return (select(members.c.person_id, members.c.name, literal(district).label("district"), households.c.town,
                   households.c.village, households.c.household_no, households.c.head_name, households.c.state,
                   households.c.lead_date, households.c.identified_date, households.c.updated_at)
            .select_from(members.join(households, and_(households.c.id == members.c.household_id,
                                                       households.c.on_file.is_(True))))
            .where(members.c.person_id.is_not(None), members.c.person_id != ""))


def _place(r: object) -> PersonPlace:
    return PersonPlace(person_id=r.person_id, name=r.name, district=r.district, town=r.town,  # type: ignore[attr-defined]
                       village=r.village, household_no=r.household_no, head_name=r.head_name,  # type: ignore[attr-defined]
                       state=r.state, lead_date=day(r.lead_date),  # type: ignore[attr-defined]
                       identified_date=day(r.identified_date), updated=day(r.updated_at))  # type: ignore[attr-defined]


def in_several_on_server(server: Database, schemas: Mapping[str, str]) -> list[PersonPlace]:
    """district → its schema on this server: every person whose ID is in households of two or more of them, one
    row per district household, by ID then district — one query in the database. The IDs in two or more ledgers
    are found from the members' ID index alone (each ledger's distinct IDs, grouped); only their rows are joined to
    their households, and those on file in two or more districts kept."""
    tabled = []
    for district, schema in schemas.items():
        meta = MetaData()
        tabled.append((district, t.members.to_metadata(meta, schema=schema),
                       t.households.to_metadata(meta, schema=schema)))
    if len(tabled) < 2:
        return []
    ids = union_all(*(select(m.c.person_id).where(m.c.person_id.is_not(None), m.c.person_id != "").distinct()
                      for _, m, _ in tabled)).subquery("ids")
    twice = select(ids.c.person_id).group_by(ids.c.person_id).having(func.count() > 1).cte("twice")
    q = union_all(*(_people(m, h, district).where(m.c.person_id.in_(select(twice.c.person_id)))
                    for district, m, h in tabled))
    rows = [_place(r) for r in server.rows(q)]
    districts: dict[str, set[str]] = {}
    for p in rows:  # an ID in two ledgers but on file in only one of them is not a person in two districts
        districts.setdefault(p.person_id, set()).add(p.district)
    return sorted((p for p in rows if len(districts[p.person_id]) > 1), key=_order)  # the server's collation is not ours


def _order(p: PersonPlace) -> tuple[str, str, str, str]:
    return p.person_id, p.district, p.town, p.village


def people_by_id(db: Database, district: str) -> Iterator[PersonPlace]:
    """One ledger's people on file, streamed in ID order (the order every ledger sorts them in: text compared byte
    by byte), for the merge across ledgers that are not on one server."""
    q = _people(t.members, t.households, district).order_by(t.members.c.person_id)
    for r in db.stream(q):
        yield _place(r)


def in_several_streamed(streams: Iterable[Iterator[PersonPlace]]) -> Iterator[PersonPlace]:
    """The same answer as in_several_on_server, from each ledger's stream in ID order: merged, one ID at a time."""
    merged = heapq.merge(*streams, key=lambda p: p.person_id)
    for _, group in itertools.groupby(merged, key=lambda p: p.person_id):
        rows = list(group)
        if len({p.district for p in rows}) > 1:
            yield from sorted(rows, key=_order)


def present_among(db: Database, ids: Iterable[str]) -> set[str]:
    """Which of these ID numbers are people in households on file of this ledger (IN lists of a few hundred)."""
    from .db import in_chunks

    found: set[str] = set()
    wanted = sorted(set(ids))
    m, h = t.members, t.households
    for chunk in in_chunks(wanted):
        q = (select(m.c.person_id).select_from(m.join(h, and_(h.c.id == m.c.household_id, h.c.on_file.is_(True))))
             .where(m.c.person_id.in_(chunk)).distinct())
        found |= {pid for (pid,) in db.rows(q)}
    return found
