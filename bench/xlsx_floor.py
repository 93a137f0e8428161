"""The floor the pre-filled village workbooks are measured against (bench/round.py, bench/national_import.py):
the same cells — the rows writers/prefilled.village_rows makes from the ledger, computed beforehand, not timed —
written by XlsxWriter alone into four plain sheets per village, one workbook per village, no formats, no
validation, no comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter

from excel_bridge.config import Config
from excel_bridge.schema import SHEET_KINDS
from excel_bridge.store import LedgerHousehold
from excel_bridge.writers.prefilled import PrefillPlan, village_rows

Cells = list[tuple[str, dict[str, list[list[Any]]]]]  # (file name, sheet → rows of cells)


def _plain(value: Any) -> Any:
    """A cell as XlsxWriter's write() takes it (a date as a datetime, written with its default date format)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def floor_cells(config: Config, ledgers: Mapping[tuple[str, str], Sequence[LedgerHousehold]],
                plan: PrefillPlan) -> Cells:
    """Every village's cells, headers first, as the pre-filled workbook holds them."""
    cells: Cells = []
    for (town, village), hhs in ledgers.items():
        rows, _ = village_rows(config, hhs, plan)
        cells.append((f"{town}{village}", {
            config.schemas[k].sheet: [[c.header for c in config.schemas[k].columns]]
            + [[_plain(r.get(c.key)) for c in config.schemas[k].columns] for r in rows[k]] for k in SHEET_KINDS}))
    return cells


def write_floor(out: Path, cells: Cells) -> None:
    for name, sheets in cells:
        wb = xlsxwriter.Workbook(str(out / f"{name}.xlsx"), {"default_date_format": "yyyy-mm-dd"})
        for sheet, rows in sheets.items():
            ws = wb.add_worksheet(sheet)
            for r, row in enumerate(rows):
                ws.write_row(r, 0, row)
        wb.close()
