"""The pre-filled village workbook (预填台账): the template, filled with a village's households as last accepted.

After a national import (台账预填) or at the start of a yearly 回头看 (a round for an income year), every village
gets its 村级监测台账 with every household, member, measure and review the ledger holds. What the ledger does not
hold is left empty and marked (the to-fill colour; one comment on the header of each column with marked cells); in a round the year's income cells are emptied,
the last year's 人均纯收入 moved into 上年人均纯收入 and 收入年度 set. The columns are the schema's: a column
added to schemas/*.yaml is written (and, when required and empty, marked) without a change here. The hidden
sheet lists the households pre-filled (prefill_marks), so dropping the workbook back unchanged gives one
"still to fill" hint per household, not an error per empty cell.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Config
from ..messages import TEXT
from ..prefill_marks import prefill_meta
from ..schema import SHEET_KINDS, SheetSpec
from ..store import LedgerHousehold
from ..workflow import DISTRICT_CONFIRM, LEAD, MONITORED, TOWN_CHECK
from .template import SheetExtras, write_village_workbook

PREV_INCOME = "prev_per_capita_income"  # where a round moves last year's 人均纯收入
INCOME_YEAR = "income_year"
CONTACT_KEYS = ("contact_person", "contact_phone")  # 监测联系人 (plan 五(二)): asked of every household from 帮扶中 on
CONTACT_STATES = frozenset(MONITORED).difference((LEAD, TOWN_CHECK, DISTRICT_CONFIRM))  # identified, still monitored
EITHER_OF = ("education", "schooling")  # a member has exactly one of 文化程度 / 在校生状况
SHOWN_SYSTEM = ("sys_category", "sys_state")  # the system columns a pre-filled 户信息 shows (建议类别, 流程状态)


@dataclass(frozen=True)
class PrefillPlan:
    """What one village's workbook is for: a round for `year` (its income cells emptied and marked), or the
    pre-filling after an import (`year` None: the ledger's values as they are)."""

    purpose: str  # the hidden sheet's 预填 value, e.g. "2022年回头看"
    year: int | None = None


def income_keys(config: Config) -> tuple[str, ...]:
    """A round's income cells: the household's money columns of the year (all but 上年人均纯收入)."""
    return tuple(c.key for c in config.schemas.household.columns if c.type == "money" and c.key != PREV_INCOME)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == ()


def household_row(config: Config, hh: LedgerHousehold, plan: PrefillPlan) -> tuple[dict[str, Any], set[str]]:
    """The household's 户信息 row (schema keys) and the keys a round emptied."""
    data = hh.data
    row = _child_row([c.key for c in config.schemas.household.columns], data)
    row.update(household_no=hh.household_no or data.get("household_no"), head_id=hh.head_id,
               head_name=hh.head_name or data.get("head_name"), town=hh.town, village=hh.village,
               identified_date=data.get("identified_date") or hh.identified_date)
    if _empty(row.get("size")) and hh.members:
        row["size"] = len(hh.members)
    cleared: set[str] = set()
    if plan.year is not None and data.get(INCOME_YEAR) != plan.year:
        last = data.get("_per_capita_income")
        if last is None:
            last = data.get("per_capita_income")
        row[PREV_INCOME] = last if data.get(INCOME_YEAR) == plan.year - 1 else None
        for key in income_keys(config):
            row[key] = None
            cleared.add(key)
        row[INCOME_YEAR] = plan.year
    return row, cleared


def _cell(value: Any) -> Any:
    """A stored value as a cell shows it (a multiple choice, 健康状况, joined with 、 as a clerk types it)."""
    return "、".join(str(v) for v in value) if isinstance(value, (list, tuple)) else value


_PLAIN = frozenset((str, int, float, type(None)))  # the cells _cell gives back as they are: nearly every cell


def _child_row(keys: Sequence[str], record: dict[str, Any]) -> dict[str, Any]:
    """A record's cells by the sheet's column keys (`keys`: worked out once per sheet, not once per row)."""
    get = record.get
    return {key: value if type(value := get(key)) in _PLAIN else _cell(value) for key in keys}


def _marks_for(spec: SheetSpec, rows: Sequence[dict[str, Any]], want: Sequence[set[str]], plan: PrefillPlan,
               cleared: Sequence[set[str]]) -> tuple[set[tuple[int, str]], dict[str, str]]:
    """The empty cells to fill, (row index, key): a required column, or one in `want[i]`; and the note of each
    column that has some (one comment on its header, not one per cell)."""
    marks: set[tuple[int, str]] = set()
    required = [col.key for col in spec.columns if col.required]
    headers = {col.key: col.header for col in spec.columns}
    year_keys: set[str] = set()
    for i, row in enumerate(rows):
        get = row.get
        for key in required:
            value = get(key)
            if value is None or value == "" or value == ():
                marks.add((i, key))
        if want[i]:
            for key in want[i].difference(required):
                if key in headers and _empty(get(key)):
                    marks.add((i, key))
        if plan.year is not None and cleared[i]:
            year_keys.update(key for key in cleared[i] if (i, key) in marks)
    notes = {key: TEXT["prefill.fill_year"].format(year=plan.year, header=headers[key]) if key in year_keys
             else TEXT["prefill.fill"].format(header=headers[key]) for key in {key for _, key in marks}}
    return marks, notes


def village_rows(config: Config, households: Sequence[LedgerHousehold], plan: PrefillPlan
                 ) -> tuple[dict[str, list[dict[str, Any]]], dict[str, SheetExtras]]:
    """The rows of the four sheets, and their marks and system columns."""
    schemas = config.schemas
    rows: dict[str, list[dict[str, Any]]] = {kind: [] for kind in SHEET_KINDS}
    want: dict[str, list[set[str]]] = {kind: [] for kind in SHEET_KINDS}
    cleared: dict[str, list[set[str]]] = {kind: [] for kind in SHEET_KINDS}
    system: dict[str, list[Any]] = {key: [] for key in SHOWN_SYSTEM}
    child_keys = {kind: [c.key for c in schemas[kind].columns] for kind in ("member", "measure", "review")}
    for hh in households:
        row, emptied = household_row(config, hh, plan)
        rows["household"].append(row)
        want["household"].append(emptied | (set(CONTACT_KEYS) if hh.state in CONTACT_STATES else set()))
        cleared["household"].append(emptied)
        system["sys_category"].append(hh.category or hh.assessment.get("category"))
        system["sys_state"].append(hh.state)
        for kind, records in (("member", hh.members), ("measure", hh.measures), ("review", hh.reviews)):
            keys = child_keys[kind]
            for record in records:
                child = _child_row(keys, record)
                child["head_id"] = hh.head_id
                rows[kind].append(child)
                either = set(EITHER_OF) if kind == "member" and all(_empty(child.get(k)) for k in EITHER_OF) \
                    and all(k in child for k in EITHER_OF) else set()
                want[kind].append(either)
                cleared[kind].append(set())
    headers = {s.key: s for s in schemas.household.system_columns}
    extras: dict[str, SheetExtras] = {}
    for kind in SHEET_KINDS:
        marks, notes = _marks_for(schemas[kind], rows[kind], want[kind], plan, cleared[kind])
        extras[kind] = SheetExtras(marks=marks, notes=notes)
    extras["household"] = SheetExtras(
        marks=extras["household"].marks, notes=extras["household"].notes,
        system=[(headers[k].header, headers[k].width, system[k]) for k in SHOWN_SYSTEM if k in headers])
    return rows, extras


def write_prefilled_workbook(path: Path, config: Config, town: str, village: str,
                             households: Sequence[LedgerHousehold], plan: PrefillPlan, *,
                             created: dt.datetime | None = None) -> Path:
    """One village's pre-filled workbook at `path` (written in place: callers place it atomically)."""
    rows, extras = village_rows(config, households, plan)
    meta = prefill_meta(plan.purpose, plan.year, (hh.head_id for hh in households))
    return write_village_workbook(path, config, town=town, village=village, rows=rows, created=created,
                                  extras=extras, more_meta=meta)
