"""The monthly 通报 workbook, made to be printed and signed: a first page with the month's key figures in words and
the table of 监测对象 by town × 认定类别, then one landscape page per table (titled, dated, the district's name).
Draws what report.make_bulletin hands it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..bulletin_numbers import BULLETIN_KIND, NUMBERS_VERSION, numbers_rows
from ..messages import TEXT
from ..report import Bulletin, key_figures
from ..statistics import MONITORED
from .common import Placed, display_width, meta_rows, place_atomically
from .printing import PageLayout, apply_xlsxwriter
from .statistics_sheet import LABEL_WIDTH, NUMBER_WIDTH, draw_table
from .tables import new_workbook, write_meta

FIRST_SHEET = "通报"
MIN_COLUMNS = 8  # a page as wide as the first page's table: a narrow table's title and note are not cut off


def write_bulletin(path: Path, b: Bulletin, *, now: dt.datetime | None = None) -> Placed:
    """Write the 通报 atomically (a copy open in an office program is kept; the new one goes beside it)."""
    now = now or dt.datetime.now()
    return place_atomically(path, lambda tmp: _write(tmp, b, now), now=now)


def _heading(b: Bulletin) -> tuple[str, str]:
    title = TEXT["report.title"].format(district=b.district, year=b.year, month=b.month)
    dated = TEXT["report.dated"].format(as_of=b.as_of, district=b.district)
    return title, dated


def _write(tmp: Path, b: Bulletin, now: dt.datetime) -> None:
    wb, fmt = new_workbook(str(tmp))
    title, dated = _heading(b)
    width = max(len(t.header) for t in b.tables)
    first = wb.add_worksheet(FIRST_SHEET)
    first.set_column(0, 0, LABEL_WIDTH)
    first.set_column(1, width - 1, NUMBER_WIDTH)
    last = width - 1
    lines = [(title, fmt.title, 30), (dated, fmt.bold, 18)]
    lines.append((key_figures(b), fmt.note, 75))
    if b.frozen_at is not None:
        lines.append((TEXT["report.frozen"].format(at=b.frozen_at), fmt.note, 30))
    if b.counted_late is not None:
        lines.append((TEXT["report.counted_late"].format(year=b.year, month=b.month, day=b.counted_late), fmt.note, 30))
    for text in b.corrections:
        lines.append((text, fmt.note, 30))
    r = 0
    for text, style, height in lines:
        first.set_row(r, height)
        first.merge_range(r, 0, r, last, text, style)
        r += 1
    r = draw_table(first, fmt, b.table(MONITORED), r + 1, width) + 1
    first.set_row(r, 40)
    first.merge_range(r, 0, r, last, TEXT["report.sign"], fmt.bold)
    _landscape(first, r, last)
    for n, table in enumerate(b.tables, start=1):
        sheet = wb.add_worksheet(TEXT["report.sheet"].format(n=n))
        end = max(len(table.header), MIN_COLUMNS) - 1
        labels = [display_width(row[0]) for row in table.rows if row]
        sheet.set_column(0, 0, max([LABEL_WIDTH, *labels]) + 1)  # the total row's label read whole
        sheet.set_column(1, end, NUMBER_WIDTH)
        sheet.set_row(0, 26)
        sheet.merge_range(0, 0, 0, end, title, fmt.title)
        sheet.merge_range(1, 0, 1, end, dated, fmt.bold)
        r = draw_table(sheet, fmt, table, 3, end + 1)
        _landscape(sheet, r, end)
    write_meta(wb, meta_rows(BULLETIN_KIND, NUMBERS_VERSION, 区=b.district, 月份=f"{b.year:04d}-{b.month:02d}",
                             截至=b.as_of.isoformat()) + numbers_rows(b.tables, b.checks))
    wb.close()


def _landscape(sheet, last_row: int, last_col: int) -> None:
    apply_xlsxwriter(sheet, PageLayout(landscape=True, pages_wide=1, repeat_rows=None, repeat_columns=None,
                                       area=(0, 0, last_row, last_col), across_first=False, gridlines=False))
    sheet.fit_to_pages(1, 1)
