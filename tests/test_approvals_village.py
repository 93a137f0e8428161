"""The village step of the identification chain through real files, and overdue identification (split from
test_approvals.py, issue 23). Dates are relative to today; helpers: tests/approvals_helpers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from approvals_helpers import (
    D,
    T,
    lead_rows,
    outcomes,
    pending,
    problems,
    returned,
    returned_row,
    run,
    town_book,
)
from factory import (
    HEAD_A,
    HEAD_B,
    TOWN,
    TOWN_SHEET,
    base_rows,
    drop,
    ledger_row,
    review,
    table_of,
    transitions_of,
    write,
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


# --- the village step through real files ---------------------------------------------------------------

def test_notice_too_short_is_an_error_in_the_returned_copy(ws, cfg, proc):
    drop(ws, cfg, lead_rows() | {"review": [review(HEAD_B, review_date=T - D(20), notice_start=T - D(19),
                                                   notice_end=T - D(16))]})
    report = run(proc)
    assert outcomes(report) == [("石塘村.xlsx", TOWN, "applied", "2户，错误1处，提示0条")]
    assert ledger_row(ws, HEAD_B).state == "线索"
    [p] = problems(ws)
    assert {k: p[k] for k in ("严重程度", "工作表", "行号", "列名", "填写内容", "问题说明", "修改建议")} == {
        "严重程度": "错误", "工作表": "评议公示", "行号": 2.0, "列名": "公示结束日期", "填写内容": "4",
        "问题说明": "公示只有 4 天，少于规定的 5 天（含首尾两天）。", "修改建议": "请重新公示满 5 天后再提交。"}
    wb = openpyxl.load_workbook(returned(ws))
    cell = wb["评议公示"]["F2"]
    assert wb["评议公示"]["F1"].value == "公示结束日期"
    assert "公示只有 4 天，少于规定的 5 天（含首尾两天）。" in cell.comment.text
    assert pending(town_book(ws), TOWN_SHEET) == []


def test_notice_still_running_waits_then_goes_to_the_town(ws, cfg, proc):
    rows = lead_rows()
    rows["review"] = [review(HEAD_B, review_date=T - D(3), notice_start=T - D(2), notice_end=T + D(2))]
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    assert problems(ws) == []
    # the clerk is told the notice is running and what happens when it ends (not asked to hold one again)
    assert returned_row(ws, "李秀英")["审核意见"] == f"公示中，至{T + D(2)}结束后自动报镇核查"
    # after the notice, the village's next file sends it
    proc.as_of = T + D(3)
    rows["household"][0]["note"] = "本月更新"
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"


def test_notice_still_running_then_same_file_after_it_ended(ws, cfg, proc):
    rows = lead_rows()
    rows["review"] = [review(HEAD_B, review_date=T - D(3), notice_start=T - D(2), notice_end=T + D(2))]
    first = drop(ws, cfg, rows)
    kept = ws.root / "kept.xlsx"
    shutil.copy2(first, kept)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    proc.as_of = T + D(3)
    shutil.copy2(kept, ws.town_inbox(TOWN) / "石塘村.xlsx")
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"


def test_consent_missing_is_an_error_and_the_lead_waits(ws, cfg, proc):
    rows = lead_rows()
    rows["household"][1]["consent"] = "否"
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    [p] = problems(ws)
    assert {k: p[k] for k in ("严重程度", "工作表", "行号", "列名", "填写内容", "问题说明")} == {
        "严重程度": "错误", "工作表": "户信息", "行号": 3.0, "列名": "承诺授权", "填写内容": "否",
        "问题说明": "本户已通过评议公示，但“承诺授权”不是“是”，不能报镇里核查。"}
    assert pending(town_book(ws), TOWN_SHEET) == []


def test_system_columns_typed_by_a_clerk_change_nothing(ws, cfg, proc):
    staging = ws.root / "_typed"
    staging.mkdir()
    path = write(staging / "石塘村.xlsx", cfg, base_rows())
    wb = openpyxl.load_workbook(path)
    sheet = wb["户信息"]
    last = sheet.max_column
    for i, header in enumerate(("流程状态", "审核意见"), start=1):
        sheet.cell(1, last + i).value = header
    sheet.cell(2, last + 1).value, sheet.cell(2, last + 2).value = "待区审批", "镇级同意"
    sheet.cell(3, last + 1).value, sheet.cell(3, last + 2).value = "帮扶中", "区级同意：同意纳入"
    wb.save(path)
    shutil.copy2(path, ws.town_inbox(TOWN) / "石塘村.xlsx")
    report = run(proc)
    assert outcomes(report) == [("石塘村.xlsx", TOWN, "applied", "2户，错误0处，提示0条")]
    a, b = ledger_row(ws, HEAD_A), ledger_row(ws, HEAD_B)
    assert (a.state, a.opinion, b.state, b.opinion, b.identified_date) == ("未纳入", "", "线索", "", None)
    assert transitions_of(ws, HEAD_A) == transitions_of(ws, HEAD_B) == []
    rb = returned_row(ws, "李秀英")
    assert (rb["流程状态"], rb["审核意见"]) == ("线索", (
        "建议纳入监测：请组织民主评议并公示满5天，把评议公示情况填入台账提交；公示结束后（农户须已签承诺授权）系统自动报镇核查"))
    assert returned_row(ws, "陈伟")["流程状态"] == "未纳入"


# --- (f) overdue identification ------------------------------------------------------------------------

def test_overdue_identification_is_a_warning(ws, cfg, proc):
    drop(ws, cfg, base_rows())  # B becomes a lead, no review yet
    run(proc)
    lead = ledger_row(ws, HEAD_B).lead_date

    def overdue(path: Path) -> list[dict]:
        return [r for r in table_of(path, "预警", "说明") if r["类型"] == "识别超期"]

    proc.as_of = lead + D(15)
    run(proc, force_outputs=True)
    assert overdue(ws.master_path) == [] and overdue(town_book(ws)) == []
    proc.as_of = lead + D(16)
    run(proc, force_outputs=True)
    message = f"{lead} 发现线索，已 16 天仍未认定（规定不超过 15 天），当前“线索”"
    assert overdue(ws.master_path) == [{"类型": "识别超期", "镇": TOWN, "村": "石塘村", "户编号": "LS440205000001",
                                        "户主姓名": "李秀英", "说明": message}]
    assert overdue(town_book(ws)) == [{"类型": "识别超期", "村": "石塘村", "户编号": "LS440205000001",
                                       "户主姓名": "李秀英", "说明": message}]
    assert overdue(town_book(ws, "大塘镇")) == []
