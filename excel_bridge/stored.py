"""Rebuild validated records from what the ledger stores, so the rules can run on the ledger's view."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .ledger import HouseholdRow
from .validate import Household, Record


def household_from_ledger(row: HouseholdRow, members: list[dict[str, Any]], measures: list[dict[str, Any]],
                          reviews: list[dict[str, Any]]) -> Household:
    """A validated Household from stored data (dates revived from their ISO text)."""
    def record(kind: str, d: dict[str, Any]) -> Record:
        values = {k: revive(k, v) for k, v in d.items() if not k.startswith("_")}
        return Record(kind=kind, sheet=d.get("_sheet", ""), row=d.get("_row", 0), values=values,
                      invalid=set(d.get("_invalid", ())))

    values = {k: revive(k, v) for k, v in row.data.items() if not k.startswith("_")}
    hh = Household(kind="household", sheet="户信息", row=row.row or 0, values=values,
                   invalid=set(row.data.get("_invalid", ())),
                   members=[record("member", m) for m in members], measures=[record("measure", m) for m in measures],
                   reviews=[record("review", r) for r in reviews])
    hh.per_capita_income = row.data.get("_per_capita_income")
    hh.line = row.data.get("_line")
    return hh


_DATE_KEYS = frozenset({"identified_date", "birth_date", "start_date", "review_date", "notice_start", "notice_end"})


def revive(key: str, value: Any) -> Any:
    if key in _DATE_KEYS and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    if key in ("health", "disability_type") and isinstance(value, list):
        return tuple(value)
    if key == "disability_type" and isinstance(value, str):  # stored before 残疾类别 took several kinds
        return (value,)
    return value


def revived(record: dict[str, Any]) -> dict[str, Any]:
    """A stored member/measure/review dict with its dates as dates again."""
    return {k: revive(k, v) for k, v in record.items()}
