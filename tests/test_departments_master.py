"""The master's 部门比对 and 未在台账中的人员 after two departments' lists were applied and the town verified some
warnings (a real pass writes the master; calamine reads it back): per department the latest list's figures,
per department and town the warnings by outcome, overdue, leads created, and the people in no household
with the town they can be placed in."""

from __future__ import annotations

import datetime as dt

import pytest
from department_lists import apply_list, decide_warning, medical_list, town_book, verify_book, write_csv
from factory import AS_OF, HEAD_A, HEAD_B, SON_A, WIFE_A, base_rows, drop, sheet_rows, table_of

from excel_bridge.idcard import make_id
from excel_bridge.pipeline import Processor

pytestmark = pytest.mark.backends

RECEIVED = dt.datetime(2021, 12, 20, 9, 30)
STRANGER = make_id("440205", dt.date(1981, 3, 3), 123)
OUTSIDER = make_id("440222", dt.date(1975, 7, 7), 45)
NEWCOMER = make_id("440205", dt.date(1990, 1, 2), 67)
TOWNS = ["马坝镇", "大塘镇", "枫湾镇", "小坑镇", "沙溪镇", "乌石镇", "樟市镇", "白土镇", "罗坑镇"]
ZERO = [0.0] * 10


@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.mark.all_towns
def test_the_comparison_counts_lists_outcomes_leads_overdue_and_people_in_no_household(ws, cfg, proc):
    drop(ws, cfg, base_rows())
    proc.run_pass(wait=0.05)
    apply_list(ws, cfg, medical_list(ws.departments / "医保" / "医保推送名单.xlsx", [
        ("黄丽", WIFE_A, 25000), ("李秀英", HEAD_B, 6000), ("陈强", SON_A, 200), ("路人", STRANGER, 30000)]),
        at=RECEIVED, as_of=AS_OF)
    labour = write_csv(ws.departments / "人社" / "失业登记.csv", [
        ["姓名", "身份证号", "乡镇", "人员状态", "变动日期"], ["陈伟", HEAD_A, "马坝", "登记失业", "2021-12-01"],
        ["外人", OUTSIDER, "", "登记失业", "2021-12-02"], ["新人", NEWCOMER, "大塘", "解除劳动合同", "2021-12-03"],
        ["某人", "4402051990", "", "登记失业", ""]], bom=True)
    apply_list(ws, cfg, labour, at=RECEIVED + dt.timedelta(days=10), as_of=AS_OF + dt.timedelta(days=10))
    proc.run_pass(wait=0.05, force_outputs=True)
    decide_warning(town_book(ws), "黄丽", "属实-建议纳入", "属实", "王核查", AS_OF)
    decide_warning(town_book(ws), "陈伟", "不属实", "已在县城就业", "王核查", AS_OF)
    assert verify_book(ws, cfg, town_book(ws), today=AS_OF).applied == 2
    with Processor(ws, as_of=AS_OF + dt.timedelta(days=16), workers=1) as later:  # 李秀英's: one day past its deadline
        later.run_pass(wait=0.05, force_outputs=True)
    rows = sheet_rows(ws.master_path, "部门比对")
    assert rows[0][0] == "各部门最近一份名单（预警数为该部门历次名单产生的全部预警；截至 2022-01-05）"
    lists = table_of(ws.master_path, "部门比对", "最近名单")[:2]
    assert [[r[h] for h in ("部门", "最近名单", "收到时间", "名单行数", "有效身份证号人数", "无法比对行数", "在台账中人数",
                            "本名单预警数", "未在台账中人数")] for r in lists] == [
        ["人社", "失业登记.csv", dt.datetime(2021, 12, 30, 9, 30), 4, 3, 1, 1, 1, 2],
        ["医保", "医保推送名单.xlsx", dt.datetime(2021, 12, 20, 9, 30), 4, 4, 0, 3, 2, 1]]
    header = rows.index(["部门", "镇", "在台账中人数", "未在台账中人数", "预警合计", "待核实", "其中已超期", "属实-建议纳入",
                         "属实-已在监测", "不属实", "部门已撤销", "新增线索"])
    table = [r for r in rows[header + 1:] if r[0]]
    by = {(r[0], r[1]): r[2:] for r in table}
    assert [(r[0], r[1]) for r in table] == [("人社", t) for t in [*TOWNS, "（镇不详或外区）", "全区合计"]] + [
        ("医保", t) for t in [*TOWNS, "（镇不详或外区）", "全区合计"]]
    assert by[("人社", "马坝镇")] == [1, 0, 1, 0, 0, 0, 0, 1, 0, 0]
    assert by[("人社", "大塘镇")] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]  # the list's own 乡镇 column places 新人
    assert by[("人社", "（镇不详或外区）")] == [0, 1, *[0] * 8]
    assert by[("医保", "马坝镇")] == [3, 0, 2, 1, 1, 1, 0, 0, 0, 1]
    assert by[("医保", "（镇不详或外区）")] == [0, 1, *[0] * 8]
    assert by[("医保", "全区合计")] == [3, 1, 2, 1, 1, 1, 0, 0, 0, 1]
    assert all(by[("医保", t)] == ZERO for t in TOWNS[1:])
    people = table_of(ws.master_path, "未在台账中的人员", "可能所在镇")
    assert [(p["部门"], p["姓名"], p["身份证号"], p["可能所在镇"], p["所在地说明"], p["依据"], p["情况"], p["规则"],
             p["名单文件"]) for p in people] == [
        ("人社", "新人", NEWCOMER, "大塘镇", "大塘镇（部门名单所填）", "部门名单所填乡镇", "2021-12-03 就业终止", "D-RS-JOBLESS",
         "失业登记.csv"),
        ("人社", "外人", OUTSIDER, "", "外区（身份证地址码 440222）", "外区", "2021-12-02 失业登记", "D-RS-JOBLESS",
         "失业登记.csv"),
        ("医保", "路人", STRANGER, "", "本区（镇不详，身份证地址码 440205）", "本区，镇不详", "2021年合规自付医疗费用 30,000 元",
         "D-YB-OTHER", "医保推送名单.xlsx")]


def test_before_any_list_the_sheet_says_so(ws, cfg, proc):
    drop(ws, cfg, base_rows())
    proc.run_pass(wait=0.05)
    rows = sheet_rows(ws.master_path, "部门比对")
    assert rows[1][0] == "尚未收到任何部门名单（部门把名单放入“部门数据/<部门>/”后自动比对）"
    assert table_of(ws.master_path, "未在台账中的人员", "可能所在镇") == []
