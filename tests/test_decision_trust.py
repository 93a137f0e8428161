"""A decision counts only for what the decider saw (issue 18, items 1, 2, 13): a town's 同意 typed on an older
copy of its 镇级核查表 is refused once the village's newer file changed that household (income, phone), and
kept valid when the household did not change; a token cell typed with other scripts' digits is no token and
stops nothing; a decision workbook that cannot be applied is reported for itself while the village file of the
same pass is applied; a refused row is named by its household, inside the printed page.

Real passes on real files (a Processor with a spawned worker), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from conftest import needs_soffice
from factory import (
    HEAD_A,
    HEAD_B,
    TOWN,
    TOWN_SHEET,
    base_rows,
    decide,
    drop,
    ledger_row,
    note_line,
    review,
    table_of,
    transitions_of,
)
from xlsx_helpers import pdf_page_texts, soffice_convert

from excel_bridge.pipeline import Processor

T = dt.date.today()
D = dt.timedelta
NOTE = "上次提交中未生效的决定："
CHANGED = ("石塘村李秀英户的信息在这份表格生成后有变化（村里新报的台账改了本户的数字、成员、电话或备注等），"
           "这一行来自旧版表格，本次决定未生效，请在最新表格中看过本户后重新决定")

pytestmark = pytest.mark.backends


@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def proc(ws, runner):
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


def run(p: Processor):
    return p.run_pass(wait=0.05)


def lead_rows() -> dict:
    """B (李秀英, alone, 8000 元/人 < 9600) with a passed 纳入监测 review whose notice ended 15 days ago."""
    rows = base_rows()
    rows["review"] = [review(HEAD_B, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))]
    return rows


def to_town(ws, cfg, p) -> None:
    drop(ws, cfg, lead_rows())
    run(p)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"


def decided_old_copy(ws, tmp: Path) -> Path:
    """Yesterday's 镇级核查表 kept by the town (a copy taken now, decided later)."""
    old = tmp / "昨天的核查表.xlsx"
    shutil.copy2(ws.town_review_path(TOWN), old)
    return old


def drop_decision(ws, old: Path) -> None:
    """The town decides 同意 on its old copy and drops it into its own drop folder."""
    decide(old, TOWN_SHEET, "李秀英", "同意", "入户核实属实", "王核查", T,
           save_to=ws.town_drop(TOWN) / "马坝镇_镇级核查表.xlsx")


def outcomes(report) -> list[tuple[str, str]]:
    return [(re.sub(r"^[0-9a-f]{16}_", "", f.name), f.status) for f in report.files]


def token_of(ws, name: str = "李秀英") -> str:
    [row] = [r for r in table_of(ws.town_review_path(TOWN), TOWN_SHEET, "行令牌") if r["户主姓名"] == name]
    return row["行令牌"]


@pytest.mark.parametrize("change", [{"wage_income": 80000}, {"phone": "13912345678"}, {"note": "已外出务工"}],
                         ids=["income", "phone", "remark"])
def test_a_decision_on_a_row_the_village_changed_since_is_refused(ws, cfg, proc, tmp_path, change):
    to_town(ws, cfg, proc)
    old = decided_old_copy(ws, tmp_path)
    before = token_of(ws)
    rows = lead_rows()
    rows["household"][1].update(change)  # the village re-drops its file: B's 工资性收入 / 联系电话 / 备注 changed
    drop(ws, cfg, rows)
    assert outcomes(run(proc)) == [("石塘村.xlsx", "applied")]
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.version) == ("待镇核查", 2)  # still waiting for the town, the same state and version
    assert token_of(ws) != before  # the new workbook's row has a new token

    drop_decision(ws, old)
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", "decisions")]
    assert report.files[0].message == "0 项决定生效，1 项未生效（见新表格顶部说明）"
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.version) == ("待镇核查", 2)
    assert [e.person for e in transitions_of(ws, HEAD_B)] == [None]  # only the system's 研判建议纳入
    assert note_line(ws.town_review_path(TOWN), TOWN_SHEET) == (
        NOTE + f"李秀英户（户编号{b.household_no}）：" + CHANGED)
    # nothing typed on the old row is carried into the new one
    [row] = table_of(ws.town_review_path(TOWN), TOWN_SHEET, "行令牌")
    assert (row["核查结论"], row["核查人"]) == ("", "")


def test_a_file_sent_again_without_changing_the_household_keeps_its_row_valid(ws, cfg, proc, tmp_path):
    to_town(ws, cfg, proc)
    old = decided_old_copy(ws, tmp_path)
    before = token_of(ws)
    rows = lead_rows()
    rows["household"][0]["phone"] = "13700000000"  # another household of the file changed, B's did not
    drop(ws, cfg, rows)
    assert outcomes(run(proc)) == [("石塘村.xlsx", "applied")]
    assert token_of(ws) == before

    drop_decision(ws, old)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待区认定"
    assert [e.person for e in transitions_of(ws, HEAD_B)] == [None, "王核查"]
    assert note_line(ws.town_review_path(TOWN), TOWN_SHEET) is None


def test_what_a_refused_row_kept_as_typed_is_not_carried_into_a_row_the_village_changed(ws, cfg, proc):
    """A 同意 refused for want of a 核查人 comes back as typed in the next copy (to fill in the red cell); once the
    village's new file changes the household, the new row is empty: nothing decided on the old figures is offered."""
    to_town(ws, cfg, proc)
    book = ws.town_review_path(TOWN)
    decide(book, TOWN_SHEET, "李秀英", "同意", "属实", None, T)
    run(proc)
    [row] = table_of(book, TOWN_SHEET, "行令牌")
    assert (row["核查结论"], row["核查意见"], row["核查人"]) == ("同意", "属实", "")  # kept as typed
    rows = lead_rows()
    rows["household"][1]["wage_income"] = 80000
    drop(ws, cfg, rows)
    assert outcomes(run(proc)) == [("石塘村.xlsx", "applied")]
    [row] = table_of(book, TOWN_SHEET, "行令牌")
    assert (row["户主姓名"], row["核查结论"], row["核查意见"], row["核查人"]) == ("李秀英", "", "", "")
    assert ledger_row(ws, HEAD_B).state == "待镇核查"


@pytest.mark.parametrize("typed", ["²-1-abc", "４²-1-abc", "٤-1-0123456789abcdef", "99999999999999999999-1-abc"])
def test_a_token_cell_typed_with_other_digits_stops_nothing(ws, cfg, proc, typed):
    """“²” passes str.isdigit() and int() refuses it: the whole pass used to crash on it, every pass."""
    to_town(ws, cfg, proc)
    book = ws.town_review_path(TOWN)
    decide(book, TOWN_SHEET, "李秀英", "同意", "属实", "王核查", T)
    wb = openpyxl.load_workbook(book)
    sheet = wb[TOWN_SHEET]
    header = next(r for r in range(1, 6) if "行令牌" in [c.value for c in sheet[r]])
    col = [c.value for c in sheet[header]].index("行令牌") + 1
    sheet.cell(header + 1, col).value = typed
    wb.save(book)
    rows = lead_rows()
    rows["household"][0]["phone"] = "13700000000"  # the village's new file in the same pass
    drop(ws, cfg, rows)
    report = run(proc)
    assert sorted(outcomes(report)) == [("石塘村.xlsx", "applied"), ("马坝镇_镇级核查表.xlsx", "decisions")]
    assert ledger_row(ws, HEAD_A).data["phone"] == "13700000000"
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    assert note_line(book, TOWN_SHEET) == (
        NOTE + "李秀英户（户编号" + ledger_row(ws, HEAD_B).household_no + "）：这一行的隐藏行令牌缺失或被改动，"
        "无法确认是哪一户，请使用系统最新生成的表格")


def test_a_decision_workbook_that_cannot_be_applied_fails_alone(ws, cfg, proc):
    """Applying the town's saved workbook raises (here the ledger refuses to record it as read: a trigger, as a
    full disk would): the workbook is reported for itself and the village file of the same pass is applied; the
    decision is not half done and is read again, and applied, once the ledger takes it."""
    to_town(ws, cfg, proc)
    book = ws.town_review_path(TOWN)
    decide(book, TOWN_SHEET, "李秀英", "同意", "属实", "王核查", T)
    with ws.open_store() as store, store.atomic() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON outputs WHEN NEW.kind = 'read'"
                                 " BEGIN SELECT RAISE(ABORT, 'boom'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                                 " RAISE EXCEPTION 'boom'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER boom BEFORE INSERT ON outputs FOR EACH ROW"
                                 " WHEN (NEW.kind = 'read') EXECUTE FUNCTION boom()")
    rows = lead_rows()
    rows["household"][0]["phone"] = "13700000000"
    drop(ws, cfg, rows)
    report = run(proc)
    assert sorted(outcomes(report)) == [("石塘村.xlsx", "applied"), ("马坝镇_镇级核查表.xlsx", "failed")]
    failed = next(f for f in report.files if f.status == "failed")
    assert failed.message.startswith("读取审核决定时出错：") and "boom" in failed.message
    assert ledger_row(ws, HEAD_A).data["phone"] == "13700000000"  # the village file was applied
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    with ws.open_store() as store, store.atomic() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom" if store.dialect == "sqlite" else "DROP TRIGGER boom ON outputs")
    assert outcomes(run(proc)) == [("马坝镇_镇级核查表.xlsx", "decisions")]
    assert ledger_row(ws, HEAD_B).state == "待区认定"


@needs_soffice
def test_the_refused_decision_is_named_by_household_on_the_printed_page(ws, cfg, proc, tmp_path, backend, lo_profile):
    """The town works from paper: the note above the table is inside the print area, on the first page of
    待镇审核, and names the household (the new workbook's row numbers are not the old one's)."""
    if backend is not None:
        pytest.skip("the page is the same on both backends")
    to_town(ws, cfg, proc)
    old = decided_old_copy(ws, tmp_path)
    rows = lead_rows()
    rows["household"][1]["wage_income"] = 80000
    drop(ws, cfg, rows)
    run(proc)
    drop_decision(ws, old)
    run(proc)
    book = ws.town_review_path(TOWN)
    number = ledger_row(ws, HEAD_B).household_no
    sheet = openpyxl.load_workbook(book)[TOWN_SHEET]
    assert str(sheet["A2"].value).startswith(NOTE + f"李秀英户（户编号{number}）：")
    assert sheet.print_area.startswith(f"'{TOWN_SHEET}'!$A$2:")  # the note's row, then the header and the rows
    pdf = soffice_convert(book, "pdf", tmp_path / "pdf", lo_profile)
    [page] = [p for p in pdf_page_texts(pdf) if "待镇审核" in p.splitlines()[0]][:1]
    text = "".join(page.split())
    assert f"李秀英户（户编号{number}）：石塘村李秀英户的信息在这份表格生成后有变化" in text
