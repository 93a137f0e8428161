"""(b) risk elimination, the whole chain through real files (split from test_approvals.py, issue 23). Dates are
relative to today; helpers: tests/approvals_helpers.py."""

from __future__ import annotations

import datetime as dt

import pytest
from approvals_helpers import (
    NOTE,
    D,
    T,
    lead_rows,
    pending,
    problems,
    returned_row,
    run,
    to_district,
    town_book,
)
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN_SHEET,
    base_rows,
    decide,
    drop,
    ledger_row,
    measure,
    note_line,
    review,
    sha256_file,
    table_of,
    transitions_of,
)

from excel_bridge.pipeline import Processor
from excel_bridge.rules import months_between

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)


# --- the district on disk -------------------------------------------------------------------------

@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def proc(ws, runner):
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


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
