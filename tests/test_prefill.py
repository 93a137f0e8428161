"""The pre-filled village workbook (预填台账, issues 21 and 22): written from the ledger like the template, what the
ledger does not hold marked to fill, and dropped back unchanged it is "still to fill" per household, counts
nothing twice and changes no state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from factory import (
    HEAD_A,
    HEAD_B,
    SON_A,
    TOWN,
    base_rows,
    calamine_records,
    drop,
    measure,
)
from xlsx_helpers import fill_rgb, header_columns

from excel_bridge.prefill import write_prefilled
from excel_bridge.prefill_marks import PREFILL_HOUSEHOLDS_KEY, PREFILL_KEY, household_digest
from excel_bridge.read import META_SHEET
from excel_bridge.workflow import ASSISTING, NOT_INCLUDED
from excel_bridge.writers.common import TO_FILL

pytestmark = pytest.mark.backends

VILLAGE = "石塘村"


def _identified_rows() -> dict:
    """石塘村: A identified before this system (帮扶中, with a measure), B a 脱贫户 not monitored."""
    rows = base_rows()
    rows["household"][0].update(identified_date=dt.date(2021, 6, 1), household_no="4402050010010001",
                                contact_person=None, contact_phone=None)
    rows["household"][1].update(wage_income=3000)  # 11000 a person: above the line, not monitored
    rows["measure"] = [measure(HEAD_A)]
    return rows


def _processed(proc, ws, config) -> None:
    drop(ws, config, _identified_rows())
    assert {f.name: f.status for f in proc.run_pass(wait=0.05).files} == {"石塘村.xlsx": "applied"}


def _prefilled(ws, config) -> Path:
    with ws.open_store() as store:
        paths = write_prefilled(ws, store, config, [(TOWN, VILLAGE)])
    assert paths == [ws.prefilled_path(TOWN, VILLAGE)]
    return paths[0]


def test_prefilled_workbook_holds_the_ledger_and_marks_what_to_fill(proc, ws, config):
    _processed(proc, ws, config)
    path = _prefilled(ws, config)
    assert path.parent == ws.village_feedback(TOWN, VILLAGE)
    households = calamine_records(path, "户信息")
    assert [h["户主身份证号"] for h in households] == [HEAD_A, HEAD_B]
    a = households[0]
    assert a["户编号"] == "4402050010010001" and a["识别纳入日期"] == dt.date(2021, 6, 1)
    assert a["流程状态"] == ASSISTING and households[1]["流程状态"] == NOT_INCLUDED
    members = calamine_records(path, "家庭成员")
    assert [m["身份证号"] for m in members][2] == SON_A and len(members) == 4
    assert [m["措施类别"] for m in calamine_records(path, "帮扶措施")] == ["就业帮扶"]

    book = openpyxl.load_workbook(path)
    meta = {r[0].value: r[1].value for r in book[META_SHEET].iter_rows()}
    assert meta[PREFILL_KEY] == "台账预填" and meta["村"] == VILLAGE
    assert meta[PREFILL_HOUSEHOLDS_KEY].split() == [household_digest(HEAD_A), household_digest(HEAD_B)]
    assert book[META_SHEET].sheet_state == "hidden"
    ws_h = book["户信息"]
    cols = header_columns(ws_h)
    contact = ws_h.cell(row=2, column=cols["监测联系人"])
    assert contact.value is None and fill_rgb(contact) == TO_FILL
    assert contact.comment is not None and "监测联系人" in contact.comment.text
    # B is not monitored: no contact asked of it
    assert fill_rgb(ws_h.cell(row=3, column=cols["监测联系人"])) != TO_FILL
    # protected: headers and the system columns; the clerk's cells are not
    assert ws_h.protection.sheet
    assert ws_h.cell(row=1, column=1).protection.locked
    assert ws_h.cell(row=2, column=cols["流程状态"]).protection.locked
    assert not ws_h.cell(row=2, column=cols["户主姓名"]).protection.locked
    assert ws_h.cell(row=2, column=cols["户主身份证号"]).number_format == "@"
    assert ws_h.freeze_panes == "F2"
