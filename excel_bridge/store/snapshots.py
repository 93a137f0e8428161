"""The monthly 通报's numbers as first reported (report_snapshots): a month once reported stays as reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select

from . import tables as t
from .db import Database
from .records import day

_R = t.report_snapshots
REPORT, PASS = "report", "pass"


@dataclass(frozen=True)
class Snapshot:
    """A month's tables as kept: by whom (report / pass), counted for which day, and when."""

    month: str
    made_by: str
    as_of: dt.date
    made_at: dt.datetime
    tables: dict[str, dict[str, Any]]  # name → the table as JSON, in the order kept


class Snapshots:
    def __init__(self, db: Database) -> None:
        self.db = db

    def of(self, month: str) -> Snapshot | None:
        rows = self.db.rows(select(_R).where(_R.c.month == month))
        if not rows:
            return None
        first = rows[0]
        order = {name: i for i, name in enumerate(first.data.get("_order", []))} if isinstance(first.data, dict) else {}
        ordered = sorted(rows, key=lambda r: (order.get(r.name, len(order)), r.name))
        return Snapshot(month=month, made_by=first.made_by, as_of=day(first.as_of) or dt.date.min,
                        made_at=first.made_at, tables={r.name: r.data for r in ordered})

    def keep(self, month: str, tables: list[dict[str, Any]], *, made_by: str, as_of: dt.date,
             at: dt.datetime) -> None:
        """The month's tables (each with its "key"), replacing what was kept (inside the caller's atomic())."""
        conn = self.db.conn
        conn.execute(delete(_R).where(_R.c.month == month))
        order = [doc["key"] for doc in tables]
        conn.execute(insert(_R), [{"month": month, "name": doc["key"], "made_by": made_by, "as_of": as_of,
                                   "made_at": at, "data": {**doc, "_order": order}} for doc in tables])
