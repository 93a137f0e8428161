"""Both approval chains end to end through the real files (docs/domain.md “States and who moves them”).

A village workbook (template writer) is copied into 收件箱/马坝镇/; the town's 马坝镇_镇级核查表.xlsx and
the district's 区级总台账.xlsx are edited with openpyxl exactly as a clerk would (choose the decision, type
意见, 人, 日期, save — in place, or a copy dropped into the town's inbox); each pass of a real Processor
(parse jobs in a spawned worker) reads them back. Every refusal is checked in the line above the
decision table of the next copy of that workbook, with the household's state unchanged.

Dates are relative to today: the ledger stamps leads, returns and events with the wall clock.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN,
    TOWN_SHEET,
    add_decision_row,
    base_rows,
    decide,
    drop,
    ledger_row,
    measure,
    note_line,
    review,
    said,
    sha256_file,
    table_of,
    transitions_of,
    write,
)

from excel_bridge.pipeline import Processor
from excel_bridge.rules import months_between

T = dt.date.today()
D = dt.timedelta
NOTE = "上次提交中未生效的决定："

pytestmark = pytest.mark.backends


# --- the district on disk -------------------------------------------------------------------------

@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def proc(ws, runner):
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


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


# --- (b) risk elimination ------------------------------------------------------------------------------

IDENTIFIED = T - D(250)  # when the assisted households of these tests were identified
CONTACT = {"contact_person": "王帮扶", "contact_phone": "13711112222"}  # 监测联系人: required from 帮扶中 on
SHOWN_CONTACT = {"监测联系人": "王帮扶", "联系人电话": "13711112222"}  # as the town's 风险消除研判 shows it


def assisted_rows(*, reviews: bool = True, identified: dt.date = IDENTIFIED) -> dict:
    """A (3 people, 12000 元/人, two with 普通劳动力, 就业帮扶) and B (alone, 弱劳动力, 11500 元/人 after 低保)
    both already 帮扶中 (national 户编号 + 识别纳入日期), each with a passed 风险消除 review."""
    rows = base_rows()
    rows["household"][0].update(household_no="44020500000001", identified_date=identified, **CONTACT)
    rows["household"][1].update(household_no="44020500000002", identified_date=identified, transfer_income=10000,
                                **CONTACT)
    rows["measure"] = [measure(HEAD_A), measure(HEAD_B, "低保", content="纳入农村低保", responsible="马坝镇民政办")]
    if reviews:
        rows["review"] = [review(h, matter="风险消除", review_date=T - D(20), notice_start=T - D(19),
                                 notice_end=T - D(15)) for h in (HEAD_A, HEAD_B)]
    return rows


NOBODY_WORKS = "家中无劳动能力成员，暂不标注风险消除，继续落实社会保障措施（方案五(二)）"
ELIGIBLE = "收入稳定达标、“两不愁三保障”及饮水安全巩固，可以启动风险消除程序"


def test_elimination_chain_end_to_end(ws, cfg, proc):
    identified = T - D(250)
    village = drop(ws, cfg, assisted_rows())
    village_sha = sha256_file(village)
    run(proc)
    a, b = ledger_row(ws, HEAD_A), ledger_row(ws, HEAD_B)
    assert (a.state, a.identified_date, b.state) == ("待镇验收", identified, "帮扶中")
    # B: nobody can work → 暂不标注, said in the returned copy, the town's 研判 sheet and 问题清单
    assert returned_row(ws, "李秀英")["审核意见"] == f"{identified} 纳入监测，请落实帮扶措施；风险消除研判：{NOBODY_WORKS}"
    [p] = problems(ws)
    assert {k: p[k] for k in ("严重程度", "工作表", "行号", "列名", "问题说明")} == {
        "严重程度": "提示", "工作表": "评议公示", "行号": 3.0, "列名": "事项",
        "问题说明": f"本户已评议风险消除，但系统研判尚不符合风险消除条件：{NOBODY_WORKS}。"}
    assert table_of(town_book(ws), "风险消除研判", "研判结果") == [{
        "村": "石塘村", "户编号": "44020500000002", "户主姓名": "李秀英", "监测联系人": "王帮扶", "联系人电话": "13711112222",
        "识别纳入日期": identified.isoformat(), "研判结果": "暂不标注", "说明": NOBODY_WORKS}]
    # A goes to the town for 验收
    [row] = pending(town_book(ws), TOWN_SHEET)
    assert (row["事项"], row["户主姓名"], row["户编号"], row["帮扶建议"]) == (
        "风险消除验收", "陈伟", "44020500000001", "开发式帮扶·单项措施")
    assert returned_row(ws, "陈伟")["流程状态"] == "待镇验收"

    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "收入稳定验收合格", "王核查", T)
    town_sha = sha256_file(town_book(ws))
    run(proc)
    assert ledger_row(ws, HEAD_A).state == "待区审批"
    [row] = pending(ws.master_path, MASTER_SHEET)
    assert (row["事项"], row["户主姓名"]) == ("风险消除审批", "陈伟")
    assert returned_row(ws, "陈伟")["审核意见"] == "镇里验收同意，等待区乡村振兴局审批"

    decide(ws.master_path, MASTER_SHEET, "陈伟", "同意", "同意标注风险消除", "李审核", T - D(1))
    master_sha = sha256_file(ws.master_path)
    run(proc)
    a = ledger_row(ws, HEAD_A)
    assert (a.state, a.eliminated_date, a.identified_date) == ("风险已消除", T - D(1), identified)
    ra = returned_row(ws, "陈伟")
    assert (ra["流程状态"], ra["审核意见"]) == ("风险已消除", f"{T - D(1)} 风险已消除")
    assert ledger_row(ws, HEAD_B).state == "帮扶中"
    assert [(e.from_state, e.to_state, e.level, e.person, e.source_sha256)
            for e in transitions_of(ws, HEAD_A)] == [
        ("帮扶中", "待镇验收", "村", None, village_sha),
        ("待镇验收", "待区审批", "镇", "王核查", town_sha),
        ("待区审批", "风险已消除", "区", "李审核", master_sha)]
    [hh] = [r for r in table_of(ws.master_path, "监测户台账", "流程状态") if r["户主姓名"] == "陈伟"]
    assert (hh["流程状态"], hh["风险消除日期"]) == ("风险已消除", (T - D(1)).isoformat())


def test_every_assisted_household_is_evaluated_each_pass(ws, cfg, proc):
    rows = assisted_rows(reviews=False)
    recent = T - D(90)
    rows["household"][1].update(identified_date=recent, transfer_income=6500)  # B: recent, income still low
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == ledger_row(ws, HEAD_B).state == "帮扶中"
    months = months_between(recent, T)
    assert table_of(town_book(ws), "风险消除研判", "研判结果") == [
        {"村": "石塘村", "户编号": "44020500000001", "户主姓名": "陈伟", **SHOWN_CONTACT,
         "识别纳入日期": (T - D(250)).isoformat(), "研判结果": "可启动风险消除", "说明": ELIGIBLE},
        {"村": "石塘村", "户编号": "44020500000002", "户主姓名": "李秀英", **SHOWN_CONTACT, "识别纳入日期": recent.isoformat(),
         "研判结果": "继续帮扶", "说明": f"纳入监测仅 {months} 个月，未满 6 个月"}]
    assert returned_row(ws, "陈伟")["审核意见"] == f"{T - D(250)} 纳入监测，请落实帮扶措施；风险消除研判：{ELIGIBLE}"
    assert returned_row(ws, "李秀英")["审核意见"] == (
        f"{recent} 纳入监测，请落实帮扶措施；风险消除研判：纳入监测仅 {months} 个月，未满 6 个月")
    # months later, with nothing new from the village, the town's sheet is re-evaluated
    proc.as_of = T + D(200)
    run(proc, force_outputs=True)
    [_, b] = table_of(town_book(ws), "风险消除研判", "研判结果")
    assert (b["研判结果"], b["说明"]) == ("继续帮扶", "人均纯收入仍不高于监测线")


def test_elimination_returned_by_the_town_and_old_review_does_not_resend(ws, cfg, proc):
    rows = assisted_rows()
    drop(ws, cfg, rows)
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "陈伟", "退回", "务工收入不稳定需继续帮扶", "王核查", T)
    run(proc)
    a = ledger_row(ws, HEAD_A)
    assert (a.state, a.opinion) == ("帮扶中", "镇级退回：务工收入不稳定需继续帮扶")
    ra = returned_row(ws, "陈伟")
    assert (ra["流程状态"], ra["审核意见"]) == (
        "帮扶中", "镇级退回：务工收入不稳定需继续帮扶；风险消除研判：收入稳定达标、“两不愁三保障”及饮水安全巩固，可以启动风险消除程序")
    rows["household"][0]["note"] = "本月更新"
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == "帮扶中"
    assert pending(town_book(ws), TOWN_SHEET) == []


def test_elimination_returned_by_the_district(ws, cfg, proc):
    drop(ws, cfg, assisted_rows())
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "验收合格", "王核查", T)
    run(proc)
    decide(ws.master_path, MASTER_SHEET, "陈伟", "退回", "请补充收入佐证材料", "李审核", T)
    run(proc)
    a = ledger_row(ws, HEAD_A)
    assert (a.state, a.eliminated_date, a.opinion) == ("帮扶中", None, "区级退回：请补充收入佐证材料")
    assert returned_row(ws, "陈伟")["审核意见"] == (
        "区级退回：请补充收入佐证材料；风险消除研判：收入稳定达标、“两不愁三保障”及饮水安全巩固，可以启动风险消除程序")


def test_district_cannot_refuse_an_elimination(ws, cfg, proc):
    drop(ws, cfg, assisted_rows())
    run(proc)
    decide(town_book(ws), TOWN_SHEET, "陈伟", "同意", "验收合格", "王核查", T)
    run(proc)
    decide(ws.master_path, MASTER_SHEET, "陈伟", "不予认定", "不同意", "李审核", T)
    run(proc)
    assert ledger_row(ws, HEAD_A).state == "待区审批"
    assert note_line(ws.master_path, MASTER_SHEET) == (
        NOTE + "陈伟户（户编号44020500000001）：石塘村陈伟户当前状态为“待区审批”，区级不能执行“不予认定”（区级此时可选：同意、退回）")


def test_household_identified_through_the_chain_is_told_it_is_not_marked(ws, cfg, proc):
    to_district(ws, cfg, proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意纳入监测", "李审核", T)
    run(proc)
    # seven months later: 低保 in place, income above the line, but B lives alone and cannot work
    proc.as_of = T + D(215)
    rows = lead_rows()
    rows["household"][1].update(household_no="LS440205000001", identified_date=T, transfer_income=10000)
    rows["measure"] = [measure(HEAD_B, "低保", content="纳入农村低保", responsible="马坝镇民政办")]
    drop(ws, cfg, rows)
    run(proc)
    [b] = table_of(town_book(ws), "风险消除研判", "研判结果")
    assert (b["户主姓名"], b["研判结果"], b["说明"]) == ("李秀英", "暂不标注", NOBODY_WORKS)
    assert "暂不标注" in returned_row(ws, "李秀英")["审核意见"]
