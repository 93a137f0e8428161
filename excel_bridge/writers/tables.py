"""Tidy government-form tables with XlsxWriter: header style, text-format IDs, widths, filter, frozen header and
identifying columns, and the page setup that prints them legibly."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from ..read import META_SHEET
from ..schema import ColumnSpec, Schemas
from .common import DATE_FORMAT, DATETIME_FORMAT, ERROR_FILL, HEADER_FILL, SYSTEM_FILL, WrappedHeights, display_width
from .printing import apply_xlsxwriter, plan_page


@dataclass(frozen=True)
class Col:
    header: str
    width: float = 12
    kind: str = "text"  # text / id / money / int / date / datetime / wrap / decision
    hidden: bool = False


class Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        self.header = wb.add_format({**base, "bold": True, "bg_color": "#" + HEADER_FILL, "border": 1,
                                     "text_wrap": True, "align": "center"})
        self.decision_header = wb.add_format({**base, "bold": True, "bg_color": "#FFF2CC", "border": 1,
                                              "text_wrap": True, "align": "center", "font_color": "#C00000"})
        self.by_kind = {
            "text": wb.add_format({**base, "num_format": "@"}),
            "id": wb.add_format({**base, "num_format": "@"}),
            "money": wb.add_format({**base, "num_format": "#,##0.00"}),
            "int": wb.add_format({**base, "num_format": "0"}),
            "date": wb.add_format({**base, "num_format": DATE_FORMAT}),
            "datetime": wb.add_format({**base, "num_format": DATETIME_FORMAT}),
            "wrap": wb.add_format({**base, "num_format": "@", "text_wrap": True}),
            "decision": wb.add_format({**base, "num_format": "@", "bg_color": "#FFF2CC", "locked": False,
                                       "border": 1}),
            "decision_date": wb.add_format({**base, "num_format": DATE_FORMAT, "bg_color": "#FFF2CC",
                                            "locked": False, "border": 1}),
            "decision_wrap": wb.add_format({**base, "num_format": "@", "bg_color": "#FFF2CC", "locked": False,
                                            "border": 1, "text_wrap": True}),
        }
        # a decision cell left empty when the decision was refused for want of it: red, still to be filled in
        self.missing = wb.add_format({**base, "num_format": "@", "bg_color": "#" + ERROR_FILL, "locked": False,
                                      "border": 1})
        self.missing_date = wb.add_format({**base, "num_format": DATE_FORMAT, "bg_color": "#" + ERROR_FILL,
                                           "locked": False, "border": 1})
        self.title = wb.add_format({**base, "bold": True, "font_size": 16})
        self.bold = wb.add_format({**base, "bold": True})
        self.instruction = wb.add_format({**base, "bold": True, "text_wrap": True})
        self.plain = wb.add_format(base)
        self.note = wb.add_format({**base, "font_color": "#595959", "text_wrap": True})
        self.system = wb.add_format({**base, "bg_color": "#" + SYSTEM_FILL})

    def for_col(self, col: Col) -> Any:
        return self.by_kind[_kind_key(col)]


def _kind_key(col: Col) -> str:
    if col.kind == "decision" and "日期" in col.header:
        return "decision_date"
    if col.kind == "decision" and "意见" in col.header:
        return "decision_wrap"
    return col.kind


SCHEMA_CHOICE_WIDTH = 10  # a choice column of a schema in a district table: its longest value, wrapped past this


def schema_col(spec: ColumnSpec, schemas: Schemas) -> Col:
    """A schema column (schemas/*.yaml) as a district table shows it: compact, its header wrapping, the type
    setting the format (an ID as text, a count as a number, a long choice wrapped)."""
    if spec.type == "id":
        return Col(spec.header, 19, "id")
    if spec.type == "integer":
        return Col(spec.header, 5, "int")
    if spec.type == "money":
        return Col(spec.header, 10, "money")
    if spec.type in ("date", "year"):
        return Col(spec.header, 11 if spec.type == "date" else 6)
    if spec.type in ("choice", "multichoice"):
        longest = max((display_width(v) for v in schemas.allowed(spec) or ()), default=8) + 1
        wraps = spec.type == "multichoice" or longest > SCHEMA_CHOICE_WIDTH
        return Col(spec.header, min(longest, SCHEMA_CHOICE_WIDTH), "wrap" if wraps else "text")
    return Col(spec.header, 8 if spec.key == "name" else 12, "text" if spec.key == "name" else "wrap")


def schema_value(spec: ColumnSpec, value: object) -> object:
    """A stored value of a schema column as a cell shows it (a multiple choice joined by its separator)."""
    if isinstance(value, list):
        return (spec.separator or "、").join(str(v) for v in value)
    return value


def wrap_widths(columns: Sequence[Col], *, header_lines: int = 1) -> dict[int, float]:
    """Index → width of the columns whose text wraps (a row is made tall enough for them)."""
    return {c: col_width(col, header_lines=header_lines) for c, col in enumerate(columns)
            if _kind_key(col) in ("wrap", "decision_wrap")}


def col_width(col: Col, *, header_lines: int = 1) -> float:
    """The width a column gets: its own, widened so its header fits on `header_lines` lines."""
    return max(col.width, math.ceil(display_width(col.header) / header_lines) + 2)


@dataclass(frozen=True)
class Styled:
    """A value written with a format of its own instead of its column's (a decision field to fill in: red)."""

    value: Any
    style: Any


def write_cell(ws: Worksheet, r: int, c: int, value: Any, fmt: Any) -> None:
    if isinstance(value, Styled):
        value, fmt = value.value, value.style
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, "是" if value else "否", fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value, fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), fmt)
    elif isinstance(value, (int, float)):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def write_table(ws: Worksheet, fmt: Formats, columns: Sequence[Col], rows: Iterable[Sequence[Any]], *,
                first_row: int = 0, freeze: bool = True, autofilter: bool = True, identity: int = 0,
                header_lines: int = 1, printed: bool = False, print_from: int = 0) -> int:
    """Write a header and rows from first_row; returns the number of data rows written. The header row and
    the first `identity` columns (the ones that say who a row is) stay in view; a header may wrap onto
    `header_lines` lines; `printed`: the page setup of print_table too (printing rows from `print_from`)."""
    for c, col in enumerate(columns):
        width = col_width(col, header_lines=header_lines)
        cell_fmt = fmt.for_col(col)
        ws.set_column(c, c, width, cell_fmt, {"hidden": True} if col.hidden else None)
        ws.write_string(first_row, c, col.header, fmt.decision_header if col.kind == "decision" else fmt.header)
    ws.set_row(first_row, max(30, 14 * header_lines + 2))
    n = 0
    kinds = [fmt.for_col(col) for col in columns]
    heights = WrappedHeights(wrap_widths(columns, header_lines=header_lines), remember=10_000)
    for n, row in enumerate(rows, start=1):
        r = first_row + n
        height = heights(row)
        if height:
            ws.set_row(r, height)
        for c, value in enumerate(row):
            write_cell(ws, r, c, value, kinds[c])
    if freeze:
        ws.freeze_panes(first_row + 1, identity)
    if autofilter and columns:
        ws.autofilter(first_row, 0, first_row + max(n, 1), len(columns) - 1)
    if printed:
        print_table(ws, columns, header_row=first_row, last_row=first_row + n, identity=identity,
                    header_lines=header_lines, first_row=print_from)
    return n


def print_table(ws: Worksheet, columns: Sequence[Col], *, header_row: int, last_row: int, identity: int = 0,
                header_lines: int = 1, first_row: int = 0) -> None:
    """Page setup of a sheet holding one table (lines above it from `first_row` printed once): its header row
    repeated on every page, its first `identity` columns on every page across, as many pages across as it
    needs to stay legible. Hidden columns take no width on paper."""
    widths = [0 if col.hidden else col_width(col, header_lines=header_lines) for col in columns]
    apply_xlsxwriter(ws, plan_page(widths, last_row=last_row, header=(header_row, header_row), identity=identity,
                                   first_row=first_row))


# A workbook for at most this many households is built in memory: XlsxWriter's constant-memory mode keeps a
# temporary file per sheet and per part of the package, and on a disk that discards what is deleted each one
# costs milliseconds (a village-sized town's 镇级核查表: 1.8 s on disk, 0.66 s in memory). A larger one streams
# its rows to disk, its memory flat whatever the district's size.
IN_MEMORY_HOUSEHOLDS = 1_000


def new_workbook(path: str, *, households: int | None = None) -> tuple[xlsxwriter.Workbook, Formats]:
    """A new workbook at path and its formats; `households`: how many the workbook is about (None: unknown, built
    on disk)."""
    wb = blank_workbook(path, households=households)
    return wb, Formats(wb)


def blank_workbook(path: str, *, households: int | None = None) -> xlsxwriter.Workbook:
    """A new workbook at path, no format made yet (see new_workbook)."""
    small = households is not None and households <= IN_MEMORY_HOUSEHOLDS
    return xlsxwriter.Workbook(path, {"in_memory" if small else "constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})


def write_meta(wb: xlsxwriter.Workbook, rows: Sequence[tuple[str, str]]) -> None:
    ws = wb.add_worksheet(META_SHEET)
    for r, (k, v) in enumerate(rows):
        ws.write_string(r, 0, k)
        ws.write_string(r, 1, v)
    ws.hide()
