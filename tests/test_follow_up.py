"""Following households under monitoring (DOMAIN.md "Follow-up, the yearly 回头看 and the other channels", plan
五(二), 四(二)(四)): the 监测联系人 every identified household must have, the 定期信息采集 warning, and the leads
register (受理日期 starts the 15-day clock; leads counted by town and channel) — through real passes on real
workbooks, on both backends."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from factory import HEAD_A, HEAD_B, TOWN, base_rows, drop, ledger_row, measure, table_of

from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends

T = dt.date(2022, 12, 20)
D = dt.timedelta
NUMBER_A, NUMBER_B = "44020500000001", "44020500000002"


@pytest.fixture
def cfg(ws):
    return ws.config()


def run(ws, runner, as_of: dt.date = T):
    with Processor(ws, as_of=as_of, runner=runner) as p:
        return p.run_pass(wait=0.05)


def returned(ws) -> Path:
    return ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")


def problems(ws) -> list[dict]:
    return [r for r in table_of(returned(ws), "问题清单", "问题说明") if r["严重程度"]]


def returned_row(ws, name: str) -> dict:
    [row] = [r for r in table_of(returned(ws), "户信息", "流程状态") if r["户主姓名"] == name]
    return row


def assisted(**over_b) -> dict:
    """A: a household not monitored (12000 元/人); B: 帮扶中 since 2022-03-01 (national number), with a measure."""
    rows = base_rows()  # incomes of 2021 (the line configured), the pass a year on
    rows["household"][1].update(household_no=NUMBER_B, identified_date=dt.date(2022, 3, 1), transfer_income=10000,
                                **over_b)
    rows["measure"] = [measure(HEAD_B, "低保", content="纳入农村低保", responsible="马坝镇民政办")]
    return rows


# --- 监测联系人 (plan 五(二)) ----------------------------------------------------------------------------

def test_an_identified_household_without_a_contact_is_an_error_on_its_row_in_the_returned_copy(ws, cfg, runner):
    drop(ws, cfg, assisted())
    report = run(ws, runner)
    [outcome] = report.files
    assert (outcome.status, outcome.errors) == ("applied", 2)
    found = [{k: p[k] for k in ("严重程度", "工作表", "行号", "列名", "问题说明")} for p in problems(ws)]
    assert found == [
        {"严重程度": "错误", "工作表": "户信息", "行号": 3.0, "列名": column,
         "问题说明": f"本户已纳入监测（当前“帮扶中”），没有填写“{column}”。"} for column in ("监测联系人", "联系人电话")]
    assert returned_row(ws, "李秀英")["校验结果"] == "错误2处"
    assert returned_row(ws, "陈伟")["校验结果"] == "通过"  # not monitored: no contact needed
    with ws.open_store() as store:
        [sub] = [s for s in store.submissions.all() if s.kind == "village"]
        assert [(i.code, i.row, i.column) for i in store.submissions.issues_of(sub.id)] == [
            ("CONTACT_MISSING", 3, "监测联系人"), ("CONTACT_MISSING", 3, "联系人电话")]


def test_the_contact_named_shows_in_the_town_workbook_and_the_master(ws, cfg, runner):
    drop(ws, cfg, assisted(contact_person="王帮扶", contact_phone="13711112222"))
    report = run(ws, runner)
    assert [(f.status, f.errors) for f in report.files] == [("applied", 0)]
    assert problems(ws) == []
    [b] = table_of(ws.town_review_path(TOWN), "风险消除研判", "研判结果")
    assert (b["户主姓名"], b["监测联系人"], b["联系人电话"]) == ("李秀英", "王帮扶", "13711112222")
    master = {r["户主姓名"]: r for r in table_of(ws.master_path, "监测户台账", "户主身份证号")}
    assert (master["李秀英"]["监测联系人"], master["李秀英"]["联系人电话"]) == ("王帮扶", "13711112222")
    assert (master["陈伟"]["监测联系人"], master["陈伟"]["联系人电话"]) == ("", "")


def test_a_lead_needs_no_contact_yet(ws, cfg, runner):
    rows = base_rows()  # B (8000 元/人) becomes a lead: not identified, so no contact is asked for
    drop(ws, cfg, rows)
    run(ws, runner, as_of=dt.date(2021, 12, 20))
    assert ledger_row(ws, HEAD_B).state == "线索"
    assert [p for p in problems(ws) if p["问题说明"].startswith("本户已纳入监测")] == []
    assert ledger_row(ws, HEAD_A).state == "未纳入"


# --- 定期信息采集 (plan 五(二)) --------------------------------------------------------------------------

def follow_ups(path: Path) -> list[dict]:
    return [r for r in table_of(path, "预警", "说明") if r["类型"] == "定期信息采集"]


def test_a_household_neither_updated_nor_visited_for_six_months_is_a_follow_up_warning(ws, cfg, runner):
    first = dt.date(2022, 3, 10)
    rows = assisted(contact_person="王帮扶", contact_phone="13711112222")
    drop(ws, cfg, rows)
    run(ws, runner, as_of=first)
    assert follow_ups(ws.master_path) == []
    # half a year on the village sends its file again with only A changed: B's row is as it was on 2022-03-10
    rows["household"][0]["wage_income"] = 31000
    drop(ws, cfg, rows)
    run(ws, runner, as_of=dt.date(2022, 9, 10))
    message = ("帮扶中，台账中本户信息自 2022-03-10 起没有更新，最近走访日期：未填写，已超过 6 个月：请监测联系人入户走访，"
               "核实收入和帮扶措施落实情况，在村级台账中更新本户信息并填写“走访日期”后重新提交（方案五(二)定期信息采集）")
    assert [{k: r[k] for k in ("镇", "村", "户编号", "户主姓名", "说明")} for r in follow_ups(ws.master_path)] == [
        {"镇": TOWN, "村": "石塘村", "户编号": NUMBER_B, "户主姓名": "李秀英", "说明": message}]
    assert [(r["户编号"], r["说明"]) for r in follow_ups(ws.town_review_path(TOWN))] == [(NUMBER_B, message)]
    # the clerk visits and says so: the row changed today, the warning goes
    rows["household"][1]["visit_date"] = dt.date(2022, 9, 12)
    drop(ws, cfg, rows)
    run(ws, runner, as_of=dt.date(2022, 9, 13))
    assert follow_ups(ws.master_path) == []
    assert ledger_row(ws, HEAD_B).data["visit_date"] == dt.date(2022, 9, 12)


def test_follow_up_counts_the_last_visit_and_the_district_sets_the_months(ws, cfg, runner):
    from excel_bridge.follow_up import follow_up_due

    data = {"_changed_on": "2022-01-10", "visit_date": dt.date(2022, 5, 1)}
    due = {"identified": dt.date(2021, 3, 1), "fallback": dt.date(2022, 1, 10), "months": 6}
    assert follow_up_due("帮扶中", data, as_of=dt.date(2022, 7, 10), **due) is None  # visited in May
    assert follow_up_due("帮扶中", data, as_of=dt.date(2022, 11, 1), **due) == (dt.date(2022, 1, 10),
                                                                                dt.date(2022, 5, 1))
    assert follow_up_due("待镇验收", data, as_of=dt.date(2022, 11, 1), **due) is None
    # identified after its row last changed: counted from the identification
    assert follow_up_due("帮扶中", {}, as_of=dt.date(2022, 7, 10), identified=dt.date(2022, 3, 1),
                         fallback=dt.date(2021, 12, 1), months=6) is None
    # the district's rules/workflow.yaml: 3 months
    path = ws.root / "rules" / "workflow.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("follow_up_months: 6", "follow_up_months: 3"),
                    encoding="utf-8")
    assert ws.config().rules.workflow.follow_up_months == 3
    drop(ws, cfg, assisted(contact_person="王帮扶", contact_phone="13711112222"))
    run(ws, runner, as_of=dt.date(2022, 3, 10))
    run(ws, runner, as_of=dt.date(2022, 6, 10))
    [warning] = follow_ups(ws.master_path)
    assert "自 2022-03-10 起没有更新，最近走访日期：未填写，已超过 3 个月" in warning["说明"]


# --- the leads register (plan 四(一)(二)(四)) ---------------------------------------------------------------

def overdue(path: Path) -> list[dict]:
    return [r for r in table_of(path, "预警", "说明") if r["类型"] == "识别超期"]


def test_the_fifteen_day_clock_runs_from_the_accepted_date_and_leads_are_counted_by_town_and_channel(
        ws, cfg, runner):
    from excel_bridge.statistics import LEADS, statistics_of
    from excel_bridge.town_checks import OVERDUE, checks_of

    as_of = dt.date(2021, 12, 20)
    rows = base_rows()  # B (8000 元/人) is a lead; its application was received on 2021-11-20
    rows["household"][1].update(lead_source="农户自主申报", accepted_date=dt.date(2021, 11, 20))
    drop(ws, cfg, rows)
    run(ws, runner, as_of=as_of)
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.lead_date, b.data["accepted_date"]) == ("线索", dt.date(2021, 11, 20), dt.date(2021, 11, 20))
    [late] = overdue(ws.master_path)
    assert (late["户主姓名"], late["说明"]) == ("李秀英", "2021-11-20 发现线索，已 30 天仍未认定（规定不超过 15 天），当前“线索”")
    with ws.open_store() as store:
        config = ws.config()
        assert [(i.kind, i.head_name) for i in checks_of(store, config, as_of).of(TOWN)
                if i.kind == OVERDUE] == [(OVERDUE, "李秀英")]
        leads = statistics_of(store, config, as_of).table(LEADS)
    assert leads.row(TOWN) == {"镇": TOWN, "入户走访": 0, "农户自主申报": 1, "部门筛查预警": 0, "信访信息": 0, "其他": 0,
                               "未填写": 0, "合计": 1}
    assert leads.row("全区")["合计"] == 1
    assert leads.title in _cells(ws.master_path, "统计")
    # the clerk corrects the date: the clock follows it
    rows["household"][1]["accepted_date"] = dt.date(2021, 12, 10)
    drop(ws, cfg, rows)
    run(ws, runner, as_of=as_of)
    assert ledger_row(ws, HEAD_B).lead_date == dt.date(2021, 12, 10)
    assert overdue(ws.master_path) == []
    # emptied: the clock stays where it was (it does not restart on the day of the file)
    rows["household"][1]["accepted_date"] = None
    drop(ws, cfg, rows)
    run(ws, runner, as_of=as_of)
    assert ledger_row(ws, HEAD_B).lead_date == dt.date(2021, 12, 10)


def test_a_lead_without_an_accepted_date_starts_its_clock_on_the_day_the_file_is_applied(ws, cfg, runner):
    rows = base_rows()
    rows["household"][1]["accepted_date"] = dt.date(2022, 1, 5)  # after the day it is applied: not taken
    drop(ws, cfg, rows)
    run(ws, runner, as_of=dt.date(2021, 12, 20))
    assert ledger_row(ws, HEAD_B).lead_date == dt.date(2021, 12, 20)


def _cells(path: Path, sheet: str) -> list[str]:
    from factory import sheet_rows

    return [str(v) for r in sheet_rows(path, sheet) for v in r if v not in ("", None)]
