"""The pre-filled village workbook (预填台账, issues 21 and 22): written from the ledger like the template, what the
ledger does not hold marked to fill, and dropped back unchanged it is "still to fill" per household, counts
nothing twice and changes no state."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest
from factory import (
    HEAD_A,
    HEAD_B,
    OTHER_ID,
    SON_A,
    TOWN,
    WIFE_A,
    base_rows,
    calamine_records,
    drop,
    measure,
    member_count,
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
    # what to fill is said once, on the column's header, not on each marked cell
    assert contact.comment is None
    head = ws_h.cell(row=1, column=cols["监测联系人"]).comment
    assert head is not None and head.text.startswith("标色的格子请入户核实后填写：") and "“监测联系人”" in head.text
    assert ws_h.cell(row=1, column=cols["户主姓名"]).comment is None  # nothing of it to fill
    assert sum(cell.comment is not None for row in ws_h.iter_rows(min_row=2) for cell in row) == 0
    # B is not monitored: no contact asked of it
    assert fill_rgb(ws_h.cell(row=3, column=cols["监测联系人"])) != TO_FILL
    # protected: headers and the system columns; the clerk's cells are not
    assert ws_h.protection.sheet
    assert ws_h.cell(row=1, column=1).protection.locked
    assert ws_h.cell(row=2, column=cols["流程状态"]).protection.locked
    assert not ws_h.cell(row=2, column=cols["户主姓名"]).protection.locked
    assert ws_h.cell(row=2, column=cols["户主身份证号"]).number_format == "@"
    assert ws_h.freeze_panes == "F2"


# --- the round trip: dropped back unchanged, nothing is counted twice ---------------------------------------

NATIONAL_NO_A, NATIONAL_NO_B = "4402050010010001", "4402050010010002"


def _imported(ws) -> None:
    """The ledger as a national import leaves it (issue 21): A identified (帮扶中, its category, national number),
    B a 脱贫户 not monitored; names, IDs and what the national list holds of its people, nothing more."""
    at = dt.datetime(2021, 12, 1, 9, 0)
    national = {"education": "初中", "schooling": None, "health": ["健康"], "labour": "普通劳动力", "work_months": 6}
    with ws.open_store() as store, store.atomic():
        for no, head, name, state, category, people in (
                (NATIONAL_NO_A, HEAD_A, "陈伟", ASSISTING, "边缘易致贫户",
                 [(HEAD_A, "陈伟", "户主"), (WIFE_A, "黄丽", "配偶"), (SON_A, "陈强", "之子")]),
                (NATIONAL_NO_B, HEAD_B, "李秀英", NOT_INCLUDED, None, [(HEAD_B, "李秀英", "户主")])):
            data = {"household_no": no, "town": TOWN, "village": VILLAGE, "head_name": name, "head_id": head,
                    "household_type": "脱贫户", "size": len(people),
                    "identified_date": "2021-05-01" if category else None}
            hid = store.households.create(
                head_id=head, head_name=name, town=TOWN, village=VILLAGE, state=state, household_no=no,
                provisional=False, lead_date=None, identified_date=dt.date(2021, 5, 1) if category else None,
                submission_id=None, row=None, data=data, assessment={"category": category}, errors=0, warnings=0,
                at=at)
            if category:
                store.households.set_state(hid, state=state, version=1, at=at, category=category)
            store.households.replace_children(hid, town=TOWN, village=VILLAGE, members=[
                {"head_id": head, "person_id": pid, "name": n, "relation": rel, **national} for pid, n, rel in people],
                measures=[], reviews=[])


def _ledger(ws) -> list[tuple[int, str, str, str | None]]:
    with ws.open_store() as store:
        return [(h.id, h.head_id, h.state, h.household_no) for h in store.households.list()]


def _drop_back(ws, path: Path, name: str = "石塘村预填.xlsx") -> Path:
    target = ws.town_inbox(TOWN) / name
    shutil.copy2(path, target)
    return target


def test_dropped_back_unchanged_it_asks_per_household_and_changes_nothing(proc, ws, config):
    _imported(ws)
    before = _ledger(ws)
    path = _prefilled(ws, config)
    book = openpyxl.load_workbook(path)
    h, m = book["户信息"], book["家庭成员"]
    hc, mc = header_columns(h), header_columns(m)
    for header in ("工资性收入", "承诺授权", "吃穿不愁", "收入年度", "线索来源"):  # what a national list does not hold
        assert fill_rgb(h.cell(row=2, column=hc[header])) == TO_FILL, header
    assert fill_rgb(m.cell(row=2, column=mc["参加基本医疗保险"])) == TO_FILL
    assert m.cell(row=2, column=mc["健康状况"]).value == "健康"

    _drop_back(ws, path)
    report = proc.run_pass(wait=0.05)
    assert {f.name: f.status for f in report.files} == {"石塘村预填.xlsx": "applied"}
    with ws.open_store() as store:
        sub = store.submissions.all()[-1]
        issues = store.submissions.issues_of(sub.id)
    assert [i.code for i in issues if i.severity == "error"] == []
    hints = [i for i in issues if i.code == "PREFILL_TO_FILL"]
    assert [(i.row, i.severity) for i in hints] == [(2, "warning"), (3, "warning")]
    assert "工资性收入" in hints[0].message and "家庭成员·参加基本医疗保险" in hints[0].message
    assert "REQUIRED" not in {i.code for i in issues}
    # the identified household's contact, marked to fill: one hint while the workbook is still to fill, no error
    [contact] = [i for i in issues if i.code == "CONTACT_TO_FILL"]
    assert (contact.row, contact.severity) == (2, "warning")
    assert "监测联系人、联系人电话" in contact.message
    assert _ledger(ws) == before  # same households, same ids, states and numbers
    assert member_count(ws) == 4


def test_a_household_the_clerk_adds_is_checked_like_any_other(proc, ws, config):
    """The "still to fill" hint is only for the households we pre-filled: a new row with an empty required cell
    is the REQUIRED error it always was."""
    _imported(ws)
    path = _prefilled(ws, config)
    book = openpyxl.load_workbook(path)
    h, m = book["户信息"], book["家庭成员"]
    hc, mc = header_columns(h), header_columns(m)
    new_head = OTHER_ID
    for header, value in (("镇", TOWN), ("村", VILLAGE), ("户主姓名", "赵六"), ("户主身份证号", new_head),
                          ("户类型", "普通农户"), ("家庭人口数", 1), ("线索来源", "入户走访"), ("收入年度", 2021)):
        h.cell(row=4, column=hc[header], value=value)
    for header, value in (("户主身份证号", new_head), ("姓名", "赵六"), ("身份证号", new_head), ("与户主关系", "户主"),
                          ("文化程度", "初中"), ("健康状况", "健康"), ("劳动技能", "普通劳动力"),
                          ("参加基本医疗保险", "是"), ("享受低保", "否"), ("特困供养", "否"), ("失能", "否")):
        m.cell(row=6, column=mc[header], value=value)
    book.save(path)
    _drop_back(ws, path)
    proc.run_pass(wait=0.05)
    with ws.open_store() as store:
        issues = store.submissions.issues_of(store.submissions.all()[-1].id)
    assert ("REQUIRED", 4, "工资性收入") in {(i.code, i.row, i.column) for i in issues}
    assert [i.row for i in issues if i.code == "PREFILL_TO_FILL"] == [2, 3]


def test_filled_in_it_is_an_ordinary_village_file(proc, ws, config):
    _processed(proc, ws, config)
    path = _prefilled(ws, config)
    book = openpyxl.load_workbook(path)
    h = book["户信息"]
    hc = header_columns(h)
    h.cell(row=2, column=hc["监测联系人"], value="刘村干")
    h.cell(row=2, column=hc["联系人电话"], value="13900139000")
    book.save(path)
    _drop_back(ws, path)
    report = proc.run_pass(wait=0.05)
    assert {f.name: f.status for f in report.files} == {"石塘村预填.xlsx": "applied"}
    with ws.open_store() as store:
        issues = store.submissions.issues_of(store.submissions.all()[-1].id)
        rows = store.households.list()
    assert [i.code for i in issues] == []
    assert [(r.head_id, r.state, r.data["contact_person"]) for r in rows] == [
        (HEAD_A, ASSISTING, "刘村干"), (HEAD_B, NOT_INCLUDED, None)]
    assert member_count(ws) == 4


def test_removed_households_are_left_out_and_the_others_kept(proc, ws, config):
    """B (not monitored) is no longer in the village's file: 已移出, left out of the pre-filled workbook."""
    _processed(proc, ws, config)
    rows = _identified_rows()
    rows["household"] = rows["household"][:1]
    rows["member"] = rows["member"][:3]
    drop(ws, config, rows, name="石塘村v2.xlsx")
    proc.run_pass(wait=0.05)
    with ws.open_store() as store:
        assert {h.head_id: (h.state, h.on_file) for h in store.households.list()}[HEAD_B][1] is False
    path = _prefilled(ws, config)
    assert [h["户主身份证号"] for h in calamine_records(path, "户信息")] == [HEAD_A]
    assert len(calamine_records(path, "家庭成员")) == 3


def test_the_ledger_is_read_once_per_table(proc, ws, config):
    """No query per household or village: the towns with households, then one SELECT per table (households,
    members, measures, reviews) for each of them (石塘村's 马坝镇 here)."""
    from sqlalchemy import event

    from excel_bridge.prefill import prefill_villages
    from excel_bridge.writers.prefilled import PrefillPlan

    _processed(proc, ws, config)
    statements: list[str] = []
    with ws.open_store() as store:
        event.listen(store.db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        done = prefill_villages(ws, store, config, None, plan=PrefillPlan(purpose="台账预填"))
    assert done.households == 2 and done.members == 4
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 1 + 4, selects
