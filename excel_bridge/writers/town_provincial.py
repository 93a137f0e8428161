"""The 省系统录入 sheet of a town's 镇级核查表: one row per household the district decided (identified, or its risk
eliminated) that the town has not yet marked entered into the provincial system — who it is, the four 录入 columns
right beside the name (录入结论 dropdown, 国家户编号 as text, 录入人, 录入日期), then what was decided and when, and
the hidden row token the answers are read back by (provincial/entries.py)."""

from __future__ import annotations

import datetime as dt

from ..decision_sheet import ENTRY_CHOICES, ENTRY_COLUMNS, ENTRY_SHEET, TOKEN_HEADER
from ..ledger_tokens import entry_token
from ..messages import TEXT
from ..provincial.entries import due, matter
from ..store import EntryDue, Store
from .decision_table import decision_validation
from .tables import Col, Formats, write_table

FIRST_ROW = 1  # the instruction line, then the table
HEADER_LINES = 2
IDENTITY = 3  # 村, 户编号, 户主姓名: on every page across, the answer right beside them


def entry_columns() -> list[Col]:
    return [
        Col("村", 8), Col("户编号", 18, "id"), Col("户主姓名", 8),
        *(Col(h, {"录入结论": 9, "国家户编号": 20, "录入日期": 11}.get(h, 8), "decision") for h in ENTRY_COLUMNS),
        Col("户主身份证号", 19, "id"), Col("事项", 9), Col("决定日期", 11, "date"), Col("已过天数", 6, "int"),
        Col("认定类别", 12), Col("目前状态", 9), Col(TOKEN_HEADER, 24, "id", hidden=True),
    ]


def entry_cells(store: Store, e: EntryDue, as_of: dt.date) -> list[object]:
    return [e.village, e.household_no, e.head_name, *[None] * len(ENTRY_COLUMNS), e.head_id, matter(e),
            e.decided_on, (as_of - e.decided_on).days, e.category, e.state, entry_token(store, e)]


def write_entry_sheet(wb, fmt: Formats, store: Store, town: str, *, as_of: dt.date, days: int) -> None:
    """省系统录入: the town's decisions still to enter, the oldest decision first."""
    sheet = wb.add_worksheet(ENTRY_SHEET)
    columns = entry_columns()
    # the instruction across the visible columns (the sheet prints on one landscape page: no grid beside it)
    sheet.merge_range(0, 0, 0, sum(1 for c in columns if not c.hidden) - 1,
                      TEXT["entry.sheet_instruction"].format(town=town, days=days), fmt.instruction)
    sheet.set_row(0, 44)
    rows = sorted(due(store, town=town), key=lambda e: (e.decided_on, e.village, e.household_id))
    n = write_table(sheet, fmt, columns, (entry_cells(store, e, as_of) for e in rows), first_row=FIRST_ROW,
                    identity=IDENTITY, header_lines=HEADER_LINES, printed=True)
    decision_validation(sheet, FIRST_ROW, n, IDENTITY, ENTRY_CHOICES)
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
