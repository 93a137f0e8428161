"""What the approval-chain tests (tests/test_approvals*.py) share: the dates, reading the workbooks back, and the
steps that bring household B to the town and to the district. Each file keeps its own `cfg` and `proc` (dated today)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
from factory import (
    HEAD_B,
    TOWN,
    TOWN_SHEET,
    base_rows,
    decide,
    drop,
    ledger_row,
    review,
    table_of,
)

from excel_bridge.pipeline import Processor

T = dt.date.today()
D = dt.timedelta
NOTE = "上次提交中未生效的决定："


# --- the steps the approval-chain files share ----------------------------------------------------------

def run(p: Processor, **kw):
    return p.run_pass(wait=0.05, **kw)


def town_book(ws, town: str = TOWN) -> Path:
    return ws.town_review_path(town)


def returned(ws) -> Path:
    return ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")


def returned_row(ws, name: str) -> dict:
    [row] = [r for r in table_of(returned(ws), "户信息", "流程状态") if r["户主姓名"] == name]
    return row


def pending(path: Path, sheet: str) -> list[dict]:
    return table_of(path, sheet, "行令牌")


def problems(ws) -> list[dict]:
    return [r for r in table_of(returned(ws), "问题清单", "问题说明") if r["严重程度"]]


def dropdown(path: Path, sheet: str, header: str) -> str:
    """The list a clerk picks from in the first data row under `header` (its data validation formula)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for r in range(1, 6):
        cols = {c.value: c.column_letter for c in ws[r] if c.value is not None}  # (a merged note line has none)
        if header in cols:
            cell = f"{cols[header]}{r + 1}"
            [dv] = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
            assert dv.type == "list"
            return dv.formula1
    raise AssertionError(header)


def outcomes(report) -> list[tuple[str, str, str, str]]:
    return [(unarchived(f.name), f.town, f.status, f.message) for f in report.files]


def unarchived(text: str) -> str:
    """A workbook dropped into an inbox is reported under its archive name (“<16 hex>_<name>”, see
    test_dropped_workbook_is_reported_under_the_name_it_was_dropped_with); compare the clerk's name."""
    return re.sub(r"(^|：)[0-9a-f]{16}_", r"\1", text)


def lead_rows(**over) -> dict:
    """B (李秀英, 8000 元/人 < 9600) with a passed 纳入监测 review whose 5-day notice ended 15 days ago."""
    rows = base_rows()
    rows["household"][1]["phone"] = "13912345678"
    rows["review"] = [review(HEAD_B, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15), **over)]
    return rows


def to_town(ws, cfg, p, rows: dict | None = None) -> None:
    drop(ws, cfg, rows or lead_rows())
    run(p)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"


def to_district(ws, cfg, p) -> None:
    to_town(ws, cfg, p)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "入户核实情况属实", "王核查", T)
    run(p)
    assert ledger_row(ws, HEAD_B).state == "待区认定"


def state_and_version(ws, head_id: str = HEAD_B) -> tuple[str, int]:
    row = ledger_row(ws, head_id)
    return row.state, row.version
