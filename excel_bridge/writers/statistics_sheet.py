"""Draws the district's numbers (statistics.Statistics, computed by the pipeline) as printable sheets: the master's
统计, a town's 本镇统计 and 考核, and each page of the monthly 通报. Landscape A4, one page wide."""

from __future__ import annotations

from collections.abc import Sequence

from ..statistics import StatTable
from .printing import PageLayout, apply_xlsxwriter
from .tables import Formats

LABEL_WIDTH, NUMBER_WIDTH = 16, 9


def write_tables(wb, fmt: Formats, name: str, heading: Sequence[str], tables: Sequence[StatTable]) -> int:
    """A sheet `name`: the `heading` lines, then each table (its title, header, rows, note) one under another;
    returns the last row written."""
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
    apply_xlsxwriter(sheet, PageLayout(landscape=True, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                       area=(0, 0, max(r - 1, 0), max(width - 1, 1)), across_first=False))
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
