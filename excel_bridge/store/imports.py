"""The national system's export taken into the ledger (excel-bridge import): the keys it matches households by,
the facts the national system owns (户编号, 识别/消除 dates, 认定类别), a household's values while the import still
owns them, and the differences the latest import found with the villages' accepted data (the master's 导入差异).
Commands run inside the caller's `store.atomic()`."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import insert, select, update

from . import tables as t
from .bulk import insert_rows
from .db import Database
from .households import new_household
from .records import day

_H = t.households
_S = t.submissions
# new households in one statement, their ids handed back keyed by 户编号: RETURNING in the rows' own order would
# make SQLite insert them one by one (SQLAlchemy's insertmanyvalues then has no order to rely on)
_CREATE = insert(_H).returning(_H.c.id, _H.c.household_no)
NATIONAL = "national"  # submissions.kind of an imported national export
DIFFERENCES_KEY = "national_import.differences"  # meta: the latest import's differences (JSON)


@dataclass(frozen=True)
class LedgerKey:
    """What the import matches a household by, and whose data it holds now."""

    id: int
    household_no: str | None
    provisional: bool
    head_id: str
    head_name: str | None
    town: str
    village: str
    state: str
    on_file: bool
    identified_date: dt.date | None
    eliminated_date: dt.date | None
    category: str | None
    source_kind: str | None  # the kind of the submission its values came from: national (the import's) or village


@dataclass(frozen=True)
class ImportDifference:
    """A value the national export gives otherwise than the village's accepted data (listed, never overwritten)."""

    town: str
    village: str
    household_no: str | None
    head_name: str | None
    item: str  # 户信息's header, or 家庭成员 <name>（masked ID）· header
    ledger: str
    national: str


@dataclass(frozen=True)
class ImportDifferences:
    file_name: str
    at: str  # when the import ran (YYYY-MM-DD HH:MM)
    rows: list[ImportDifference]


class Imports:
    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reads ---
    def keys(self) -> list[LedgerKey]:
        """Every household's keys (a district's: one query, no values decoded)."""
        q = (select(_H.c.id, _H.c.household_no, _H.c.provisional, _H.c.head_id, _H.c.head_name, _H.c.town,
                    _H.c.village, _H.c.state, _H.c.on_file, _H.c.identified_date, _H.c.eliminated_date,
                    _H.c.category, _S.c.kind)
             .select_from(_H.outerjoin(_S, _S.c.id == _H.c.submission_id)).order_by(_H.c.id))
        return [LedgerKey(id=r[0], household_no=r[1], provisional=bool(r[2]), head_id=r[3], head_name=r[4], town=r[5],
                          village=r[6], state=r[7], on_file=bool(r[8]), identified_date=day(r[9]),
                          eliminated_date=day(r[10]), category=r[11], source_kind=r[12]) for r in self.db.rows(q)]

    def people(self) -> dict[str, int]:
        """身份证号 → the household (on file) listing that person."""
        m = t.members
        q = (select(m.c.person_id, m.c.household_id).select_from(m.join(_H, _H.c.id == m.c.household_id))
             .where(_H.c.on_file.is_(True), m.c.person_id.is_not(None)).order_by(m.c.id))
        return {pid: hid for pid, hid in self.db.rows(q)}

    def differences(self) -> ImportDifferences | None:
        """The differences the latest import listed (None: no import has run)."""
        raw = self.db.scalar(select(t.meta.c.value).where(t.meta.c.key == DIFFERENCES_KEY))
        if raw is None:
            return None
        doc = json.loads(raw)
        return ImportDifferences(doc["file_name"], doc["at"], [ImportDifference(**r) for r in doc["rows"]])

    # --- commands ---
    def create(self, households: Sequence[dict[str, Any]]) -> dict[str, int]:
        """An import's new households (each a dict of Households.create()'s keywords plus category and
        eliminated_date; their 户编号 distinct and new to the ledger) in one statement: 户编号 → the new id."""
        if not households:
            return {}
        ids = {no: hid for hid, no in self.db.conn.execute(_CREATE, [new_household(**h) for h in households])}
        if len(ids) != len(households):
            raise ValueError("an import's new households must have distinct 户编号")
        return ids

    def add_children(self, children: Sequence[tuple[int, str, str, Sequence[dict], Sequence[dict]]]) -> None:
        """The members and measures of households just created (id, town, village, members, measures): one insert
        a table, nothing to delete first."""
        conn = self.db.conn
        members = [{"household_id": hid, "person_id": m.get("person_id"), "name": m.get("name"), "town": town,
                    "village": village, "sheet": m.get("_sheet"), "row": m.get("_row"), "data": m}
                   for hid, town, village, ms, _ in children for m in ms]
        measures = [{"household_id": hid, "data": m} for hid, _, _, _, ms in children for m in ms]
        insert_rows(conn, t.members, members)
        insert_rows(conn, t.measures, measures)

    def set_national(self, household_id: int, *, household_no: str | None, provisional: bool,
                     identified_date: dt.date | None, eliminated_date: dt.date | None, category: str | None,
                     at: dt.datetime) -> None:
        """The facts the national system owns, as a later export gives them."""
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(
            household_no=household_no, provisional=provisional, identified_date=identified_date,
            eliminated_date=eliminated_date, category=category, updated_at=at))

    def replace_values(self, household_id: int, *, head_id: str, head_name: str | None, data: dict[str, Any],
                       submission_id: int, at: dt.datetime) -> None:
        """A household's values from a later export while the import still owns them (no village file since)."""
        self.db.conn.execute(update(_H).where(_H.c.id == household_id).values(
            head_id=head_id, head_name=head_name, data=data, submission_id=submission_id, updated_at=at))

    def set_differences(self, differences: ImportDifferences) -> None:
        """The latest import's differences (the previous import's are replaced)."""
        conn = self.db.conn
        value = json.dumps({"file_name": differences.file_name, "at": differences.at,
                            "rows": [asdict(r) for r in differences.rows]}, ensure_ascii=False)
        conn.execute(t.meta.delete().where(t.meta.c.key == DIFFERENCES_KEY))
        conn.execute(t.meta.insert().values(key=DIFFERENCES_KEY, value=value))
