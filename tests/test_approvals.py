"""Both approval chains end to end through the real files (docs/domain.md “States and who moves them”).

A village workbook (template writer) is copied into 收件箱/马坝镇/; the town's 马坝镇_镇级核查表.xlsx and
the district's 区级总台账.xlsx are edited with openpyxl exactly as a clerk would (choose the decision, type
意见, 人, 日期, save — in place, or a copy dropped into the town's inbox); each pass of a real Processor
(parse jobs in a spawned worker) reads them back. Every refusal is checked in the line above the
decision table of the next copy of that workbook, with the household's state unchanged.

Dates are relative to today: the ledger stamps leads, returns and events with the wall clock.

Split by topic so the files run in parallel (issue 23): this file is (a) identification and 不予认定/退回;
the refusals are in test_approvals_refusals.py, the village step and overdue identification in
test_approvals_village.py, (b) risk elimination in test_approvals_elimination.py; what they share is in
tests/approvals_helpers.py.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from approvals_helpers import (
    NOTE,
    D,
    T,
    dropdown,
    lead_rows,
    outcomes,
    pending,
    problems,
    returned,
    returned_row,
    run,
    to_district,
    to_town,
    town_book,
)
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN,
    TOWN_SHEET,
    base_rows,
    decide,
    drop,
    ledger_row,
    note_line,
    review,
    said,
    sha256_file,
    table_of,
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


# --- (a) identification, the whole way --------------------------------------------------------------

def test_identification_chain_end_to_end(ws, cfg, proc):
    village = drop(ws, cfg, lead_rows())
    village_sha = sha256_file(village)
    report = run(proc)
    assert outcomes(report) == [("石塘村.xlsx", TOWN, "applied", "2户，错误0处，提示0条")]
    assert not village.exists()  # taken out of the inbox once archived
    a, b = ledger_row(ws, HEAD_A), ledger_row(ws, HEAD_B)
    assert (a.state, a.household_no) == ("未纳入", None)
    assert (b.state, b.household_no, b.provisional, b.version) == ("待镇核查", "LS440205000001", True, 2)

    # the town's workbook lists B for 核查, with empty decision cells and its row token
    [row] = pending(town_book(ws), TOWN_SHEET)
    assert {k: row[k] for k in ("事项", "村", "组", "户编号", "户主姓名", "人均纯收入", "监测线", "研判依据", "建议类别",
                                "村级评议公示", "核查结论", "核查意见", "核查人", "核查日期")} == {
        "事项": "纳入监测核查", "村": "石塘村", "组": "一组", "户编号": "LS440205000001", "户主姓名": "李秀英",
        "人均纯收入": 8000.0, "监测线": 9600.0, "研判依据": "人均纯收入不高于监测线", "建议类别": "脱贫不稳定户",
        "村级评议公示": f"纳入监测：{T - D(20)}评议通过，公示{T - D(19)}至{T - D(15)}，异议无",
        "核查结论": "", "核查意见": "", "核查人": "", "核查日期": ""}
    assert row["行令牌"].startswith(f"{b.id}-2-")
    assert note_line(town_book(ws), TOWN_SHEET) is None
    assert dropdown(town_book(ws), TOWN_SHEET, "核查结论") == '"同意,退回,不予纳入"'
    assert pending(ws.master_path, MASTER_SHEET) == []
    # the village already sees where B stands, and B's provisional number is in the clerk's empty 户编号 cell
    rb = returned_row(ws, "李秀英")
    assert (rb["户编号"], rb["流程状态"], rb["审核意见"]) == ("LS440205000001", "待镇核查", "村级评议公示已完成，等待镇里核查")
    ra = returned_row(ws, "陈伟")
    assert (ra["户编号"], ra["流程状态"], ra["审核意见"]) == ("", "未纳入", "研判暂不纳入监测")

    # 镇: 同意, saved in place
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "入户核实情况属实", "王核查", T - D(1))
    town_sha = sha256_file(town_book(ws))
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", TOWN, "decisions", "1 项决定生效")]
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.version, b.opinion) == ("待区认定", 3, "镇级同意：入户核实情况属实")
    assert pending(town_book(ws), TOWN_SHEET) == []  # regenerated after it was read
    [row] = pending(ws.master_path, MASTER_SHEET)
    assert (row["镇"], row["事项"], row["户主姓名"], row["户编号"], row["区级结论"]) == (
        TOWN, "纳入监测认定", "李秀英", "LS440205000001", "")
    # the district sees what the town decided, and the rule id after its words
    assert (row["镇级结论"], row["镇级意见"], row["镇核查人"], row["镇核查日期"], row["研判依据"]) == (
        "同意", "入户核实情况属实", "王核查", T - D(1), "人均纯收入不高于监测线（R-INCOME）")
    assert row["行令牌"].startswith(f"{b.id}-3-")
    assert dropdown(ws.master_path, MASTER_SHEET, "区级结论") == '"同意,退回,不予认定"'
    assert returned_row(ws, "李秀英")["流程状态"] == "待区认定"
    assert returned_row(ws, "李秀英")["审核意见"] == "镇里核查同意，等待区乡村振兴局认定"

    # 区: 同意, saved in place
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入监测", "李审核", T)
    master_sha = sha256_file(ws.master_path)
    report = run(proc)
    assert outcomes(report) == [("区级总台账.xlsx", "区级", "decisions", "1 项决定生效")]
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.version, b.identified_date, b.opinion) == ("帮扶中", 4, T, "区级同意：同意纳入监测")
    assert pending(ws.master_path, MASTER_SHEET) == []
    rb = returned_row(ws, "李秀英")
    assert (rb["户编号"], rb["识别纳入日期"], rb["流程状态"], rb["审核意见"]) == (
        "LS440205000001", T, "帮扶中", "区级同意：同意纳入监测；风险消除研判：纳入监测仅 0 个月，未满 6 个月")
    assert returned_row(ws, "陈伟")["识别纳入日期"] == ""  # only B's empty cell was filled

    # the audit trail: who, from which file
    assert [(e.from_state, e.to_state, e.level, e.person, e.source_sha256, said(e))
            for e in transitions_of(ws, HEAD_B)] == [
        ("线索", "待镇核查", "村", None, village_sha,
         f"评议公示通过：民主评议{T - D(20)}通过，公示{T - D(19)}至{T - D(15)}"),
        ("待镇核查", "待区认定", "镇", "王核查", town_sha, "同意：入户核实情况属实"),
        ("待区认定", "帮扶中", "区", "李审核", master_sha, "同意：同意纳入监测"),
    ]
    changes = table_of(ws.master_path, "变更记录", "原状态")
    assert [(c["户主姓名"], c["原状态"], c["新状态"], c["层级"], c["经办人"], c["来源文件指纹"]) for c in changes] == [
        ("李秀英", "待区认定", "帮扶中", "区", "李审核", master_sha[:16]),
        ("李秀英", "待镇核查", "待区认定", "镇", "王核查", town_sha[:16]),
        ("李秀英", "线索", "待镇核查", "村", "", village_sha[:16]),
    ]
    [hh] = [r for r in table_of(ws.master_path, "监测户台账", "流程状态") if r["户主姓名"] == "李秀英"]
    assert (hh["户编号"], hh["临时编号"], hh["流程状态"], hh["识别纳入日期"], hh["审核意见"]) == (
        "LS440205000001", "是", "帮扶中", T.isoformat(), "区级同意：同意纳入监测")


def test_returned_copy_dropped_back_is_the_same_household(ws, cfg, proc):
    """The number and date written into the returned copy are what the clerk's next file carries."""
    to_district(ws, cfg, proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入监测", "李审核", T)
    run(proc)
    before = ledger_row(ws, HEAD_B)
    shutil.copy2(returned(ws), ws.town_inbox(TOWN) / "石塘村.xlsx")
    report = run(proc)
    # nothing of our own cells is an error; B, identified now, must be given its 监测联系人 and phone (plan 五(二))
    assert outcomes(report) == [("石塘村.xlsx", TOWN, "applied", "2户，错误2处，提示0条")]
    assert [(p["列名"], p["问题说明"]) for p in problems(ws)] == [
        (column, f"本户已纳入监测（当前“帮扶中”），没有填写“{column}”。") for column in ("监测联系人", "联系人电话")]
    after = ledger_row(ws, HEAD_B)
    assert (after.id, after.state, after.version, after.household_no, after.identified_date) == (
        before.id, "帮扶中", before.version, "LS440205000001", T)
    with ws.open_store() as store:
        assert len(store.households.list()) == 2
    assert returned_row(ws, "李秀英")["流程状态"] == "帮扶中"


def test_town_decision_in_a_copy_dropped_into_the_inbox(ws, cfg, proc):
    to_town(ws, cfg, proc)
    copy = decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T,
                  save_to=ws.town_drop(TOWN) / "马坝镇_镇级核查表(已填).xlsx")
    sha = sha256_file(copy)
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表(已填).xlsx", TOWN, "decisions", "1 项决定生效")]
    assert ledger_row(ws, HEAD_B).state == "待区认定"
    assert transitions_of(ws, HEAD_B)[-1].source_sha256 == sha
    assert not copy.exists()


def test_dropped_workbook_is_reported_under_the_name_it_was_dropped_with(ws, cfg, proc):
    to_town(ws, cfg, proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T,
           save_to=ws.town_drop("大塘镇") / "马坝镇_镇级核查表.xlsx")
    report = run(proc)
    assert [f.name for f in report.files] == ["马坝镇_镇级核查表.xlsx"]
    assert note_line(town_book(ws, "大塘镇"), TOWN_SHEET).startswith(NOTE + "马坝镇_镇级核查表.xlsx：")
    [sub] = [r for r in table_of(ws.master_path, "提交记录", "文件") if r["类型"] == "镇级核查"]
    assert sub["文件"] == "马坝镇_镇级核查表.xlsx"


def test_user_saved_decision_workbook_is_never_overwritten_unread(ws, cfg, proc):
    to_town(ws, cfg, proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T)
    saved = sha256_file(town_book(ws))
    # a pass that sees the saved workbook for the first time (not yet known to be complete) but must
    # regenerate its outputs: the clerk's file stays, the new version goes beside it
    proc.run_pass(wait=None, force_outputs=True)
    assert sha256_file(town_book(ws)) == saved
    sides = sorted(ws.town_private(TOWN).glob("马坝镇_镇级核查表(更新于*).xlsx"))
    assert len(sides) == 1
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    # the next pass reads it first, then replaces it
    report = run(proc)
    assert outcomes(report) == [("马坝镇_镇级核查表.xlsx", TOWN, "decisions", "1 项决定生效")]
    assert ledger_row(ws, HEAD_B).state == "待区认定"
    assert sha256_file(town_book(ws)) != saved and pending(town_book(ws), TOWN_SHEET) == []


def test_decisions_in_a_saved_workbook_count_in_the_same_pass_as_a_village_file(ws, cfg, proc):
    to_town(ws, cfg, proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T)
    rows = lead_rows()
    rows["household"][0]["note"] = "本月更新"
    drop(ws, cfg, rows)
    report = run(proc)
    assert sorted(f.status for f in report.files) == ["applied", "decisions"]
    assert ledger_row(ws, HEAD_B).state == "待区认定"
    assert returned_row(ws, "李秀英")["流程状态"] == "待区认定"
    assert len(pending(ws.master_path, MASTER_SHEET)) == 1


# --- 不予认定, 退回 and resubmission ----------------------------------------------------------------

def test_district_refusal_marks_not_included_with_the_reason(ws, cfg, proc):
    to_district(ws, cfg, proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "不予认定", "家庭有稳定务工收入不符合纳入条件", "李审核", T)
    run(proc)
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.identified_date, b.opinion) == ("未纳入", None, "区级不予认定：家庭有稳定务工收入不符合纳入条件")
    rb = returned_row(ws, "李秀英")
    assert (rb["流程状态"], rb["审核意见"]) == ("未纳入", "区级不予认定：家庭有稳定务工收入不符合纳入条件")
    last = transitions_of(ws, HEAD_B)[-1]
    assert (last.from_state, last.to_state, last.level, last.person, last.action, last.comment) == (
        "待区认定", "未纳入", "区", "李审核", "不予认定", "家庭有稳定务工收入不符合纳入条件")
    assert pending(ws.master_path, MASTER_SHEET) == []


def test_district_return_sends_the_lead_back_to_the_village(ws, cfg, proc):
    to_district(ws, cfg, proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "退回", "请补充低保审批材料", "李审核", T)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    rb = returned_row(ws, "李秀英")
    assert (rb["流程状态"], rb["审核意见"]) == ("线索", "区级退回：请补充低保审批材料")


def test_town_return_then_resubmission_with_a_new_review(ws, cfg, proc):
    to_town(ws, cfg, proc)
    old_copy = ws.root / "旧核查表.xlsx"
    shutil.copy2(town_book(ws), old_copy)  # the town kept a copy of this version
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "收入核算有误请重新核实", "王核查", T)
    run(proc)
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.opinion) == ("线索", "镇级退回：收入核算有误请重新核实")
    rb = returned_row(ws, "李秀英")
    assert (rb["流程状态"], rb["审核意见"]) == ("线索", "镇级退回：收入核算有误请重新核实")
    assert pending(town_book(ws), TOWN_SHEET) == []

    # the village's next file with only the OLD review: nothing moves
    rows = lead_rows()
    rows["household"][1]["transfer_income"] = 6400
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    assert returned_row(ws, "李秀英")["审核意见"] == "镇级退回：收入核算有误请重新核实"

    # a new review held after the return, its notice over: back to the town
    rows["review"].append(review(HEAD_B, review_date=T + D(1), notice_start=T + D(2), notice_end=T + D(6)))
    proc.as_of = T + D(8)
    drop(ws, cfg, rows)
    run(proc)
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.opinion) == ("待镇核查", "")
    [row] = pending(town_book(ws), TOWN_SHEET)
    assert row["村级评议公示"] == f"纳入监测：{T + D(1)}评议通过，公示{T + D(2)}至{T + D(6)}，异议无"
    assert [(e.from_state, e.to_state) for e in transitions_of(ws, HEAD_B)] == [
        ("线索", "待镇核查"), ("待镇核查", "线索"), ("线索", "待镇核查")]

    # the copy kept from before the return is stale although the state has the same name again
    decide(old_copy, TOWN_SHEET, "李秀英", "同意", "情况属实", "王核查", T,
           save_to=ws.town_drop(TOWN) / "马坝镇_镇级核查表.xlsx")
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    assert note_line(town_book(ws), TOWN_SHEET) == (
        NOTE + "李秀英户（户编号LS440205000001）：石塘村李秀英户的状态已变为“待镇核查”，这一行来自旧版表格，本次决定未生效")


def test_resubmission_after_return_under_as_of(ws, cfg):
    as_of = dt.date(2021, 12, 20)
    rows = base_rows()
    rows["review"] = [review(HEAD_B)]  # 2021-11-01, 公示 11-02 … 11-06
    with Processor(ws, as_of=as_of, workers=1) as p:
        drop(ws, cfg, rows)
        run(p)
        decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "收入核算有误", "王核查", dt.date(2021, 12, 8))
        run(p)
        assert ledger_row(ws, HEAD_B).state == "线索"
        rows["review"].append(review(HEAD_B, review_date=dt.date(2021, 12, 9), notice_start=dt.date(2021, 12, 10),
                                     notice_end=dt.date(2021, 12, 14)))
        drop(ws, cfg, rows)
        run(p)
        assert ledger_row(ws, HEAD_B).state == "待镇核查"


def test_reason_is_recorded_and_written_back_as_typed(ws, cfg, proc):
    to_town(ws, cfg, proc)
    decide(town_book(ws), TOWN_SHEET, "李秀英", "退回", "收入核算有误，请重新核实（见附件）", "王核查", T)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    last = transitions_of(ws, HEAD_B)[-1]
    assert (last.action, last.comment) == ("退回", "收入核算有误，请重新核实（见附件）")
    assert returned_row(ws, "李秀英")["审核意见"] == "镇级退回：收入核算有误，请重新核实（见附件）"
