"""Nobody leaves monitoring unseen; rules advise, people decide (docs/domain.md “States and who moves them”).

Real passes of a Processor on real files: village workbooks written by the template writer and dropped into
收件箱/马坝镇/, the town's 镇级核查表 and the 区级总台账 written by the pass, decisions typed into them with openpyxl
and saved in place, the village's returned copy and the 预警 sheets read back. On SQLite and PostgreSQL.

- A monitored household missing from its village's new file stays in its state, flagged in the town's and the
  master's 预警 and named in the village's 问题清单; only 自然减少 (减少原因 → 待镇核减 → 待区核减), agreed by the
  town and then the district, makes it 已移出; a 退回 sends it back where it was, the reason written back.
- A lead the town verified from a department warning survives the returned copy dropped again unchanged (the
  provisional 户编号 the system wrote is not the clerk's change); a lead from 农户自主申报 the rules no longer
  propose stays a 线索 marked 研判不建议纳入, for the village's 评议 and the town (不予纳入, with a reason).
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from department_lists import decide_warning, medical_list
from factory import (
    HEAD_A,
    HEAD_B,
    MASTER_SHEET,
    TOWN,
    TOWN_SHEET,
    WIFE_A,
    base_rows,
    decide,
    drop,
    ledger_row,
    review,
    table_of,
    transitions_of,
)

from excel_bridge.departments.apply import apply_department_file
from excel_bridge.idcard import mask_id
from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

T = dt.date.today()
D = dt.timedelta
NUMBER = "44020500100001"  # 李秀英's national 户编号 (imported as 帮扶中)
ABSENT = "本村新报台账中没有该户"


@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.fixture
def proc(ws, runner):
    with Processor(ws, as_of=T, runner=runner) as p:
        yield p


def run(p: Processor, **kw):
    return p.run_pass(wait=0.05, **kw)


def returned(ws):
    return ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")


def returned_row(ws, name: str) -> dict:
    [row] = [r for r in table_of(returned(ws), "户信息", "流程状态") if r["户主姓名"] == name]
    return row


def problems(ws) -> list[dict]:
    return [r for r in table_of(returned(ws), "问题清单", "问题说明") if r["严重程度"]]


def alerts(path, kind: str) -> list[dict]:
    return [r for r in table_of(path, "预警", "说明") if r["类型"] == kind]


def pending(path, sheet: str) -> list[dict]:
    return table_of(path, sheet, "行令牌")


def assisted_rows(**over) -> dict:
    """A (陈伟, not monitored) and B (李秀英, in the national system: imported as 帮扶中)."""
    rows = base_rows()
    rows["household"][1].update(household_no=NUMBER, identified_date=T - D(200), contact_person="王联系",
                                contact_phone="13900000000", **over)
    return rows


def without_b(rows: dict) -> dict:
    rows["household"] = [h for h in rows["household"] if h["head_id"] != HEAD_B]
    rows["member"] = [m for m in rows["member"] if m["head_id"] != HEAD_B]
    return rows


def actions(ws, head_id: str) -> list[tuple[str, str, str, str]]:
    return [(e.action, e.from_state, e.to_state, e.level) for e in transitions_of(ws, head_id)]


# --- 3. a monitored household vanishes ---------------------------------------------------------------

def test_a_monitored_household_missing_from_the_new_file_stays_monitored_and_is_flagged_everywhere(ws, cfg, proc):
    drop(ws, cfg, assisted_rows())
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "帮扶中"
    drop(ws, cfg, without_b(assisted_rows()))
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.on_file, hh.data["_absent_since"]) == ("帮扶中", True, T.isoformat())
    assert actions(ws, HEAD_B) == []  # no move: it stays where it was
    with ws.open_store() as store:
        [absent] = [e for e in store.events.of(hh.id) if e.event == "absent"]
    assert (absent.level, absent.comment) == (
        "村", "本村新报台账中没有该户；监测户不会因漏报移出，仍为“帮扶中”，待村里说明减少原因")
    expected = (f"{ABSENT}（{T.isoformat()}起），该户仍为“帮扶中”："
                "请村里补回该户，或填写减少原因和减少日期由镇、区审核自然减少")
    for path in (ws.town_review_path(TOWN), ws.master_path):
        [row] = alerts(path, "监测户未报")
        assert (row["村"], row["户编号"], row["户主姓名"], row["说明"]) == ("石塘村", NUMBER, "李秀英", expected)
    [hint] = [p for p in problems(ws) if ABSENT in p["问题说明"]]
    assert (hint["严重程度"], hint["问题说明"]) == (
        "提示", f"{ABSENT}：李秀英（户主身份证号 {mask_id(HEAD_B)}，户编号 {NUMBER}），"
                "该户仍在监测中（当前“帮扶中”），不会因漏报而移出。")
    assert "减少原因" in hint["修改建议"]
    # the town's workbook still lists it as the town's household; the master counts it as monitored
    assert any(r["户主姓名"] == "李秀英" for r in table_of(ws.master_path, "监测户台账", "户主姓名"))
    # listed again: the flag goes, nothing moved
    drop(ws, cfg, assisted_rows(note="补报"))
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.on_file, "_absent_since" in hh.data) == ("帮扶中", True, False)
    assert alerts(ws.town_review_path(TOWN), "监测户未报") == []


def test_a_household_not_under_monitoring_missing_from_the_file_still_simply_goes(ws, cfg, proc):
    drop(ws, cfg, assisted_rows())
    run(proc)
    rows = assisted_rows()
    rows["household"] = [h for h in rows["household"] if h["head_id"] != HEAD_A]
    rows["member"] = [m for m in rows["member"] if m["head_id"] != HEAD_A]
    drop(ws, cfg, rows)
    run(proc)
    hh = ledger_row(ws, HEAD_A)
    assert (hh.state, hh.on_file) == ("未纳入", False)
    assert [p for p in problems(ws) if ABSENT in p["问题说明"]] == []
    assert alerts(ws.master_path, "监测户未报") == []


def test_a_household_not_under_monitoring_given_a_reason_goes_at_once_and_only_once(ws, cfg, proc):
    drop(ws, cfg, base_rows())
    run(proc)
    rows = base_rows()
    rows["household"][0].update(reduce_reason="迁出本区", reduce_date=T - D(3))
    drop(ws, cfg, rows)
    run(proc)
    hh = ledger_row(ws, HEAD_A)
    assert (hh.state, hh.on_file) == ("未纳入", False)
    assert returned_row(ws, "陈伟")["流程状态"] == "已移出"
    rows["household"][0]["note"] = "已迁往外省"  # the row kept with its reason: nothing more happens
    drop(ws, cfg, rows)
    run(proc)
    with ws.open_store() as store:
        assert [(e.event, e.comment) for e in store.events.of(hh.id)] == [
            ("created", "登记在册，研判暂不纳入"), ("removed", "村里填写减少原因“迁出本区”，未纳入监测的户直接移出")]


def test_natural_reduction_goes_through_town_and_district_and_only_then_is_removed(ws, cfg, proc):
    drop(ws, cfg, assisted_rows())
    run(proc)
    drop(ws, cfg, without_b(assisted_rows()))  # first left out: flagged
    run(proc)
    drop(ws, cfg, assisted_rows(reduce_reason="死亡", reduce_date=T - D(10)))  # back, with the reason
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.on_file, hh.opinion) == (
        "待镇核减", True, f"村申报自然减少：死亡（减少日期 {(T - D(10)).isoformat()}），待镇、区审核")
    assert returned_row(ws, "李秀英")["流程状态"] == "待镇核减"
    assert alerts(ws.town_review_path(TOWN), "监测户未报") == []
    [row] = pending(ws.town_review_path(TOWN), TOWN_SHEET)
    assert (row["事项"], row["户主姓名"], row["村级评议公示"]) == (
        "自然减少", "李秀英", f"自然减少：死亡，减少日期{(T - D(10)).isoformat()}")
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "已核实死亡证明", "王核查", T)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待区核减"
    assert pending(ws.town_review_path(TOWN), TOWN_SHEET) == []
    [row] = pending(ws.master_path, MASTER_SHEET)
    assert (row["事项"], row["户主姓名"], row["镇级结论"], row["镇级意见"]) == (
        "自然减少", "李秀英", "同意", "已核实死亡证明")
    decide(ws.master_path, MASTER_SHEET, "李秀英", "同意", "同意移出", "李审核", T)
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.on_file) == ("已移出", False)
    assert actions(ws, HEAD_B) == [("申报自然减少", "帮扶中", "待镇核减", "村"), ("同意", "待镇核减", "待区核减", "镇"),
                                   ("同意", "待区核减", "已移出", "区")]
    assert pending(ws.master_path, MASTER_SHEET) == []
    # the village keeps the row with its reason: nothing changes any more
    drop(ws, cfg, assisted_rows(reduce_reason="死亡", reduce_date=T - D(10), note="已故"))
    run(proc)
    assert (ledger_row(ws, HEAD_B).state, len(actions(ws, HEAD_B))) == ("已移出", 3)


def test_a_returned_reduction_goes_back_to_where_it_was_with_the_reason_written_back(ws, cfg, proc):
    drop(ws, cfg, assisted_rows())
    run(proc)
    drop(ws, cfg, assisted_rows(reduce_reason="迁出本区", reduce_date=T - D(5)))
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待镇核减"
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "退回", "该户仍在本村居住", "王核查", T)
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.opinion) == ("帮扶中", "镇级退回：该户仍在本村居住")
    assert returned_row(ws, "李秀英")["审核意见"].startswith("镇级退回：该户仍在本村居住")
    # the same reason sent again (another change on the row) does not send it straight back
    drop(ws, cfg, assisted_rows(reduce_reason="迁出本区", reduce_date=T - D(5), note="再报"))
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "帮扶中"
    # a new date does; the district may send it back too
    drop(ws, cfg, assisted_rows(reduce_reason="迁出本区", reduce_date=T - D(2), note="再报"))
    run(proc)
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "已迁往外省", "王核查", T)
    run(proc)
    decide(ws.master_path, MASTER_SHEET, "李秀英", "退回", "请补迁移证明", "李审核", T)
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.on_file, hh.opinion) == ("帮扶中", True, "区级退回：请补迁移证明")
    assert [a[:3] for a in actions(ws, HEAD_B)] == [
        ("申报自然减少", "帮扶中", "待镇核减"), ("退回", "待镇核减", "帮扶中"), ("申报自然减少", "帮扶中", "待镇核减"),
        ("同意", "待镇核减", "待区核减"), ("退回", "待区核减", "帮扶中")]


def test_a_reduction_reason_without_a_date_is_an_error_on_the_cell(ws, cfg, proc):
    drop(ws, cfg, assisted_rows(reduce_reason="并户"))
    run(proc)
    [issue] = [p for p in problems(ws) if p["列名"] == "减少日期"]
    assert (issue["严重程度"], issue["问题说明"]) == ("错误", "填了减少原因“并户”，但没有填“减少日期”。")


# --- 4. rules advise, people decide ---------------------------------------------------------------

def test_a_verified_department_lead_survives_the_returned_copy_dropped_again_unchanged(ws, cfg, proc):
    drop(ws, cfg, base_rows())
    run(proc)
    with ws.open_store() as store:
        apply_department_file(store, ws, cfg, medical_list(ws.departments / "医保" / "医保推送名单.xlsx",
                                                           [("黄丽", WIFE_A, 25000)]), received=dt.datetime.now(),
                              as_of=T)
    run(proc, force_outputs=True)
    decide_warning(ws.town_review_path(TOWN), "黄丽", "属实-建议纳入", "入户核实，医疗支出大", "王核查", T)
    run(proc)  # the town's workbook saved in place: read by the pass
    hh = ledger_row(ws, HEAD_A)
    assert (hh.state, hh.provisional) == ("线索", True)
    drop(ws, cfg, base_rows())  # the same file again: its returned copy re-issued with the provisional number
    run(proc)
    copy = returned(ws)
    assert returned_row(ws, "陈伟")["户编号"] == hh.household_no
    shutil.copy2(copy, ws.town_inbox(TOWN) / "石塘村.xlsx")  # the clerk drops the returned copy, unchanged
    run(proc)
    after = ledger_row(ws, HEAD_A)
    assert (after.state, after.household_no) == ("线索", hh.household_no)
    assert [a[0] for a in actions(ws, HEAD_A)] == ["部门预警核实纳入"]


def test_a_self_declared_lead_above_the_line_stays_a_lead_marked_not_proposed(ws, cfg, proc):
    rows = base_rows()
    rows["household"][1]["lead_source"] = "农户自主申报"
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    rows["household"][1]["wage_income"] = 20000  # 人均 28000 元: above the line
    drop(ws, cfg, rows)
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    mark = ("研判不建议纳入：人均纯收入28000元，高于监测线9600元；线索来源为“农户自主申报”，仍保留为线索，"
            "由村评议和镇核查决定")
    assert (hh.state, hh.assessment["proposed"], hh.opinion) == ("线索", False, mark)
    assert actions(ws, HEAD_B) == [("研判不建议纳入", "线索", "线索", "系统")]
    assert (returned_row(ws, "李秀英")["流程状态"], returned_row(ws, "李秀英")["审核意见"]) == ("线索", mark)
    [row] = alerts(ws.town_review_path(TOWN), "研判不建议纳入")
    assert (row["户主姓名"], row["说明"]) == ("李秀英", mark + "。镇核查时可选“不予纳入”并写明原因，村里的反馈表会显示")
    # the same file again marks nothing twice; a lead the rules raised falls back to 未纳入 as before
    rows["household"][1]["note"] = "再报"
    drop(ws, cfg, rows)
    run(proc)
    assert len(actions(ws, HEAD_B)) == 1


def test_the_village_review_sends_a_not_proposed_lead_to_the_town_which_may_close_it(ws, cfg, proc):
    rows = base_rows()
    rows["household"][1].update(lead_source="信访信息", wage_income=20000)
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "未纳入"  # a first file the rules do not propose: not a lead yet
    rows["household"][1]["wage_income"] = 0
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "线索"
    rows["household"][1]["wage_income"] = 20000
    rows["review"] = [review(HEAD_B, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))]
    drop(ws, cfg, rows)
    run(proc)
    assert ledger_row(ws, HEAD_B).state == "待镇核查"  # the village's 评议 decided; the town verifies
    [row] = pending(ws.town_review_path(TOWN), TOWN_SHEET)
    assert row["研判依据"].startswith("研判不建议纳入")
    decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "不予纳入", "入户核实收入稳定，不符合纳入条件", "王核查", T)
    run(proc)
    hh = ledger_row(ws, HEAD_B)
    assert (hh.state, hh.opinion) == ("未纳入", "镇级不予纳入：入户核实收入稳定，不符合纳入条件")
    assert returned_row(ws, "李秀英")["审核意见"] == "镇级不予纳入：入户核实收入稳定，不符合纳入条件"
    assert actions(ws, HEAD_B)[-1] == ("不予纳入", "待镇核查", "未纳入", "镇")
