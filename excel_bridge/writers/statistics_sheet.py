"""Draws the district's numbers (statistics.Statistics, computed by the pipeline) as printable sheets: the master's
统计, a town's 本镇统计 and 考核, and each page of the monthly 通报. Landscape A4, one page wide."""

from __future__ import annotations

from collections.abc import Sequence

from ..statistics import StatTable
from ..town_checks import CheckItem
from .common import wrapped_height
from .printing import PageLayout, apply_xlsxwriter
from .tables import Formats

LABEL_WIDTH, NUMBER_WIDTH = 16, 10


def write_tables(wb, fmt: Formats, name: str, heading: Sequence[str], tables: Sequence[StatTable], *,
                 one_page: bool = False) -> int:
    """A sheet `name`: the `heading` lines, then each table (its title, header, rows, note) one under another,
    one page wide (`one_page`: and one page tall — a town's few rows); returns the last row written."""
    sheet = wb.add_worksheet(name)
    width = max((len(t.header) for t in tables), default=2)
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, max(width - 1, 1), NUMBER_WIDTH)
    r = 0
    for i, line in enumerate(heading):
        sheet.set_row(r, 26 if i == 0 else 18)
        sheet.merge_range(r, 0, r, max(width - 1, 1), line, fmt.title if i == 0 else fmt.bold)
        r += 1
    for table in tables:
        r = draw_table(sheet, fmt, table, r + 1, width)
    # tables of numbers with their titles and notes between them: no grid printed over the empty cells
    apply_xlsxwriter(sheet, PageLayout(landscape=True, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                       area=(0, 0, max(r - 1, 0), max(width - 1, 1)), across_first=False,
                                       gridlines=False))
    if one_page:
        sheet.fit_to_pages(1, 1)
    return r


def draw_table(sheet, fmt: Formats, table: StatTable, top: int, width: int) -> int:
    """One table from row `top` (its title spans `width` columns); returns the row after its note."""
    last = max(width - 1, len(table.header) - 1, 1)
    sheet.set_row(top, 20)
    sheet.merge_range(top, 0, top, last, table.title, fmt.bold)
    r = top + 1
    sheet.set_row(r, 30)
    for c, head in enumerate(table.header):
        sheet.write_string(r, c, head, fmt.header)
    for row in table.rows:
        r += 1
        for c, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(r, c, value, fmt.by_kind["int"])
            else:
                sheet.write_string(r, c, str(value), fmt.bold if c == 0 and r == top + 1 + len(table.rows)
                                   and len(table.rows) > 1 else fmt.plain)
    r += 1
    if table.note:
        sheet.set_row(r, 30)
        sheet.merge_range(r, 0, r, last, table.note, fmt.note)
        r += 1
    return r


CHECK_COLUMNS = (("考核项目", 16), ("镇", 9), ("村", 10), ("户编号", 18), ("户主姓名", 9), ("说明", 44))
COUNT_WIDTH = 11  # the count columns right of 说明 (the counts table has one column per item and a total)


def write_checks(wb, fmt: Formats, name: str, heading: Sequence[str], counts: StatTable,
                 items: Sequence[CheckItem]) -> None:
    """考核: the counts by town × item, then the list behind them (what to do, household by household); the two
    share the sheet's columns, so each column is wide enough for both."""
    sheet = wb.add_worksheet(name)
    width = max(len(CHECK_COLUMNS), len(counts.header))
    last = width - 1
    for c in range(width):
        sheet.set_column(c, c, max(CHECK_COLUMNS[c][1], NUMBER_WIDTH) if c < len(CHECK_COLUMNS) else COUNT_WIDTH)
    r = 0
    for i, line in enumerate(heading):
        sheet.set_row(r, 26 if i == 0 else 18)
        sheet.merge_range(r, 0, r, last, line, fmt.title if i == 0 else fmt.bold)
        r += 1
    r = draw_table(sheet, fmt, counts, r + 1, width) + 1
    sheet.set_row(r, 22)
    for c, (head, _) in enumerate(CHECK_COLUMNS):
        sheet.write_string(r, c, head, fmt.header)
    header_row = r
    wrap = {len(CHECK_COLUMNS) - 1: CHECK_COLUMNS[-1][1]}
    for item in items:
        r += 1
        values = (item.kind, item.town, item.village, item.household_no, item.head_name, item.detail)
        height = wrapped_height(values, wrap)  # LibreOffice does not grow a row for wrapped text itself
        if height:
            sheet.set_row(r, height)
        for c, value in enumerate(values):
            sheet.write_string(r, c, value or "", fmt.by_kind["wrap"] if c == len(CHECK_COLUMNS) - 1
                               else fmt.by_kind["text"])
    sheet.autofilter(header_row, 0, max(r, header_row + 1), len(CHECK_COLUMNS) - 1)
    apply_xlsxwriter(sheet, PageLayout(landscape=True, pages_wide=1, repeat_rows=(header_row, header_row),
                                       repeat_columns=None, area=(0, 0, max(r, header_row), last),
                                       across_first=False))
