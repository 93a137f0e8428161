"""The approval chains' refusals through the real files (split from test_approvals.py, issue 23): each refusal is
checked in the line above the decision table of the next copy of that workbook, with the household's state
unchanged. Dates are relative to today (the ledger stamps with the wall clock); helpers: tests/approvals_helpers.py."""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from approvals_helpers import (
    NOTE,
    D,
    T,
    lead_rows,
    outcomes,
    pending,
    run,
    state_and_version,
    to_district,
    to_town,
    town_book,
    unarchived,
)
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN,
    TOWN_SHEET,
    add_decision_row,
    decide,
    drop,
    ledger_row,
    note_line,
    review,
    sha256_file,
    transitions_of,
)

from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


# --- the district on disk -------------------------------------------------------------------------

@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def proc(ws, runner):
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


# --- refusals, each shown in the next copy of the workbook ---------------------------------------------

def test_district_decision_typed_into_the_town_workbook_is_refused(ws, cfg, proc):
    to_district(ws, cfg, proc)
    [row] = pending(ws.master_path, MASTER_SHEET)
    add_decision_row(town_book(ws), TOWN_SHEET, {
        "户主姓名": "李秀英", "核查结论": "同意", "核查意见": "同意", "核查人": "王核查", "行令牌": row["行令牌"]})
    before = state_and_version(ws)
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", TOWN, "decisions", "0 项决定生效，1 项未生效（见新表格顶部说明）")]
    assert state_and_version(ws) == before == ("待区认定", 3)
    assert note_line(town_book(ws), TOWN_SHEET) == (
        NOTE + "李秀英户（户编号LS440205000001）：石塘村李秀英户当前状态为“待区认定”，不应由镇级决定")
    assert len(pending(ws.master_path, MASTER_SHEET)) == 1  # still waiting for the district
    # shown once: the copy after that is clean again
    run(proc, force_outputs=True)
    assert note_line(town_book(ws), TOWN_SHEET) is None


def test_town_decision_typed_into_the_master_is_refused(ws, cfg, proc):
    to_town(ws, cfg, proc)
    [row] = pending(town_book(ws), TOWN_SHEET)
    add_decision_row(ws.master_path, MASTER_SHEET, {
        "户主姓名": "李秀英", "区级结论": "同意", "审核意见": "同意", "审核人": "李审核", "行令牌": row["行令牌"]})
    run(proc)
    assert state_and_version(ws) == ("待镇核查", 2)
    assert note_line(ws.master_path, MASTER_SHEET) == (
        NOTE + "李秀英户（户编号LS440205000001）：石塘村李秀英户当前状态为“待镇核查”，不应由区级决定")
    assert note_line(town_book(ws), TOWN_SHEET) is None
    assert transitions_of(ws, HEAD_B)[-1].to_state == "待镇核查"


def test_master_dropped_into_a_town_inbox_is_refused(ws, cfg, proc):
    to_district(ws, cfg, proc)
    master_before = sha256_file(ws.master_path)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入", "李审核", T,
           save_to=ws.town_inbox(TOWN) / "区级总台账.xlsx")
    assert sha256_file(ws.master_path) == master_before
    report = run(proc)
    refusal = "区级总台账只能由区里在“区级”文件夹中直接修改保存，放入镇收件箱的不会生效"
    assert outcomes(report) == [("区级总台账.xlsx", TOWN, "refused", refusal)]
    assert state_and_version(ws) == ("待区认定", 3)
    assert unarchived(note_line(town_book(ws), TOWN_SHEET)) == NOTE + "区级总台账.xlsx：" + refusal


def test_town_workbook_dropped_into_another_towns_inbox_is_refused(ws, cfg, proc):
    to_town(ws, cfg, proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T,
           save_to=ws.town_drop("大塘镇") / "马坝镇_镇级核查表.xlsx")
    report = run(proc)
    refusal = "这是马坝镇的镇级核查表，放在大塘镇的文件夹中不会生效"
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", "大塘镇", "refused", refusal)]
    assert state_and_version(ws) == ("待镇核查", 2)
    assert unarchived(note_line(town_book(ws, "大塘镇"), TOWN_SHEET)) == NOTE + "马坝镇_镇级核查表.xlsx：" + refusal
    assert note_line(town_book(ws), TOWN_SHEET) is None
    assert [r["户主姓名"] for r in pending(town_book(ws), TOWN_SHEET)] == ["李秀英"]


def test_household_of_another_town_is_refused_in_that_towns_workbook(ws, cfg, proc):
    to_town(ws, cfg, proc)
    [row] = pending(town_book(ws), TOWN_SHEET)
    add_decision_row(town_book(ws, "大塘镇"), TOWN_SHEET, {
        "户主姓名": "李秀英", "核查结论": "同意", "核查意见": "同意", "核查人": "赵核查", "行令牌": row["行令牌"]})
    run(proc)
    assert state_and_version(ws) == ("待镇核查", 2)
    assert note_line(town_book(ws, "大塘镇"), TOWN_SHEET) == (
        NOTE + "李秀英户：石塘村李秀英户不属于大塘镇，不能在本镇核查表中决定")
    assert pending(town_book(ws, "大塘镇"), TOWN_SHEET) == []


def test_row_from_an_older_copy_is_refused(ws, cfg, proc):
    to_town(ws, cfg, proc)
    old_copy = ws.root / "旧核查表.xlsx"
    shutil.copy2(town_book(ws), old_copy)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待区认定"
    # someone fills in the old copy afterwards and drops it in
    decide(old_copy, TOWN_SHEET, "李秀英", "退回", "材料不全", "张核查", T,
           save_to=ws.town_drop(TOWN) / "马坝镇_镇级核查表.xlsx")
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", TOWN, "decisions", "0 项决定生效，1 项未生效（见新表格顶部说明）")]
    assert state_and_version(ws) == ("待区认定", 3)
    assert note_line(town_book(ws), TOWN_SHEET) == (
        NOTE + "李秀英户（户编号LS440205000001）：石塘村李秀英户的状态已变为“待区认定”，这一行来自旧版表格，本次决定未生效")
    assert [e.person for e in transitions_of(ws, HEAD_B)] == [None, "王核查"]


def test_stale_master_row_is_refused(ws, cfg, proc):
    to_district(ws, cfg, proc)
    old_master = ws.root / "旧总台账.xlsx"
    shutil.copy2(ws.master_path, old_master)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "退回", "请补充材料", "李审核", T)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    # the old copy, filled in and saved over the master
    decide(old_master, MASTER_SHEET, "李秀英", "同意", "同意纳入", "周审核", T, save_to=ws.master_path)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    assert note_line(ws.master_path, MASTER_SHEET) == (
        NOTE + "李秀英户（户编号LS440205000001）：石塘村李秀英户的状态已变为“线索”，这一行来自旧版表格，本次决定未生效")


def test_invalid_rows_of_one_workbook_are_all_refused_and_listed(ws, cfg, proc):
    to_town(ws, cfg, proc)
    [row] = pending(town_book(ws), TOWN_SHEET)
    token = row["行令牌"]
    book = town_book(ws)
    decide(book, TOWN_SHEET, "李秀英", "退回", None, "王核查", T)  # 退回 without a reason
    extra = [
        {"核查结论": "可以", "核查意见": "", "行令牌": token},                               # not a choice
        {"核查结论": "不予认定", "核查意见": "不符合条件", "行令牌": token},                   # not the town's to choose
        {"核查结论": "同意", "核查意见": "", "行令牌": token[:-1] + ("0" if token[-1] != "0" else "1")},  # altered
        {"核查结论": "同意", "核查意见": "", "行令牌": None},                                 # token deleted
    ]
    for values in extra:
        add_decision_row(book, TOWN_SHEET, {"户主姓名": "李秀英", "核查人": "王核查", **values})
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", TOWN, "decisions", "0 项决定生效，5 项未生效（见新表格顶部说明）")]
    assert state_and_version(ws) == ("待镇核查", 2)
    assert note_line(town_book(ws), TOWN_SHEET) == NOTE + "；".join([
        "李秀英户（户编号LS440205000001）：石塘村李秀英户选择了“退回”，但没有写明原因（核查意见栏），本次决定未生效"
        "（已填的保留在新表格的这一行，补上标红的格子后保存即可）",
        "李秀英户（户编号LS440205000001）：“可以”不是可选的结论（可选：同意、退回、不予纳入）",
        "李秀英户（户编号LS440205000001）：石塘村李秀英户当前状态为“待镇核查”，镇级不能执行“不予认定”（镇级此时可选：同意、退回、不予纳入）",
        "李秀英户：行令牌无效，无法确认是哪一户，请使用系统最新生成的表格",
        "李秀英户：这一行的隐藏行令牌缺失或被改动，无法确认是哪一户，请使用系统最新生成的表格",
    ])
    # the household is still waiting in the new copy, ready to be decided again
    assert [r["户主姓名"] for r in pending(town_book(ws), TOWN_SHEET)] == ["李秀英"]
    assert len(transitions_of(ws, HEAD_B)) == 1


def test_decisions_in_a_workbook_whose_token_column_was_deleted_are_not_silently_dropped(ws, cfg, proc):
    to_town(ws, cfg, proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T)
    wb = openpyxl.load_workbook(town_book(ws))
    sheet = wb[TOWN_SHEET]
    sheet.delete_cols([c.column for c in sheet[2] if c.value == "行令牌"][0])
    wb.save(town_book(ws))
    report = run(proc)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    assert [f.status for f in report.files] == ["decisions"]
    assert note_line(town_book(ws), TOWN_SHEET) is not None


def test_one_refused_row_does_not_block_the_others(ws, cfg, proc):
    rows = lead_rows()
    rows["household"][0].update(wage_income=12000)  # A: (12000+6000+3000-3000)/3 = 6000 < 9600, a lead too
    rows["review"].append(review(HEAD_A, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15)))
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == ledger_row(ws, HEAD_B).state == "待镇核查"
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "属实", "王核查", T)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "", "王核查", T)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == "待区认定"
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    [row] = pending(town_book(ws), TOWN_SHEET)
    assert row["户主姓名"] == "李秀英"
    assert note_line(town_book(ws), TOWN_SHEET).startswith(NOTE + "李秀英户（户编号LS440205000002）：石塘村李秀英户选择了“退回”")
