"""How a sheet prints on A4, decided once from its column widths and applied alike to the sheets XlsxWriter writes,
the ones openpyxl saves and the ones the ooxml editor patches: orientation, how many pages across (each a
legible scale), the header rows and the columns that say who a row is repeated on every page, the print area,
the page order, gridlines, and the sheet name and page number in the margins.

A table too wide for one page is not shrunk until it is unreadable: it is fitted to as many pages across as it
needs at about three quarters of its size, the identifying columns repeated on each, and printed across then
down so the pages of one band of rows come out together.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ..messages import TEXT

# Column widths are in Excel's character units (about 1.9 mm each at 100 %); an A4 page with the margins below
# holds about 98 of them upright and 143 across at 100 %.
PORTRAIT_WIDTH = 98
LEGIBLE_WIDTH = 190  # the most one landscape page takes: printed at ~75 %, 10 pt text comes out at ~7.5 pt
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6}  # inches
HEADER = "&L&F　&A"  # the file and the sheet at the top left of every page
FOOTER = "&C" + TEXT["print.footer"]


@dataclass(frozen=True)
class PageLayout:
    """What a sheet's page setup says (rows and columns 0-based, ranges inclusive)."""

    landscape: bool
    pages_wide: int  # fitted to this many pages across, as many pages down as the rows need
    repeat_rows: tuple[int, int] | None
    repeat_columns: tuple[int, int] | None
    area: tuple[int, int, int, int] | None  # first row, first column, last row, last column
    across_first: bool  # page order: across, then down (only matters when pages_wide > 1)
    gridlines: bool = True


def plan_page(widths: Sequence[float], *, last_row: int, header: tuple[int, int] | None = None,
              identity: int = 0, first_row: int = 0, gridlines: bool = True) -> PageLayout:
    """The layout of a table whose columns have these widths, rows first_row…last_row, `header` its header
    rows and its first `identity` columns the ones that say who a row is (repeated on every page across)."""
    total = sum(widths)
    if total <= PORTRAIT_WIDTH:
        return PageLayout(False, 1, header, None, _area(first_row, last_row, widths), False, gridlines)
    empty = header is not None and last_row <= header[1]  # a header and no rows: one page, whatever its width
    pages = 1 if total <= LEGIBLE_WIDTH or empty else _pages_across(widths, identity)
    repeat = (0, identity - 1) if pages > 1 and identity else None
    return PageLayout(True, pages, header, repeat, _area(first_row, last_row, widths), pages > 1, gridlines)


def _pages_across(widths: Sequence[float], identity: int) -> int:
    """Pages across when each page after the first repeats the identifying columns (given up when they would
    fill half the page)."""
    total, fixed = sum(widths), sum(widths[:identity])
    if fixed * 2 > LEGIBLE_WIDTH:
        fixed = 0
    return 1 + math.ceil((total - LEGIBLE_WIDTH) / (LEGIBLE_WIDTH - fixed))


def _area(first_row: int, last_row: int, widths: Sequence[float]) -> tuple[int, int, int, int] | None:
    return (first_row, 0, max(last_row, first_row), len(widths) - 1) if widths else None


def apply_xlsxwriter(ws, layout: PageLayout) -> None:
    """Page setup of an XlsxWriter worksheet."""
    ws.set_paper(9)
    ws.set_landscape() if layout.landscape else ws.set_portrait()
    ws.fit_to_pages(layout.pages_wide, 0)
    ws.set_margins(**MARGINS)
    ws.set_header(HEADER)
    ws.set_footer(FOOTER)
    if layout.repeat_rows:
        ws.repeat_rows(*layout.repeat_rows)
    if layout.repeat_columns:
        ws.repeat_columns(*layout.repeat_columns)
    if layout.area:
        ws.print_area(*layout.area)
    if layout.across_first:
        ws.print_across()
    if layout.gridlines:
        ws.hide_gridlines(0)


def apply_openpyxl(ws, layout: PageLayout) -> None:
    """Page setup of an openpyxl worksheet (the returned copy of a non-OOXML file, or the fallback path)."""
    from openpyxl.utils.cell import get_column_letter

    setup = ws.page_setup
    setup.paperSize = ws.PAPERSIZE_A4
    setup.orientation = "landscape" if layout.landscape else "portrait"
    setup.fitToWidth, setup.fitToHeight = layout.pages_wide, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if layout.across_first:
        setup.pageOrder = "overThenDown"
    ws.page_margins.left, ws.page_margins.right = MARGINS["left"], MARGINS["right"]
    ws.page_margins.top, ws.page_margins.bottom = MARGINS["top"], MARGINS["bottom"]
    ws.page_margins.header = ws.page_margins.footer = 0.3  # inside the top and bottom margins
    ws.oddHeader.left.text = HEADER.removeprefix("&L")
    ws.oddFooter.center.text = FOOTER.removeprefix("&C")
    ws.print_options.gridLines = layout.gridlines
    if layout.repeat_rows:
        ws.print_title_rows = f"{layout.repeat_rows[0] + 1}:{layout.repeat_rows[1] + 1}"
    if layout.repeat_columns:
        first, last = (get_column_letter(c + 1) for c in layout.repeat_columns)
        ws.print_title_cols = f"{first}:{last}"
    if layout.area:
        r0, c0, r1, c1 = layout.area
        ws.print_area = f"{get_column_letter(c0 + 1)}{r0 + 1}:{get_column_letter(c1 + 1)}{r1 + 1}"


def apply_ooxml(package, name: str, layout: PageLayout) -> None:
    """Page setup of a sheet of a package the ooxml editor patches (the returned copy of an .xlsx)."""
    package.sheet(name).set_page_setup(landscape=layout.landscape, pages_wide=layout.pages_wide,
                                       across_first=layout.across_first, gridlines=layout.gridlines,
                                       margins=MARGINS, header=HEADER, footer=FOOTER)

    def one_based(pair: tuple[int, int] | None) -> tuple[int, int] | None:
        return (pair[0] + 1, pair[1] + 1) if pair else None

    area = layout.area
    package.set_print_ranges(name, rows=one_based(layout.repeat_rows), columns=one_based(layout.repeat_columns),
                             area=(area[0] + 1, area[1] + 1, area[2] + 1, area[3] + 1) if area else None)
