"""The master's 省系统录入 sheet (DOMAIN.md "The provincial system"): the households the district decided (identified,
or risk eliminated) that their town has not marked entered into the provincial system more than N days after the
decision (rules/workflow.yaml provincial_entry_days), and the identified households still on a provisional LS…
number — one row per household, the longest waiting first, filterable by 镇 and 情况."""

from __future__ import annotations

import datetime as dt

from ..messages import TEXT
from ..provincial.entries import due, matter
from ..store import Store
from ..workflow import ELIMINATED, IDENTIFIED
from .tables import Col, Formats, write_table

ENTRY_MASTER_SHEET = "省系统录入"
COLUMNS = [Col("镇", 8), Col("村", 10), Col("户编号", 18, "id"), Col("户主姓名", 8), Col("情况", 26, "wrap"),
           Col("事项", 9), Col("决定日期", 11, "date"), Col("已过天数", 6, "int"), Col("目前状态", 9)]
FIRST_ROW = 1
IDENTITY = 4  # 镇, 村, 户编号, 户主姓名


def entry_rows(store: Store, *, as_of: dt.date, days: int) -> list[list[object]]:
    """The rows of 省系统录入: overdue decisions first (the longest waiting first), then the households only still
    on a provisional number."""
    late = sorted((e for e in due(store) if (as_of - e.decided_on).days > days),
                  key=lambda e: (e.decided_on, e.town, e.village, e.household_id))
    out: list[list[object]] = []
    listed: set[tuple[str, str, str | None]] = set()
    for e in late:
        what = TEXT["entry.master_late"].format(days=days)
        if e.provisional:
            what += TEXT["entry.master_and_provisional"]
        out.append([e.town, e.village, e.household_no, e.head_name, what, matter(e), e.decided_on,
                    (as_of - e.decided_on).days, e.state])
        listed.add((e.town, e.village, e.household_no))
    for town, village, number, head, state in store.provincial.provisional(states=(*IDENTIFIED, ELIMINATED)):
        if (town, village, number) not in listed:
            out.append([town, village, number, head, TEXT["entry.master_provisional"], None, None, None, state])
    return out


def write_entry_master(wb, fmt: Formats, store: Store, *, as_of: dt.date, days: int) -> None:
    sheet = wb.add_worksheet(ENTRY_MASTER_SHEET)
    sheet.set_row(0, 32)
    sheet.merge_range(0, 0, 0, len(COLUMNS) - 1, TEXT["entry.master_instruction"].format(days=days),
                      fmt.instruction)
    write_table(sheet, fmt, COLUMNS, entry_rows(store, as_of=as_of, days=days), first_row=FIRST_ROW,
                identity=IDENTITY, header_lines=2, printed=True)
