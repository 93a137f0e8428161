"""Issue 22's "Done when", end to end through the real CLI (every step a subprocess `excel-bridge`): a district of two
villages processed in 2021 with a household identified (帮扶中, 户编号 and 识别纳入日期 from before this system), the
2022 monitoring line configured, `round <ws> 2022 --until 2023-01-31`; 石塘村 fills its pre-filled workbook (the
year's incomes, 走访日期, a new 监测联系人, a measure with money for 区医保局) and returns it, 新村 does not; a pass
past --until shows 石塘村 done and 新村 overdue in 回头看进度 and warns about 新村 in 预警; the measure's money is in
the master's 帮扶措施 and in `export 医保`; a 信访 list in 部门数据/信访/ is a warning in the town's workbook, the
town's 属实-建议纳入 makes a lead with 线索来源 信访信息. Real workbooks read back, on both backends."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest
from cli_helpers import run_cli
from department_lists import decide_warning, warning_table, write_xlsx
from factory import (
    HEAD_A,
    HEAD_B,
    TOWN,
    base_rows,
    calamine_records,
    drop,
    ledger_row,
    rows_of_their_own,
    sheet_rows,
    table_of,
    transitions_of,
    workspace_on,
)
from xlsx_helpers import header_columns

pytestmark = pytest.mark.backends

A_VILLAGE, B_VILLAGE = "石塘村", "新村"
NUMBER_A = "4402050010010001"
PETITION_DATE = dt.date(2023, 2, 3)


def cli(*args: object):
    done = run_cli(*args, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def process(ws, as_of: str):
    return cli("process", ws.root, "--as-of", as_of, "--workers", "1", "--wait", "0.05")


def with_line_2022(ws) -> None:
    path = ws.root / "rules" / "monitoring_line.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  2021: 9600" in text
    path.write_text(text.replace("  2021: 9600", "  2021: 9600\n  2022: 9900", 1), encoding="utf-8")


def village_2021() -> dict:
    """石塘村: A identified before this system (帮扶中 since 2021-06-01, national 户编号, a contact), B above the line."""
    rows = base_rows()
    rows["household"][0].update(identified_date=dt.date(2021, 6, 1), household_no=NUMBER_A,
                                contact_person="王联系", contact_phone="13711110000")
    rows["household"][1].update(wage_income=3000)
    return rows


def fill_the_round(ws) -> None:
    """石塘村's clerk fills the pre-filled 2022 workbook in Excel (openpyxl) and drops it into the town's inbox."""
    path = ws.prefilled_path(TOWN, A_VILLAGE, 2022)
    book = openpyxl.load_workbook(path)
    sheet = book["户信息"]
    cols = header_columns(sheet)
    rows = {sheet.cell(row=r, column=cols["户主身份证号"]).value: r for r in range(2, sheet.max_row + 1)}
    assert set(rows) == {HEAD_A, HEAD_B}
    incomes = {HEAD_A: (33000, 6000, 0, 3000, 3000), HEAD_B: (3000, 2500, 0, 7000, 500)}
    for head, values in incomes.items():
        for header, value in zip(("工资性收入", "生产经营性收入", "财产性收入", "转移性收入", "生产经营性支出"), values,
                                 strict=True):
            sheet.cell(row=rows[head], column=cols[header], value=value)
        visit = sheet.cell(row=rows[head], column=cols["走访日期"], value=dt.date(2023, 1, 10))
        visit.number_format = "yyyy-mm-dd"
    sheet.cell(row=rows[HEAD_A], column=cols["监测联系人"], value="李新联")
    sheet.cell(row=rows[HEAD_A], column=cols["联系人电话"], value="13722223333")
    measures = book["帮扶措施"]
    mcols = header_columns(measures)
    r = measures.max_row + 1
    for header, value in (("户主身份证号", HEAD_A), ("措施类别", "健康帮扶"), ("措施内容", "慢病签约服务"),
                          ("开始日期", dt.date(2022, 3, 1)), ("责任单位", "区医保局"), ("项目名称", "2022年医疗救助"),
                          ("资金（元）", 3600.5), ("资金来源", "行业部门资金"), ("落实情况", "已完成"),
                          ("完成日期", dt.date(2022, 10, 1))):
        cell = measures.cell(row=r, column=mcols[header], value=value)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
    book.save(path)
    shutil.copy2(path, ws.town_inbox(TOWN) / "石塘村2022.xlsx")


def petition_list(ws) -> None:
    rows = [["曲江区信访局 防止返贫相关信访及12317热线登记表"],
            ["序号", "反映人", "反映人身份证号", "反映问题", "受理日期", "来源"],
            [1, "李秀英", HEAD_B, "独居老人，大病住院，医疗费用负担重", PETITION_DATE, "信访"]]
    path = ws.departments / "信访" / "信访登记表.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_xlsx(path, rows, sheet="登记表")


def new_village() -> dict:
    """新村: base_rows() with people of its own (赵明's household of 3 above the line, 钱芳 alone below it)."""
    rows = rows_of_their_own(1)
    names = {"陈伟": "赵明", "黄丽": "孙红", "陈强": "赵强", "李秀英": "钱芳"}
    for hh in rows["household"]:
        hh.update(village=B_VILLAGE, head_name=names[hh["head_name"]])
    for m in rows["member"]:
        m["name"] = names[m["name"]]
    return rows


def test_the_year_after_identification_through_the_cli(tmp_path, backend, config):
    ws = workspace_on(tmp_path / "ws", backend, towns={TOWN: [A_VILLAGE, B_VILLAGE]})
    with_line_2022(ws)

    # 2021: both villages send their ledgers; 石塘村's A is 帮扶中 (identified before this system)
    drop(ws, config, village_2021())
    drop(ws, config, new_village(), name="新村.xlsx")
    process(ws, "2021-12-20")
    assert (ledger_row(ws, HEAD_A).state, ledger_row(ws, HEAD_B).state) == ("帮扶中", "未纳入")
    states_2021 = {r["户主姓名"]: r["流程状态"] for r in table_of(ws.master_path, "监测户台账", "户主身份证号")}

    # a year on, the district starts the 2022 round: every village gets its pre-filled workbook
    started = cli("round", ws.root, 2022, "--until", "2023-01-31")
    lines = started.stdout.splitlines()
    assert lines[0].startswith("已开始2022年回头看（") and lines[0].endswith("，2023-01-31截止）。")
    assert lines[1].startswith("写出 2 个村的2022年预填台账（共 4 户、8 人）")
    for village in (A_VILLAGE, B_VILLAGE):
        assert ws.prefilled_path(TOWN, village, 2022).exists(), village
    a_prefilled = {r["户主身份证号"]: r for r in calamine_records(ws.prefilled_path(TOWN, A_VILLAGE, 2022), "户信息")}
    assert (a_prefilled[HEAD_A]["收入年度"], a_prefilled[HEAD_A]["上年人均纯收入"], a_prefilled[HEAD_A]["工资性收入"],
            a_prefilled[HEAD_A]["户编号"], a_prefilled[HEAD_A]["监测联系人"]) == (2022, 12000, "", NUMBER_A, "王联系")

    # 石塘村 returns its workbook filled, 新村 does not; a pass past --until
    fill_the_round(ws)
    done = process(ws, "2023-02-01")
    assert "马坝镇/石塘村2022.xlsx：已入账。2户，错误0处" in done.stdout

    progress = calamine_records(ws.master_path, "回头看进度", header_row=1)
    assert [(p["镇"], p["村"], p["台账交回"], p["户数"], p["已重新采集户数"], p["待采集户数"], p["进度"])
            for p in progress] == [
        (TOWN, A_VILLAGE, "已交回", 2, 2, 0, "已完成"), (TOWN, B_VILLAGE, "未交回", 2, 0, 2, "已超期"),
        ("全区合计", "", "1/2", 4, 2, 2, "")]
    town_progress = calamine_records(ws.town_review_path(TOWN), "回头看进度", header_row=1)
    assert [(p["村"], p["台账交回"], p["进度"]) for p in town_progress] == [
        (A_VILLAGE, "已交回", "已完成"), (B_VILLAGE, "未交回", "已超期"), ("", "1/2", "")]
    overdue = [row[:6] for row in sheet_rows(ws.master_path, "预警") if "回头看超期" in row]
    [monitored_b] = [name for name, state in states_2021.items() if name in ("赵明", "钱芳") and state != "未纳入"]
    number_b = ledger_row(ws, new_village()["household"][1]["head_id"]).household_no
    assert overdue == [
        ["回头看超期", TOWN, B_VILLAGE, "", "",
         "2022年回头看已于2023-01-31截止，本村还没有交回预填台账（2 户待重新采集本年度收入）"],
        ["回头看超期", TOWN, B_VILLAGE, number_b, monitored_b,
         "监测户：2022年回头看已于2023-01-31截止，本户还没有重新采集2022年收入，请村里入户采集后报送"]]
    a = ledger_row(ws, HEAD_A)
    assert (a.state, a.data["income_year"], a.data["contact_person"], a.data["contact_phone"]) == (
        "帮扶中", 2022, "李新联", "13722223333")
    master = {r["户主姓名"]: r for r in table_of(ws.master_path, "监测户台账", "户主身份证号")}
    assert (master["陈伟"]["监测联系人"], master["陈伟"]["收入年度"], master["陈伟"]["人均纯收入"],
            master["陈伟"]["上年人均纯收入"]) == ("李新联", 2022, 13000, 12000)

    # the measure's money: in the master's 帮扶措施, and in 医保's own export
    [shown] = calamine_records(ws.master_path, "帮扶措施")
    assert {k: shown[k] for k in ("镇", "村", "户编号", "户主姓名", "户主身份证号", "流程状态", "措施类别", "责任单位",
                                  "项目名称", "资金（元）", "资金来源", "落实情况", "完成日期", "对应部门")} == {
        "镇": TOWN, "村": A_VILLAGE, "户编号": NUMBER_A, "户主姓名": "陈伟", "户主身份证号": HEAD_A, "流程状态": "帮扶中",
        "措施类别": "健康帮扶", "责任单位": "区医保局", "项目名称": "2022年医疗救助", "资金（元）": 3600.5,
        "资金来源": "行业部门资金", "落实情况": "已完成", "完成日期": "2022-10-01", "对应部门": "医保"}
    export = cli("export", "医保", "--workspace", ws.root, "--as-of", "2023-02-01")
    out = ws.root / "区级" / "部门共享" / "医保_帮扶措施_20230201.xlsx"
    assert export.stdout == f"已写出医保负责的帮扶措施：{out}（1 户，措施 1 项，资金 3,600.50 元，已完成 1 项）\n"
    [row] = table_of(out, "帮扶措施", "措施类别")
    assert {k: row[k] for k in ("村", "户编号", "户主身份证号", "措施类别", "责任单位", "资金（元）", "落实情况",
                                "完成日期")} == {
        "村": A_VILLAGE, "户编号": NUMBER_A, "户主身份证号": HEAD_A, "措施类别": "健康帮扶", "责任单位": "区医保局",
        "资金（元）": 3600.5, "落实情况": "已完成", "完成日期": dt.date(2022, 10, 1)}
    [town_total, total] = table_of(out, "按镇汇总", "镇")
    assert [town_total[k] for k in ("镇", "户数", "措施数", "资金（元）", "已完成措施数")] == [TOWN, 1, 1, 3600.5, 1]

    # a 信访 list: a warning in the town's workbook; the town's 属实-建议纳入 makes a lead from 信访信息
    petition_list(ws)
    taken = process(ws, "2023-02-05")
    assert "部门数据/信访/信访登记表.xlsx：已比对。" in taken.stdout and "新增预警 1 条" in taken.stdout
    [warning] = warning_table(ws.town_review_path(TOWN))
    assert (warning["村"], warning["户主姓名"], warning["部门"], warning["情况"], warning["户状态"], warning["核实期限"]) == (
        A_VILLAGE, "李秀英", "信访", "2023-02-03经信访反映：独居老人，大病住院，医疗费用负担重", "未纳入",
        dt.date(2023, 2, 20))
    decide_warning(ws.town_review_path(TOWN), "李秀英", "属实-建议纳入", "入户核实，大病住院支出大", "王核查",
                   dt.date(2023, 2, 6))
    process(ws, "2023-02-06")
    b = ledger_row(ws, HEAD_B)
    assert (b.state, b.data["lead_source"], b.data["accepted_date"], b.lead_date) == (
        "线索", "信访信息", PETITION_DATE, PETITION_DATE)
    [move] = transitions_of(ws, HEAD_B)
    assert (move.action, move.from_state, move.to_state, move.level, move.person) == (
        "部门预警核实纳入", "未纳入", "线索", "镇", "王核查")
    master = {r["户主姓名"]: r for r in table_of(ws.master_path, "监测户台账", "户主身份证号")}
    assert (master["李秀英"]["流程状态"], master["李秀英"]["线索日期"]) == ("线索", "2023-02-03")
    assert "（线索来源：信访信息；" in master["李秀英"]["审核意见"]
    # the leads register: the master's 统计 counts it under 信访信息 for 马坝镇
    stats = sheet_rows(ws.master_path, "统计")
    header = next(i for i, r in enumerate(stats) if r[:5] == ["镇", "入户走访", "农户自主申报", "部门筛查预警", "信访信息"])
    town_row = next(r for r in stats[header + 1:] if r[0] == TOWN)
    assert town_row[4] == 1
