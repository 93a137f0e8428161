"""信访 / 12317 (plan 四(四); DOMAIN.md "Leads from 自主申报 and 信访/12317"): a list dropped into 部门数据/信访/ is read
by the department-list reader with its own entry in rules/departments.yaml, each person of the ledger named in it is
a warning the town verifies in its 部门预警 sheet like any department's, and 属实-建议纳入 makes the household a lead
with 线索来源 信访信息 whose 受理日期 (and 15-day clock) is the list's own date of the row. Real passes, real
workbooks, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from department_lists import decide_warning, warning_table, write_xlsx
from factory import HEAD_A, TOWN, WIFE_A, base_rows, drop, ledger_row, table_of, transitions_of

from excel_bridge.departments.config import load_departments
from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

AS_OF = dt.date(2021, 12, 20)
ACCEPTED = dt.date(2021, 12, 12)


@pytest.fixture
def cfg(ws):
    return ws.config()


def run(ws, runner, as_of: dt.date = AS_OF):
    with Processor(ws, as_of=as_of, runner=runner) as p:
        return p.run_pass(wait=0.05)


def petition_list(ws, name: str = "信访登记表.xlsx"):
    """The 信访 office's register as its system exports it: a title row, its own headers, one row per petition."""
    rows = [["曲江区信访局 防止返贫相关信访及12317热线登记表"],
            ["序号", "反映人", "反映人身份证号", "反映问题", "受理日期", "来源"],
            [1, "黄丽", WIFE_A, "丈夫务工受伤，家庭收入骤减", ACCEPTED, "12317热线"]]
    path = ws.departments / "信访" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_xlsx(path, rows, sheet="登记表")


def test_the_petition_department_is_configured_with_its_own_folder_headers_and_lead_source():
    dept = load_departments().department("信访")
    [rule] = dept.rules
    assert (dept.folder, rule.kind, rule.lead_source, rule.lead_date_fact) == ("信访", "listed", "信访信息", "受理日期")
    assert {"诉求内容", "反映问题"} <= set(dept.facts["诉求"].headers)
    assert dept.facts["受理日期"].type == "date"
    assert set(dept.facts["来源"].values) == {"12317", "信访"}


def test_a_petition_confirmed_by_the_town_becomes_a_lead_from_the_petition_channel(ws, cfg, runner):
    drop(ws, cfg, base_rows())  # A 陈伟 (12000 元/人) not monitored; 黄丽 is his wife
    run(ws, runner)
    assert ledger_row(ws, HEAD_A).state == "未纳入"
    petition_list(ws)
    report = run(ws, runner)
    [taken] = report.files
    assert (taken.status, taken.town) == ("dept_applied", "部门数据/信访")
    book = ws.town_review_path(TOWN)
    [row] = warning_table(book)
    assert (row["户主姓名"], row["姓名"], row["部门"], row["情况"]) == (
        "陈伟", "黄丽", "信访", "2021-12-12经12317反映：丈夫务工受伤，家庭收入骤减")
    decide_warning(book, "黄丽", "属实-建议纳入", "入户核实，务工受伤收入下降", "王核查", dt.date(2021, 12, 21))
    run(ws, runner, as_of=dt.date(2021, 12, 21))
    a = ledger_row(ws, HEAD_A)
    assert (a.state, a.data["lead_source"], a.data["accepted_date"], a.lead_date) == (
        "线索", "信访信息", ACCEPTED, ACCEPTED)
    [move] = transitions_of(ws, HEAD_A)
    assert (move.action, move.from_state, move.to_state, move.person) == ("部门预警核实纳入", "未纳入", "线索", "王核查")
    with ws.open_store() as store:
        [w] = store.departments.all_warnings()
        assert (w.status, w.lead_created, w.lead_source, w.lead_date) == ("属实-建议纳入", True, "信访信息", ACCEPTED)
    # the leads register counts it under its channel, in the master's 统计
    from excel_bridge.statistics import LEADS, statistics_of

    with ws.open_store() as store:
        leads = statistics_of(store, ws.config(), dt.date(2021, 12, 21)).table(LEADS)
    assert (leads.row(TOWN)["信访信息"], leads.row(TOWN)["入户走访"], leads.row(TOWN)["合计"]) == (1, 1, 2)  # B too
    master = {r["户主姓名"]: r for r in table_of(ws.master_path, "监测户台账", "户主身份证号")}
    assert (master["陈伟"]["流程状态"], master["陈伟"]["线索日期"]) == ("线索", ACCEPTED.isoformat())


def test_through_the_cli_a_petition_list_is_taken_and_the_town_verification_makes_the_lead(ws, cfg):
    from cli_helpers import run_cli

    drop(ws, cfg, base_rows())
    first = run_cli("process", ws.root, "--as-of", AS_OF.isoformat(), "--workers", "1", "--wait", "0.05", timeout=600)
    assert first.returncode == 0, first.stderr
    petition_list(ws)
    taken = run_cli("process", ws.root, "--as-of", AS_OF.isoformat(), "--workers", "1", "--wait", "0.05", timeout=600)
    assert taken.returncode == 0, taken.stderr
    assert "部门数据/信访/信访登记表.xlsx" in taken.stdout and "新增预警 1 条" in taken.stdout
    decide_warning(ws.town_review_path(TOWN), "黄丽", "属实-建议纳入", "属实", "王核查", dt.date(2021, 12, 21))
    verified = run_cli("process", ws.root, "--as-of", "2021-12-21", "--workers", "1", "--wait", "0.05", timeout=600)
    assert verified.returncode == 0, verified.stderr
    a = ledger_row(ws, HEAD_A)
    assert (a.state, a.data["lead_source"], a.lead_date) == ("线索", "信访信息", ACCEPTED)
    [row] = [r for r in table_of(ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx"), "户信息", "流程状态")
             if r["户主姓名"] == "陈伟"]
    assert row["流程状态"] == "线索"
