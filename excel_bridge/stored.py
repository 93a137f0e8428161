"""Rebuild validated records from what the ledger stores, so the rules can run on the ledger's view."""

from __future__ import annotations

from typing import Any

from .store import HouseholdRow, Store
from .validate import Household, Record


def household_from_ledger(store: Store, row: HouseholdRow) -> Household:
    """A validated Household from the ledger's rows (dates already decoded by the store)."""
    def record(kind: str, d: dict[str, Any]) -> Record:
        values = {k: v for k, v in d.items() if not k.startswith("_")}
        return Record(kind=kind, sheet=d.get("_sheet", ""), row=d.get("_row", 0), values=values,
                      invalid=set(d.get("_invalid", ())))

    values = {k: v for k, v in row.data.items() if not k.startswith("_")}
    hh = Household(kind="household", sheet="户信息", row=row.row or 0, values=values,
                   invalid=set(row.data.get("_invalid", ())),
                   members=[record("member", m) for m in store.households.members_of(row.id)],
                   measures=[record("measure", m) for m in store.households.measures_of(row.id)],
                   reviews=[record("review", r) for r in store.households.reviews_of(row.id)])
    hh.per_capita_income = row.data.get("_per_capita_income")
    hh.line = row.data.get("_line")
    return hh
