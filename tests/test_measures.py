"""Measures with money (issue 22): 项目名称, 资金（元）, 资金来源, 落实情况 and 完成日期 on 帮扶措施 — in the template with
their dropdowns, validated, stored and read back —; the master's 帮扶措施 and 帮扶措施统计; a department's measures
through `excel-bridge export <部门>`. Real workbooks, a real pass, both backends where the ledger is involved."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    HEAD_A,
    HEAD_B,
    base_rows,
    calamine_records,
    check,
    drop,
    measure,
    sheet_rows,
    table_of,
    write,
)

from excel_bridge.departments.config import load_departments
from excel_bridge.departments.units import UnitMap

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

NUMBER_B = "44020512345678"


def money_measures() -> list[dict]:
    return [
        measure(HEAD_B, "健康帮扶", content="慢病签约服务", responsible="区医保局", project="2021年医疗救助",
                funds=3600.5, fund_source="行业部门资金", progress="已完成", done_date=dt.date(2021, 10, 1)),
        measure(HEAD_B, "低保", content="纳入农村低保", responsible="马坝镇民政办", funds=4800, fund_source="财政衔接资金",
                progress="实施中"),
        measure(HEAD_A, "就业帮扶", content="推荐务工", responsible="曲江区人社局", progress="计划"),
        measure(HEAD_A, "产业帮扶", content="养鸡", responsible="石塘村委会", funds=2000, fund_source="社会帮扶资金",
                progress="已完成", done_date=dt.date(2021, 11, 30)),
    ]


def test_the_template_offers_the_new_measure_columns_with_their_dropdowns(tmp_path, config):
    path = write(tmp_path / "t.xlsx", config, base_rows())
    sheet = openpyxl.load_workbook(path)["帮扶措施"]
    headers = [c.value for c in sheet[1]]
    assert headers == ["户主身份证号", "措施类别", "措施内容", "开始日期", "责任单位", "项目名称", "资金（元）", "资金来源",
                       "落实情况", "完成日期"]
    choices = {}
    for dv in sheet.data_validations.dataValidation:
        if dv.type == "list":
            column = headers[next(iter(dv.sqref.ranges)).min_col - 1]
            choices[column] = dv.formula1
    assert set(choices) == {"措施类别", "资金来源", "落实情况"}
    book = openpyxl.load_workbook(path)
    for column, expected in (("资金来源", ["财政衔接资金", "行业部门资金", "社会帮扶资金", "其他"]),
                             ("落实情况", ["计划", "实施中", "已完成"])):
        ref = choices[column]
        sheet_name, cells = ref.lstrip("=").split("!")
        values = [c.value for row in book[sheet_name.strip("'")][cells.replace("$", "")] for c in row]
        assert values == expected, column


def test_a_finished_measure_needs_its_completion_date(tmp_path, config):
    rows = base_rows()
    rows["measure"] = [measure(HEAD_B, "低保", progress="已完成"),
                       measure(HEAD_B, "健康帮扶", progress="已完成", done_date=dt.date(2021, 10, 1)),
                       measure(HEAD_B, "社会帮扶", progress="实施中", funds=-5)]
    result = check(tmp_path, config, rows)
    found = [(i.code, i.severity, i.sheet, i.row, i.column) for i in result.issues
             if i.sheet == "帮扶措施"]
    assert found == [("NEGATIVE", "error", "帮扶措施", 4, "资金（元）"),
                     ("MEASURE_DONE_DATE_MISSING", "error", "帮扶措施", 2, "完成日期")]
    [done_issue] = [i for i in result.issues if i.code == "MEASURE_DONE_DATE_MISSING"]
    assert done_issue.message == "这项措施的落实情况是“已完成”，但没有填“完成日期”。"


def test_measures_with_money_are_stored_and_shown_in_the_master(ws, proc):
    cfg = ws.config()
    rows = base_rows()
    rows["household"][1].update(household_no=NUMBER_B, identified_date=dt.date(2021, 6, 1))
    rows["measure"] = money_measures()
    drop(ws, cfg, rows)
    report = proc.run_pass(wait=0.05)
    assert [o.status for o in report.files] == ["applied"]

    with ws.open_store() as store:
        stored = {m["category"]: m for r in store.views.master_measures() for m in [r.data]}
    assert {k: stored["健康帮扶"][k] for k in ("project", "funds", "fund_source", "progress", "done_date")} == {
        "project": "2021年医疗救助", "funds": 3600.5, "fund_source": "行业部门资金", "progress": "已完成",
        "done_date": dt.date(2021, 10, 1)}
    assert stored["低保"]["done_date"] is None and stored["低保"]["funds"] == 4800

    rows_shown = calamine_records(ws.master_path, "帮扶措施")
    assert [(r["户主姓名"], r["措施类别"], r["责任单位"], r["资金（元）"], r["落实情况"], r["对应部门"]) for r in rows_shown] == [
        ("陈伟", "就业帮扶", "曲江区人社局", "", "计划", "人社"),
        ("陈伟", "产业帮扶", "石塘村委会", 2000.0, "已完成", ""),
        ("李秀英", "健康帮扶", "区医保局", 3600.5, "已完成", "医保"),
        ("李秀英", "低保", "马坝镇民政办", 4800.0, "实施中", "民政"),
    ]
    health = rows_shown[2]
    assert (health["镇"], health["村"], health["户编号"], health["户主身份证号"], health["流程状态"], health["在册"],
            health["项目名称"], health["资金来源"], health["完成日期"]) == (
        "马坝镇", "石塘村", NUMBER_B, HEAD_B, "帮扶中", "在册", "2021年医疗救助", "行业部门资金", "2021-10-01")

    counts = sheet_rows(ws.master_path, "帮扶措施统计")
    by_unit = table_of(ws.master_path, "帮扶措施统计", "责任单位")
    assert [(r["责任单位"], r["对应部门"], r["户数"], r["措施数"], r["资金（元）"], r["已完成措施数"], r["已完成资金（元）"])
            for r in by_unit][:5] == [
        ("区医保局", "医保", 1, 1, 3600.5, 1, 3600.5),
        ("曲江区人社局", "人社", 1, 1, 0.0, 0, 0.0),
        ("石塘村委会", "", 1, 1, 2000.0, 1, 2000.0),
        ("马坝镇民政办", "民政", 1, 1, 4800.0, 0, 0.0),
        ("合计", "", 2, 4, 10400.5, 2, 5600.5),
    ]
    text = [f"{v:g}" if isinstance(v, float) else str(v) for row in counts for v in row if v not in ("", None)]
    town_at = text.index("按镇")
    assert text[town_at + 1:town_at + 8 + 7] == [
        "镇", "村数", "户数", "措施数", "资金（元）", "已完成措施数", "已完成资金（元）",
        "马坝镇", "1", "2", "4", "10400.5", "2", "5600.5"]
    department_at = text.index("按部门（责任单位对应到 rules/departments.yaml 中的部门）")
    assert text[department_at + 8:department_at + 8 + 21] == [
        "医保", "区医疗保障局", "1", "1", "3600.5", "1", "3600.5",
        "民政", "区民政局", "1", "1", "4800", "0", "0",
        "人社", "区人力资源和社会保障局", "1", "1", "0", "0", "0"]


NEW_COLUMN = """  - key: acceptance
    header: 验收人
    type: text
    required: false
    width: 10
"""


def test_a_column_added_to_measure_yaml_is_stored_and_shown(ws, runner):
    from excel_bridge.pipeline import Processor

    schema = ws.root / "schemas" / "measure.yaml"
    schema.write_text(schema.read_text(encoding="utf-8") + NEW_COLUMN, encoding="utf-8")
    cfg = ws.config()
    rows = base_rows()
    rows["measure"] = [measure(HEAD_B, "低保", acceptance="张验收")]
    drop(ws, cfg, rows)
    with Processor(ws, as_of=AS_OF, runner=runner) as proc:
        report = proc.run_pass(wait=0.05)
    assert [o.status for o in report.files] == ["applied"]
    with ws.open_store() as store:
        [stored] = [r.data for r in store.views.master_measures()]
    assert stored["acceptance"] == "张验收"
    [shown] = calamine_records(ws.master_path, "帮扶措施")
    assert shown["验收人"] == "张验收"
    assert list(shown)[-2:] == ["验收人", "对应部门"]


def test_a_responsible_unit_maps_to_its_department(config):
    units = UnitMap(load_departments().departments, ["曲江区", *config.settings.towns])
    found = {unit: units.department_of(unit) for unit in (
        "医保", "医保局", "区医保局", "曲江区医疗保障局", "区医疗保障局", " 医 保 局 ", "马坝镇人社所", "曲江区马坝镇人社所",
        "人社局", "区民政局", "马坝镇民政办", "卫生院", "石塘村委会", "帮扶企业", "", None)}
    assert found == {
        "医保": "医保", "医保局": "医保", "区医保局": "医保", "曲江区医疗保障局": "医保", "区医疗保障局": "医保",
        " 医 保 局 ": "医保", "马坝镇人社所": "人社", "曲江区马坝镇人社所": "人社", "人社局": "人社", "区民政局": "民政",
        "马坝镇民政办": "民政", "卫生院": "卫健", "石塘村委会": None, "帮扶企业": None, "": None, None: None}


@pytest.fixture
def with_money(ws, proc):
    cfg = ws.config()
    rows = base_rows()
    rows["household"][1].update(household_no=NUMBER_B, identified_date=dt.date(2021, 6, 1))
    rows["measure"] = money_measures()
    drop(ws, cfg, rows)
    proc.run_pass(wait=0.05)
    return ws


def test_export_gives_a_department_its_measures(with_money):
    ws = with_money
    proc = run_cli("export", "医保局", "--workspace", ws.root, "--as-of", "2021-12-20")
    out = ws.root / "区级" / "部门共享" / "医保_帮扶措施_20211220.xlsx"
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"已写出医保负责的帮扶措施：{out}（1 户，措施 1 项，资金 3,600.50 元，已完成 1 项）\n"
    [row] = table_of(out, "帮扶措施", "措施类别")
    assert {k: row[k] for k in ("镇", "村", "户编号", "户主姓名", "户主身份证号", "流程状态", "措施类别", "责任单位", "项目名称",
                                "资金（元）", "资金来源", "落实情况", "完成日期", "对应部门")} == {
        "镇": "马坝镇", "村": "石塘村", "户编号": NUMBER_B, "户主姓名": "李秀英", "户主身份证号": HEAD_B, "流程状态": "帮扶中",
        "措施类别": "健康帮扶", "责任单位": "区医保局", "项目名称": "2021年医疗救助", "资金（元）": 3600.5,
        "资金来源": "行业部门资金", "落实情况": "已完成", "完成日期": dt.date(2021, 10, 1), "对应部门": "医保"}
    assert sheet_rows(out, "帮扶措施")[0][0] == "曲江区帮扶措施（医保负责）"
    [town, total] = table_of(out, "按镇汇总", "镇")
    assert [town[k] for k in ("镇", "户数", "措施数", "资金（元）", "已完成措施数")] == ["马坝镇", 1, 1, 3600.5, 1]
    assert total["镇"] == "合计"

    # a 责任单位 that is no department's: exactly its own measures; out of the 人社 name: the 人社 measure
    proc = run_cli("export", "石塘村委会", "--workspace", ws.root, "--out", ws.root / "村委会.xlsx")
    assert proc.returncode == 0, proc.stderr
    assert [(r["户主姓名"], r["措施类别"]) for r in table_of(ws.root / "村委会.xlsx", "帮扶措施", "措施类别")] == [
        ("陈伟", "产业帮扶")]
    proc = run_cli("export", "人社", "--workspace", ws.root, "--out", ws.root / "人社.xlsx")
    assert proc.returncode == 0, proc.stderr
    assert [(r["户主姓名"], r["责任单位"]) for r in table_of(ws.root / "人社.xlsx", "帮扶措施", "措施类别")] == [
        ("陈伟", "曲江区人社局")]


def test_export_refuses_a_name_that_is_neither_department_nor_unit(with_money):
    ws = with_money
    proc = run_cli("export", "某某公司", "--workspace", ws.root)
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.strip() == (
        "错误：“某某公司”既不是 rules/departments.yaml 中的部门，也不是台账中任何措施的责任单位（部门：医保、民政、残联、人社、住建、"
        "水务、教育、应急、金融、卫健、信访）。请写部门名（如 医保），或措施“责任单位”一栏所填的名称")


@pytest.mark.parametrize("measures, expected", [
    ([], [("C-RISK-MEASURE", "主要风险", "就业不稳定减收", "就业帮扶、公益岗位、技能培训")]),
    (["公益岗位"], []),
    (["技能培训"], []),
    (["就业帮扶"], []),
    (["低保"], [("C-RISK-MEASURE", "主要风险", "就业不稳定减收", "就业帮扶、公益岗位、技能培训")]),
])
def test_a_job_loss_risk_wants_an_employment_measure(tmp_path, config, measures, expected):
    """rules/assessment.yaml C-RISK-MEASURE maps 就业不稳定减收 to 就业帮扶 / 公益岗位 / 技能培训 (issue 22), for a household
    identified (here: its 识别纳入日期 in the file, within 6 months so no C-DEV-MEASURE)."""
    rows = base_rows()
    rows["household"][0].update(identified_date=dt.date(2021, 10, 1), main_risk="就业不稳定减收")
    rows["measure"] = [measure(HEAD_A, c) for c in measures]
    result = check(tmp_path, config, rows)
    found = [(i.code, i.column, i.value, i.message) for i in result.issues if i.code.startswith("C-")]
    assert found == [(code, column, value, f"风险类型“{value}”还没有对应的帮扶措施（应有：{wanted}）。")
                     for code, column, value, wanted in expected]


def test_a_lead_gets_no_risk_measure_hint(tmp_path, config):
    """Measures are planned after identification (plan 五(一)): a lead (no 识别纳入日期, not in the ledger) is not held
    to them, however its risks."""
    rows = base_rows()
    rows["household"][0].update(main_risk="就业不稳定减收", housing_secure="否")
    result = check(tmp_path, config, rows)
    assert [i.code for i in result.issues if i.code.startswith("C-")] == []
