"""Rebuild validated records from what the ledger stores, so the rules can run on the ledger's view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .validate import Household, Record

if TYPE_CHECKING:
    from .store import HouseholdRow, Store


def household_from_ledger(store: Store, row: HouseholdRow,
                          children: tuple[list, list, list] | None = None) -> Household:
    """A validated Household from the ledger's rows (dates already decoded by the store); `children`
    (members, measures, reviews) when they were loaded for many households at once."""
    members, measures, reviews = children if children is not None else (
        store.households.members_of(row.id), store.households.measures_of(row.id), store.households.reviews_of(row.id))

    def record(kind: str, d: dict[str, Any]) -> Record:
        values = {k: v for k, v in d.items() if not k.startswith("_")}
        return Record(kind=kind, sheet=d.get("_sheet", ""), row=d.get("_row", 0), values=values,
                      invalid=set(d.get("_invalid", ())))

    values = {k: v for k, v in row.data.items() if not k.startswith("_")}
    hh = Household(kind="household", sheet="户信息", row=row.row or 0, values=values,
                   invalid=set(row.data.get("_invalid", ())),
                   members=[record("member", m) for m in members], measures=[record("measure", m) for m in measures],
                   reviews=[record("review", r) for r in reviews])
    hh.per_capita_income = row.data.get("_per_capita_income")
    hh.line = row.data.get("_line")
    return hh
