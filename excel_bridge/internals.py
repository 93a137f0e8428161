"""The private names of openpyxl and XlsxWriter the product relies on, in one place: each has no public
equivalent that is fast enough (or at all). pyproject.toml pins both libraries to the minor versions tested,
and tests/test_internals.py fails naming the attribute when an upgrade moves one."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell, MergedCell
    from openpyxl.worksheet.worksheet import Worksheet

# (library, owner.attribute): what a test checks on the installed versions
PRIVATE_NAMES = (("openpyxl", "Worksheet._cells"), ("openpyxl", "Cell._style"),
                 ("openpyxl", "Workbook._protections"), ("XlsxWriter", "Format._get_xf_index"))


def existing_cells(ws: Worksheet) -> list[tuple[tuple[int, int], Cell | MergedCell]]:
    """((row, column), cell) of the cells a sheet holds: iter_rows would create every empty one in its range."""
    return list(ws._cells.items())


def unlock_cells(ws: Worksheet, keep_locked: Collection[int]) -> None:
    """Every existing cell outside the 0-based columns `keep_locked` unlocked: the protection id set on the
    cell's own style array, ~10× faster than the cell.protection descriptor on a 100k-cell sheet."""
    from openpyxl.styles import Protection
    from openpyxl.styles.cell_style import StyleArray

    book: Any = ws.parent  # the stubs declare neither Workbook._protections nor Cell._style (PRIVATE_NAMES)
    cells: dict[tuple[int, int], Any] = ws._cells
    pid = book._protections.add(Protection(locked=False))
    for (_, column), cell in cells.items():  # each openpyxl cell owns a copy of its style array: safe to set
        if column - 1 not in keep_locked:
            if not cell._style:
                cell._style = StyleArray()
            cell._style.protectionId = pid


def xf_index(fmt: Any) -> int:
    """The style index an XlsxWriter format gets in styles.xml (the row spools write it into `s="…"`)."""
    return int(fmt._get_xf_index())
