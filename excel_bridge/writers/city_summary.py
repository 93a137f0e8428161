"""市级汇总.xlsx (issue 24): the city's totals (one row per district, the city's total), 考核 by district, each
district's own tables (as its 统计 shows them, with its 考核 by town), and 跨区重复 — the people whose ID number is in
households of two or more districts, each district's household, state and dates, for the districts to resolve.

跨区重复 shows the whole ID number: the districts resolve a person by it (two people of one name are common, and a
masked number cannot be looked up in a district's ledger); the workbook is the city's internal working file, never a
公示 list, kept on the city's share like a district's 区级总台账, which shows full numbers too (DOMAIN.md Privacy).
The terminal and the log say only how many."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..city_rollup import Rollup
from ..messages import TEXT
from .common import Placed, meta_rows, place_atomically
from .printing import PageLayout, apply_xlsxwriter
from .statistics_sheet import write_tables
from .tables import new_workbook, write_meta

SUMMARY_KIND = "excel_bridge.city_summary"
TOTAL_SHEET, CHECKS_SHEET, DUPLICATES_SHEET = "全市合计", "考核", "跨区重复"
DUPLICATE_COLUMNS = (("身份证号", 20), ("姓名", 9), ("区", 9), ("镇", 10), ("村", 10), ("户编号", 20),
                     ("户主姓名", 9), ("流程状态", 10), ("线索日期", 11), ("识别纳入日期", 12), ("最近更新", 11))


def write_city_summary(path: Path, r: Rollup, *, now: dt.datetime | None = None) -> Placed:
    now = now or dt.datetime.now()
    return place_atomically(path, lambda tmp: _write(tmp, r), now=now)


def _write(tmp: Path, r: Rollup) -> None:
    wb, fmt = new_workbook(str(tmp))
    title = TEXT["city.summary_title"].format(city=r.city, year=r.year, month=r.month)
    sources = [TEXT["city.summary_source"].format(district=d.district, source=d.source, as_of=d.as_of)
               for d in r.districts]
    write_tables(wb, fmt, TOTAL_SHEET, [title, *sources, *r.missing], r.totals)
    write_tables(wb, fmt, CHECKS_SHEET, [title], (r.checks,))
    for d in r.districts:
        heading = [TEXT["stats.sheet_title"].format(district=d.district, scope="", as_of=d.as_of),
                   TEXT["city.summary_source"].format(district=d.district, source=d.source, as_of=d.as_of)]
        write_tables(wb, fmt, d.district[:31], heading, d.tables + ((d.checks,) if d.checks is not None else ()))
    _duplicates(wb, fmt, r, title)
    write_meta(wb, meta_rows(SUMMARY_KIND, "1", 市=r.city, 月份=f"{r.year:04d}-{r.month:02d}",
                             区=("、".join(d.district for d in r.districts))))
    wb.close()


def _duplicates(wb, fmt, r: Rollup, title: str) -> None:
    sheet = wb.add_worksheet(DUPLICATES_SHEET)
    last = len(DUPLICATE_COLUMNS) - 1
    for c, (_, width) in enumerate(DUPLICATE_COLUMNS):
        sheet.set_column(c, c, width)
    sheet.set_row(0, 26)
    sheet.merge_range(0, 0, 0, last, title, fmt.title)
    people = len({p.person_id for p in r.duplicates})
    sheet.set_row(1, 45)
    sheet.merge_range(1, 0, 1, last, TEXT["city.duplicates_note"].format(people=people), fmt.note)
    header = 3
    for c, (head, _) in enumerate(DUPLICATE_COLUMNS):
        sheet.write_string(header, c, head, fmt.header)
    row = header
    for p in r.duplicates:
        row += 1
        values = (p.person_id, p.name, p.district, p.town, p.village, p.household_no, p.head_name, p.state)
        for c, value in enumerate(values):
            sheet.write_string(row, c, value or "", fmt.by_kind["text"])
        for c, when in enumerate((p.lead_date, p.identified_date, p.updated), start=len(values)):
            if when is not None:
                sheet.write_datetime(row, c, dt.datetime.combine(when, dt.time()), fmt.by_kind["date"])
    sheet.freeze_panes(header + 1, 1)
    sheet.autofilter(header, 0, max(row, header + 1), last)
    apply_xlsxwriter(sheet, PageLayout(landscape=True, pages_wide=1, repeat_rows=(header, header),
                                       repeat_columns=None, area=(0, 0, max(row, header), last), across_first=False))
