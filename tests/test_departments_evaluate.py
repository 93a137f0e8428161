"""The rules of each department on real list files against a ledger of known people: who is warned, with which
rule, risk type and sentence, routed to which town; who is listed as not in the ledger, and where."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest
from department_lists import write_csv, write_xlsx

from excel_bridge.departments import Area, evaluate, ledger_frame, load_departments, read_list
from excel_bridge.idcard import make_id

DAY = dt.date(2021, 12, 20)
P1, P2, P3, P4, P5, P6, P7 = (make_id("440205", dt.date(1960 + i, 1 + i, 10 + i), 11 * i + 1) for i in range(7))
STRANGER = make_id("440205", dt.date(1980, 2, 2), 345)
OLD_CODE = make_id("440221", dt.date(1975, 5, 5), 12)
OUTSIDE = make_id("440222", dt.date(1990, 9, 9), 66)
MAPPED = make_id("440299", dt.date(1966, 6, 6), 77)
TOWNS = ("马坝镇", "大塘镇", "枫湾镇", "沙溪镇")


@pytest.fixture(scope="module")
def depts():
    return load_departments()


@pytest.fixture(scope="module")
def area(depts):
    return Area("440205", TOWNS, {**depts.address_codes, "440299": "马坝镇"})


def person(pid, household, town, village, household_type, **over):
    row = {"person_id": pid, "household": household, "town": town, "village": village,
           "household_type": household_type, "state": "帮扶中", "on_file": True, "dibao": "否", "tekun": "否",
           "disability_type": None, "disability_grade": None}
    return {**row, **over}


@pytest.fixture(scope="module")
def ledger():
    return ledger_frame([
        person(P1, 1, "马坝镇", "石塘村", "脱贫户"),
        person(P2, 1, "马坝镇", "石塘村", "脱贫户", dibao="是"),
        person(P3, 2, "大塘镇", "新塘村", "普通农户"),
        person(P4, 2, "大塘镇", "新塘村", "普通农户", disability_type="精神", disability_grade="三级"),
        person(P5, 2, "大塘镇", "新塘村", "普通农户", disability_type="多重", disability_grade="二级", dibao=True),
        person(P6, 3, "枫湾镇", "龙岗村", "普通农户", on_file=False),
        person(P7, 1, "马坝镇", "石塘村", "脱贫户"),
        person(P7, 4, "沙溪镇", "上洞村", "普通农户"),  # one person in two villages' files (their error)
    ])


def found(result):
    return sorted((w.rule_id, w.person_id, w.household, w.town, w.fact) for w in result.warnings)


def test_medical_thresholds_are_inclusive_and_depend_on_the_household_type(tmp_path, depts, ledger, area):
    path = write_xlsx(tmp_path / "医保.xlsx", [
        ["曲江区医疗保障局推送名单"],
        ["姓名", "参保人身份证号", "统计年度", "合规自付医疗费用", "所属镇街"],
        ["甲", P1, 2021, 5000.00, None], ["甲", P1, 2021, 12000, None],  # one person, two rows: the larger counts
        ["乙", P2, 2021, 4999.99, None],
        ["丙", P3, 2021, 19999.99, None], ["丁", P4, 2021, 20000, None],
        ["戊", P6, 2021, 25000, None],  # a household no longer on file
        ["己", P7, 2021, 30000, None],
        ["庚", STRANGER, 2021, 20000, "大塘"], ["辛", OLD_CODE, 2021, 21000, None],
        ["壬", OUTSIDE, 2021, 40000, None], ["癸", MAPPED, 2021, 22000.5, None],
        ["子", make_id("440205", dt.date(1981, 1, 1), 1), 2021, 6000, None],  # not in the ledger, below 20,000
    ])
    result = evaluate(read_list(path, depts.department("医保")), ledger, received=DAY, area=area)
    assert found(result) == [
        ("D-YB-OTHER", P4, 2, "大塘镇", "2021年合规自付医疗费用 20,000 元"),
        ("D-YB-OTHER", P7, 4, "沙溪镇", "2021年合规自付医疗费用 30,000 元"),
        ("D-YB-POOR", P1, 1, "马坝镇", "2021年合规自付医疗费用 12,000 元"),
        ("D-YB-POOR", P7, 1, "马坝镇", "2021年合规自付医疗费用 30,000 元"),
    ]
    w = next(w for w in result.warnings if w.person_id == P1)
    assert (w.department, w.name, w.risk_type, w.guarantee, w.village, w.received, w.deadline, w.sheet, w.row) == (
        "医保", "甲", "因病因残", None, "石塘村", DAY, dt.date(2022, 1, 4), "Sheet1", 4)
    unmatched = {u.person_id: (u.rule_ids, u.facts, u.town, u.place, u.basis) for u in result.unmatched}
    assert unmatched == {
        P6: (("D-YB-OTHER",), ("2021年合规自付医疗费用 25,000 元",), "枫湾镇", "枫湾镇龙岗村（台账中已移出的户）",
             "removed_household"),
        STRANGER: (("D-YB-OTHER",), ("2021年合规自付医疗费用 20,000 元",), "大塘镇", "大塘镇（部门名单所填）", "list"),
        OLD_CODE: (("D-YB-OTHER",), ("2021年合规自付医疗费用 21,000 元",), None, "本区（镇不详，身份证地址码 440221）",
                   "district"),
        OUTSIDE: (("D-YB-OTHER",), ("2021年合规自付医疗费用 40,000 元",), None, "外区（身份证地址码 440222）", "outside"),
        MAPPED: (("D-YB-OTHER",), ("2021年合规自付医疗费用 22,000.50 元",), "马坝镇", "马坝镇（身份证地址码 440299）",
                 "address_code"),
    }
    assert dataclasses.astuple(result.counts) == (12, 0, 11, 5, 4, 5)
    assert result.by_town.values.tolist() == [["马坝镇", 3, 2], ["大塘镇", 2, 1], ["枫湾镇", 0, 0], ["沙溪镇", 1, 1]]


def test_a_sentence_falls_back_when_an_optional_fact_is_absent(tmp_path, depts, ledger, area):
    path = write_csv(tmp_path / "医保.csv", [["姓名", "身份证号", "个人自付金额"], ["甲", P1, "5,000.5"]], encoding="gbk")
    (w,) = evaluate(read_list(path, depts.department("医保")), ledger, received=DAY, area=area).warnings
    assert w.fact == "合规自付医疗费用 5,000.50 元"


def test_civil_affairs_granted_stopped_and_recent_temporary_relief(tmp_path, depts, ledger, area):
    path = write_csv(tmp_path / "民政.csv", [
        ["成员姓名", "身份证号码", "保障类别", "保障状态", "审批日期", "停保日期", "救助金额"],
        ["甲", P1, "农村低保", "正常", "2021-11-01", "", "450"],          # granted, ledger says 否 → warning
        ["乙", P2, "低保", "停发", "2020-01-01", "2021-11-30", ""],       # stopped, ledger says 是 → warning
        ["丙", P3, "低保", "正常", "2021-06-01", "2022-06-30", "450"],    # ends in the future: still granted
        ["丁", P4, "低保", "", "2020-01-01", "2021-10-31", ""],           # ended, ledger never said 是: nothing
        ["戊", P5, "低保", "正常", "2019-01-01", "", "450"],              # ledger already says 是 (True): nothing
        ["戊", P5, "临时救助", "", "2021-12-10", "", "3000"],             # 10 days ago → warning
        ["丙", P3, "临时救助", "", "2021-09-01", "", "2000"],             # 110 days ago → nothing
        ["甲", P1, "特困人员", "正常", "", "", ""],                      # 特困 not on the ledger → warning
    ], encoding="gbk")
    result = evaluate(read_list(path, depts.department("民政")), ledger, received=DAY, area=area)
    assert found(result) == [
        ("D-MZ-GRANTED", P1, 1, "马坝镇", "2021-11-01起享受低保；享受特困供养"),
        ("D-MZ-GRANTED", P3, 2, "大塘镇", "2021-06-01起享受低保"),
        ("D-MZ-STOPPED", P2, 1, "马坝镇", "2021-11-30停止低保"),
        ("D-MZ-TEMP", P5, 2, "大塘镇", "2021-12-10获临时救助 3,000 元"),
    ]
    assert {w.risk_type for w in result.warnings} == {"政策衔接"}


def test_disability_not_recorded_as_such(tmp_path, depts, ledger, area):
    path = write_xlsx(tmp_path / "残联.xlsx", [
        ["持证人姓名", "持证人身份证号", "残疾类别", "残疾等级"],
        ["甲", P1, "肢体残疾", "2级"],   # severe, ledger has nothing → warning
        ["丁", P4, "精神残疾", "三级"],   # recorded exactly → nothing
        ["戊", P5, "智力残疾", "二级"],   # ledger records 多重 二级 → recorded as such
        ["丙", P3, "视力残疾", "三级"],   # mild, not 精神/智力 → nothing
        ["乙", P2, "智力", 4],            # 智力 四级 → warning
        ["丁", P4, "精神残疾", "一级"],   # ledger says 三级: no longer “as such” → warning
    ])
    result = evaluate(read_list(path, depts.department("残联")), ledger, received=DAY, area=area)
    assert found(result) == [
        ("D-CL-DISABILITY", P1, 1, "马坝镇", "持残疾人证：肢体残疾二级"),
        ("D-CL-DISABILITY", P2, 1, "马坝镇", "持残疾人证：智力残疾四级"),
        ("D-CL-DISABILITY", P4, 2, "大塘镇", "持残疾人证：精神残疾一级"),
    ]


@pytest.mark.parametrize("dept,header,rows,expected", [
    ("人社", ["姓名", "身份证号", "人员状态", "变动日期"],
     [["甲", P1, "登记失业", "2021-12-01"], ["丙", P3, "灵活就业", "2021-12-01"], ["丁", P4, "解除劳动合同", ""]],
     [("D-RS-JOBLESS", P1, "2021-12-01 失业登记", "就业不稳定减收"), ("D-RS-JOBLESS", P4, "就业终止", "就业不稳定减收")]),
    ("住建", ["户主", "户主身份证号", "鉴定等级"],
     [["甲", P1, "c级"], ["丙", P3, "B"], ["丁", P4, "D级危房"]],
     [("D-ZJ-DANGER", P1, "危房鉴定为C级", "住房不安全"), ("D-ZJ-DANGER", P4, "危房鉴定为D级", "住房不安全")]),
    ("水务", ["户主姓名", "户主身份证号", "存在问题"],
     [["甲", P1, "水质不达标"], ["丙", P3, ""]],
     [("D-SW-WATER", P1, "饮水不安全：水质不达标", "饮水不安全"), ("D-SW-WATER", P3, "列入饮水不安全名单", "饮水不安全")]),
    ("教育", ["学生姓名", "学生身份证号", "辍学时年级", "辍学原因"],
     [["丙", P3, "初二", "厌学"], ["丁", P4, "", ""]],
     [("D-JY-DROPOUT", P3, "失学辍学（初二，厌学）", None), ("D-JY-DROPOUT", P4, "失学辍学", None)]),
    ("应急", ["户主姓名", "户主身份证号", "灾害类型", "直接经济损失(元)", "受灾日期"],
     [["甲", P1, "洪涝", "12000", "2021-06-20"], ["丙", P3, "风雹", "9999", "2021-06-21"]],
     [("D-YJ-LOSS", P1, "2021-06-20洪涝受灾，损失 12,000 元", "因灾因意外事故")]),
    ("金融", ["借款人姓名", "借款人身份证号", "逾期天数", "逾期本金"],
     [["甲", P1, "90", "50000"], ["丙", P3, "89", "20000"], ["丁", P4, "120", ""]],
     [("D-JR-OVERDUE", P1, "小额信贷逾期 90 天，逾期 50,000 元", "小额贷款逾期"),
      ("D-JR-OVERDUE", P4, "小额信贷逾期 120 天", "小额贷款逾期")]),
    ("卫健", ["患者姓名", "患者身份证号", "病种"],
     [["丙", P3, "尿毒症"]],
     [("D-WJ-ILLNESS", P3, "患尿毒症", "因病因残")]),
])
def test_the_other_departments(tmp_path, depts, ledger, area, dept, header, rows, expected):
    path = write_csv(tmp_path / f"{dept}.csv", [header, *rows], encoding="gbk")
    result = evaluate(read_list(path, depts.department(dept)), ledger, received=DAY, area=area)
    assert sorted((w.rule_id, w.person_id, w.fact, w.risk_type) for w in result.warnings) == expected
    if dept == "教育":
        assert {w.guarantee for w in result.warnings} == {"义务教育有保障"}


def test_an_unusable_list_and_an_empty_ledger(tmp_path, depts, area):
    path = write_xlsx(tmp_path / "医保.xlsx", [["姓名", "合规自付医疗费用"], ["甲", 30000]])
    result = evaluate(read_list(path, depts.department("医保")), ledger_frame([]), received=DAY, area=area)
    assert result.warnings == () and result.unmatched == () and result.counts.rows == 0
    path = write_xlsx(tmp_path / "卫健.xlsx", [["患者姓名", "患者身份证号", "病种"], ["甲", P1, "尿毒症"]])
    result = evaluate(read_list(path, depts.department("卫健")), ledger_frame([]), received=DAY, area=area)
    assert result.warnings == () and [u.person_id for u in result.unmatched] == [P1]


def test_the_ledger_side_is_checked_and_completed():
    frame = ledger_frame(pd.DataFrame({"person_id": [P1], "household": [9], "town": ["马坝镇"], "village": ["石塘村"]}))
    assert list(frame.columns) == ["person_id", "household", "town", "village", "household_type", "state", "on_file",
                                   "dibao", "tekun", "disability_type", "disability_grade"]
    assert frame["on_file"].tolist() == [True]
    with pytest.raises(ValueError):
        ledger_frame([{"person_id": P1}])
