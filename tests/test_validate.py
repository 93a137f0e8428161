"""Every validation code validate.py / check.py can raise, on real workbooks written by the template writer.

Each test asserts the complete list of issues of the file (so a cascade of extra issues fails it) and, for
the issue under test, its code, severity, sheet, Excel row, canonical column header and value, plus a
Chinese message and a non-empty hint from the catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from factory import (
    AS_OF,
    HEAD_A,
    HEAD_B,
    OTHER_ID,
    SON_A,
    WIFE_A,
    X_ID,
    base_rows,
    check,
    drop_sheet,
    edit_headers,
    measure,
    member,
    review,
    write,
)

from excel_bridge.check import check_file
from excel_bridge.idcard import check_char
from excel_bridge.messages import CATALOGUE

CJK = re.compile(r"[\u4e00-\u9fff]")
HH, MEM, MEA, REV = "户信息", "家庭成员", "帮扶措施", "评议公示"
# Excel rows: the header is row 1; base_rows() puts A on 户信息 row 2, B on row 3; members
# HEAD_A row 2, WIFE_A row 3, SON_A row 4, HEAD_B row 5.


def key(i):
    return (i.code, i.severity, i.sheet, i.row, i.column, i.value)


def assert_text(issue) -> None:
    assert CJK.search(issue.message), issue.message
    assert issue.hint.strip(), issue.code
    assert issue.code in CATALOGUE
    for text in (issue.message, issue.hint):
        assert "{" not in text and "“”" not in text, text  # every template field was filled


def only(result, expected: tuple):
    """The file has exactly this one issue; return it."""
    assert [key(i) for i in result.issues] == [expected]
    assert_text(result.issues[0])
    return result.issues[0]


def exactly(result, expected: list[tuple]) -> None:
    assert Counter(key(i) for i in result.issues) == Counter(expected)
    for i in result.issues:
        assert_text(i)


def hh_rows(**over_a):
    rows = base_rows()
    rows["household"][0].update(over_a)
    return rows


# --- single cells -------------------------------------------------------------------------------------

def test_required(tmp_path, config):
    r = check(tmp_path, config, hh_rows(head_name=None))
    issue = only(r, ("REQUIRED", "error", HH, 2, "户主姓名", None))
    assert "户主姓名" in issue.message


def test_not_allowed(tmp_path, config):
    r = check(tmp_path, config, hh_rows(household_type="贫困户"))
    issue = only(r, ("NOT_ALLOWED", "error", HH, 2, "户类型", "贫困户"))
    assert "脱贫户、普通农户" in issue.hint


def test_health_exclusive(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["health"] = "健康、残疾"
    only(check(tmp_path, config, rows), ("HEALTH_EXCLUSIVE", "error", MEM, 3, "健康状况", "健康、残疾"))


def test_health_alone_is_fine(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["health"] = "健康"
    r = check(tmp_path, config, rows)
    assert r.issues == []
    assert r.parsed.members[1].get("health") == ("健康",)


def test_several_health_states_with_disability_type_and_grade_are_fine(tmp_path, config):
    rows = base_rows()
    rows["member"][1].update(health="长期慢性病、残疾", disability_type="肢体", disability_grade="三级")
    r = check(tmp_path, config, rows)
    assert r.issues == []
    assert r.parsed.members[1].get("health") == ("长期慢性病", "残疾")


def test_not_integer(tmp_path, config):
    only(check(tmp_path, config, hh_rows(size="三口")), ("NOT_INTEGER", "error", HH, 2, "家庭人口数", "三口"))


def test_not_integer_fraction(tmp_path, config):
    only(check(tmp_path, config, hh_rows(size=2.5)), ("NOT_INTEGER", "error", HH, 2, "家庭人口数", "2.5"))


def test_not_number(tmp_path, config):
    only(check(tmp_path, config, hh_rows(wage_income="3万")), ("NOT_NUMBER", "error", HH, 2, "工资性收入", "3万"))


def test_negative(tmp_path, config):
    only(check(tmp_path, config, hh_rows(property_income=-100)), ("NEGATIVE", "error", HH, 2, "财产性收入", "-100"))


def test_out_of_range(tmp_path, config):
    rows = base_rows()
    rows["member"][0]["work_months"] = 13
    issue = only(check(tmp_path, config, rows), ("OUT_OF_RANGE", "error", MEM, 2, "务工时间（月）", "13"))
    assert "0 到 12" in issue.message


def test_out_of_range_household_size_zero(tmp_path, config):
    only(check(tmp_path, config, hh_rows(size=0)), ("OUT_OF_RANGE", "error", HH, 2, "家庭人口数", "0"))


def test_not_date(tmp_path, config):
    only(check(tmp_path, config, hh_rows(identified_date="2021-02-30")),
         ("NOT_DATE", "error", HH, 2, "识别纳入日期", "2021-02-30"))


def test_not_year(tmp_path, config):
    r = check(tmp_path, config, hh_rows(income_year="二〇二一"))
    only(r, ("NOT_YEAR", "error", HH, 2, "收入年度", "二〇二一"))
    assert r.households[0].line is None


def test_id_as_number(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["person_id"] = 440205197206010000  # what Excel keeps of 440205197206010228
    r = check(tmp_path, config, rows)
    assert [(i.code, i.severity, i.sheet, i.row, i.column) for i in r.issues] == \
        [("ID_AS_NUMBER", "error", MEM, 3, "身份证号")]
    issue = r.issues[0]
    assert_text(issue)
    assert "数字" in issue.message and "文本" in issue.hint
    assert issue.value != WIFE_A  # never repaired by guessing
    assert r.parsed.members[1].get("person_id") is None


def test_id_as_number_shows_what_excel_shows(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["person_id"] = 440205197206010000
    r = check(tmp_path, config, rows)
    only(r, ("ID_AS_NUMBER", "error", MEM, 3, "身份证号", "440205197206010000"))


def test_id_format(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["person_id"] = WIFE_A[:17]
    only(check(tmp_path, config, rows), ("ID_FORMAT", "error", MEM, 3, "身份证号", WIFE_A[:17]))


def test_id_birth(tmp_path, config):
    first17 = "44020519721301022"  # month 13
    bad = first17 + check_char(first17)
    rows = base_rows()
    rows["member"][1]["person_id"] = bad
    only(check(tmp_path, config, rows), ("ID_BIRTH", "error", MEM, 3, "身份证号", bad))


def test_id_checksum(tmp_path, config):
    wrong = "0" if WIFE_A[17] != "0" else "1"
    bad = WIFE_A[:17] + wrong
    rows = base_rows()
    rows["member"][1]["person_id"] = bad
    issue = only(check(tmp_path, config, rows), ("ID_CHECKSUM", "error", MEM, 3, "身份证号", bad))
    assert WIFE_A[17] in issue.hint  # the hint names the expected check character


def test_id_normalised_lowercase_x_fullwidth_and_spaces(tmp_path, config):
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in WIFE_A)
    rows = base_rows()
    rows["member"][1]["person_id"] = " " + fullwidth[:6] + " " + fullwidth[6:] + " "
    rows["member"].append(member(HEAD_A, X_ID.lower(), "之子", name="陈明", sex="男"))
    rows["household"][0]["size"] = 4
    r = check(tmp_path, config, rows)
    assert r.issues == []
    assert r.parsed.members[1].get("person_id") == WIFE_A
    assert r.parsed.members[4].get("person_id") == X_ID


def test_id_and_phone_with_a_trailing_line_break_are_normalised(tmp_path, config):
    """A cell typed with Alt+Enter after the number: the fast path for plain 18-digit IDs and 11-digit mobiles
    must not keep the line break (a regex "$" would accept it)."""
    rows = base_rows()
    rows["member"][1]["person_id"] = WIFE_A + "\n"
    rows["household"][0]["phone"] = "13800138000\n"
    r = check(tmp_path, config, rows)
    assert r.issues == []
    assert r.parsed.members[1].get("person_id") == WIFE_A
    assert r.households[0].get("phone") == "13800138000"


def test_phone_format_is_a_warning(tmp_path, config):
    r = check(tmp_path, config, hh_rows(phone="138001380"))
    only(r, ("PHONE_FORMAT", "warning", HH, 2, "联系电话", "138001380"))


def test_town_unknown(tmp_path, config):
    only(check(tmp_path, config, hh_rows(town="北京镇")), ("TOWN_UNKNOWN", "error", HH, 2, "镇", "北京镇"))


def test_town_without_suffix_is_accepted(tmp_path, config):
    r = check(tmp_path, config, hh_rows(town="马坝"))
    assert r.issues == []
    assert r.households[0].get("town") == "马坝镇"


def test_town_folder(tmp_path, config):
    path = write(tmp_path / "v.xlsx", config)
    r = check_file(path, config, as_of=AS_OF, expected_town="大塘镇")
    exactly(r, [("TOWN_FOLDER", "error", HH, 2, "镇", "马坝镇"), ("TOWN_FOLDER", "error", HH, 3, "镇", "马坝镇")])


def test_village_unknown_when_villages_registered(tmp_path):
    from excel_bridge.config import load_config
    from excel_bridge.settings import DistrictSettings

    config = load_config(settings=DistrictSettings(towns={"马坝镇": ["石塘村"], "大塘镇": []}))
    rows = base_rows()
    rows["household"][0]["village"] = "石塘"
    r = check(tmp_path, config, rows)
    issue = only(r, ("VILLAGE_UNKNOWN", "error", HH, 2, "村", "石塘"))
    assert issue.message == "“石塘”不在马坝镇登记的村名单中，本户没有入账。"
    assert issue.hint.startswith("是不是“石塘村”？请改为“石塘村”。请从下拉列表选择村名（马坝镇登记的村：石塘村）")
    assert "village" in r.households[0].invalid


# --- cells of a column converted together -------------------------------------------------------------
# validate converts a column's distinct values once and shares the result; these hold it to cell-by-cell.

def test_issues_come_in_the_order_of_the_cells_row_by_row(tmp_path, config):
    """A later column's problem in row 2 comes before an earlier column's problem in row 3."""
    rows = base_rows()
    rows["household"][0]["household_type"] = "贫困户"  # row 2, column 户类型
    rows["household"][1]["head_name"] = None  # row 3, column 户主姓名 (left of 户类型)
    result = check(tmp_path, config, rows)
    assert [key(i) for i in result.issues] == [("NOT_ALLOWED", "error", HH, 2, "户类型", "贫困户"),
                                               ("REQUIRED", "error", HH, 3, "户主姓名", None)]


def test_the_same_wrong_value_in_several_rows_is_reported_in_each(tmp_path, config):
    rows = base_rows()
    rows["member"][0]["medical_insurance"] = "未知"
    rows["member"][2]["medical_insurance"] = "未知"
    result = check(tmp_path, config, rows)
    assert [key(i) for i in result.issues] == [("NOT_ALLOWED", "error", MEM, 2, "参加基本医疗保险", "未知"),
                                               ("NOT_ALLOWED", "error", MEM, 4, "参加基本医疗保险", "未知")]
    assert [sorted(m.invalid) for m in result.parsed.members] == [["medical_insurance"], [],
                                                                  ["medical_insurance"], []]
    assert [m.values["medical_insurance"] for m in result.parsed.members] == [None, "是", None, "是"]


def test_a_true_cell_is_not_taken_for_the_number_1_of_another_row(tmp_path, config):
    """1 == True in Python: a column holding both is converted cell by cell, so TRUE stays no number."""
    import openpyxl

    rows = base_rows()
    rows["household"][0]["property_income"] = 1
    path = write(tmp_path / "v.xlsx", config, rows)
    wb = openpyxl.load_workbook(path)
    ws = wb[HH]
    column = next(c.column for c in ws[1] if c.value == "财产性收入")
    ws.cell(row=3, column=column).value = True  # a TRUE cell, as a clerk types it: calamine reads a bool
    wb.save(path)
    result = check_file(path, config, as_of=AS_OF)
    assert [key(i) for i in result.issues] == [("NOT_NUMBER", "error", HH, 3, "财产性收入", "是")]
    assert [hh.values["property_income"] for hh in result.parsed.households] == [1.0, None]


# --- links and duplicates across sheets ---------------------------------------------------------------

def test_duplicate_household(tmp_path, config):
    rows = base_rows()
    rows["household"].append(dict(rows["household"][0], head_name="陈伟(重复)"))
    issue = only(check(tmp_path, config, rows), ("DUPLICATE_HOUSEHOLD", "error", HH, 4, "户主身份证号", HEAD_A))
    assert "第 2 行" in issue.message


def test_duplicate_household_no(tmp_path, config):
    rows = base_rows()
    rows["household"][0]["household_no"] = "4402050010001"
    rows["household"][1]["household_no"] = "4402050010001"
    issue = only(check(tmp_path, config, rows), ("DUPLICATE_HOUSEHOLD_NO", "error", HH, 3, "户编号", "4402050010001"))
    assert "第 2 行" in issue.message


@pytest.mark.parametrize("person, first_row", [(WIFE_A, 3), (HEAD_B, 5)],
                         ids=["member-of-two-households", "head-of-B-also-member-of-A"])
def test_duplicate_person_across_households(tmp_path, config, person, first_row):
    """The same ID twice in 家庭成员, listed under two different households."""
    rows = base_rows()
    if person == WIFE_A:  # A's wife also listed under B
        rows["household"][1]["size"] = 2
        rows["member"].append(member(HEAD_B, WIFE_A, "之女", name="黄丽"))
    else:  # B's head (in 户信息 and as B's 户主) also listed as A's mother
        rows["household"][0]["size"] = 4
        rows["member"].append(member(HEAD_A, HEAD_B, "之母", name="李秀英", labour="弱劳动力或半劳动力"))
    issue = only(check(tmp_path, config, rows), ("DUPLICATE_PERSON", "error", MEM, 6, "身份证号", person))
    assert f"第 {first_row} 行" in issue.message


def test_member_orphan(tmp_path, config):
    rows = base_rows()
    rows["member"].append(member(OTHER_ID, OTHER_ID, "户主", name="王五"))
    only(check(tmp_path, config, rows), ("MEMBER_ORPHAN", "error", MEM, 6, "户主身份证号", OTHER_ID))


def test_measure_orphan(tmp_path, config):
    rows = base_rows()
    rows["measure"] = [measure(HEAD_A), measure(OTHER_ID)]
    r = check(tmp_path, config, rows)
    only(r, ("MEASURE_ORPHAN", "error", MEA, 3, "户主身份证号", OTHER_ID))
    assert [m.row for m in r.households[0].measures] == [2]


def test_review_orphan(tmp_path, config):
    rows = base_rows()
    rows["review"] = [review(OTHER_ID)]
    only(check(tmp_path, config, rows), ("REVIEW_ORPHAN", "error", REV, 2, "户主身份证号", OTHER_ID))


def test_head_missing(tmp_path, config):
    rows = base_rows()
    rows["member"][3]["relation"] = "其他"
    only(check(tmp_path, config, rows), ("HEAD_MISSING", "error", HH, 3, "户主身份证号", HEAD_B))


def test_head_multiple(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["relation"] = "户主"
    r = check(tmp_path, config, rows)
    exactly(r, [("HEAD_MULTIPLE", "error", MEM, 2, "与户主关系", "2"),
                ("HEAD_MULTIPLE", "error", MEM, 3, "与户主关系", "2"),
                ("HEAD_ID_MISMATCH", "error", MEM, 3, "身份证号", WIFE_A)])


def test_head_id_mismatch(tmp_path, config):
    stranger = "440205197003050158"  # valid, male, born 1970-03-05 like HEAD_A, but not HEAD_A
    rows = base_rows()
    rows["member"][0]["person_id"] = stranger
    issue = only(check(tmp_path, config, rows), ("HEAD_ID_MISMATCH", "error", MEM, 2, "身份证号", stranger))
    assert HEAD_A in issue.message


def test_size_mismatch(tmp_path, config):
    issue = only(check(tmp_path, config, hh_rows(size=4)), ("SIZE_MISMATCH", "error", HH, 2, "家庭人口数", "4"))
    assert "3 人" in issue.message


# --- per person ---------------------------------------------------------------------------------------

def test_sex_mismatch(tmp_path, config):
    rows = base_rows()
    rows["member"][0]["sex"] = "女"
    issue = only(check(tmp_path, config, rows), ("SEX_MISMATCH", "error", MEM, 2, "性别", "女"))
    assert "男" in issue.message


def test_birth_mismatch(tmp_path, config):
    rows = base_rows()
    rows["member"][0]["birth_date"] = dt.date(1970, 3, 6)
    issue = only(check(tmp_path, config, rows), ("BIRTH_MISMATCH", "error", MEM, 2, "出生日期", "1970-03-06"))
    assert "1970-03-05" in issue.message


def test_edu_both(tmp_path, config):
    rows = base_rows()
    rows["member"][2]["education"] = "小学"  # SON_A already has 在校生状况 初中
    only(check(tmp_path, config, rows), ("EDU_BOTH", "error", MEM, 4, "在校生状况", "初中"))


def test_edu_none(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["education"] = None
    only(check(tmp_path, config, rows), ("EDU_NONE", "error", MEM, 3, "文化程度", None))


@pytest.mark.parametrize("education, schooling", [("初中", None), (None, "初中")])
def test_edu_exactly_one_is_fine(tmp_path, config, education, schooling):
    rows = base_rows()
    rows["member"][2].update(education=education, schooling=schooling)
    # 陈强 is 13: with 文化程度 instead of 在校生状况 he is out of school, which 义务教育有保障=是 contradicts —
    # a hint of the revised docs/domain.md (C-SCHOOL-AGE), not an EDU_* error
    assert [key(i) for i in check(tmp_path, config, rows).issues] == (
        [("C-SCHOOL-AGE", "warning", MEM, 4, "在校生状况", None)] if schooling is None else [])


def test_disability_type_missing(tmp_path, config):
    rows = base_rows()
    rows["member"][1]["health"] = "残疾"
    only(check(tmp_path, config, rows), ("DISABILITY_TYPE_MISSING", "error", MEM, 3, "残疾类别", None))


def test_disability_grade_missing(tmp_path, config):
    rows = base_rows()
    rows["member"][1].update(health="残疾", disability_type="肢体")
    only(check(tmp_path, config, rows), ("DISABILITY_GRADE_MISSING", "error", MEM, 3, "残疾等级", None))


# --- reviews ------------------------------------------------------------------------------------------

def test_objection_result_missing(tmp_path, config):
    rows = base_rows()
    rows["review"] = [review(HEAD_B, objection="有")]
    only(check(tmp_path, config, rows), ("OBJECTION_RESULT_MISSING", "error", REV, 2, "异议处理结果", None))


def test_objection_with_result_is_fine(tmp_path, config):
    rows = base_rows()
    rows["review"] = [review(HEAD_B, objection="有", objection_result="异议不成立")]
    r = check(tmp_path, config, rows)
    assert r.issues == []
    assert len(r.households[1].reviews) == 1


def test_notice_dates(tmp_path, config):
    rows = base_rows()
    rows["review"] = [review(HEAD_B, notice_start=dt.date(2021, 11, 6), notice_end=dt.date(2021, 11, 2))]
    issue = only(check(tmp_path, config, rows), ("NOTICE_DATES", "error", REV, 2, "公示结束日期", "2021-11-02"))
    assert "2021-11-06" in issue.message


# --- incomes and the monitoring line -------------------------------------------------------------------

def test_income_mismatch_over_one_yuan_warns_and_uses_computed(tmp_path, config):
    r = check(tmp_path, config, hh_rows(per_capita_income=12001.01))  # computed: 36000 / 3 = 12000
    issue = only(r, ("INCOME_MISMATCH", "warning", HH, 2, "人均纯收入", "12001.01"))
    assert "12000.00" in issue.message
    assert r.households[0].per_capita_income == 12000.0


def test_income_mismatch_below_by_over_one_yuan(tmp_path, config):
    r = check(tmp_path, config, hh_rows(per_capita_income=11998.99))
    only(r, ("INCOME_MISMATCH", "warning", HH, 2, "人均纯收入", "11998.99"))
    assert r.households[0].per_capita_income == 12000.0


@pytest.mark.parametrize("filled", [12001.00, 11999.00, 12000.00, 12000.5])
def test_income_off_by_at_most_one_yuan_is_no_issue(tmp_path, config, filled):
    r = check(tmp_path, config, hh_rows(per_capita_income=filled))
    assert r.issues == []
    assert r.households[0].per_capita_income == 12000.0


def test_income_off_by_exactly_one_yuan_with_cents(tmp_path, config):
    # computed 28799.97 / 3 = 9599.99; filled 9600.99 is off by exactly 1.00
    r = check(tmp_path, config, hh_rows(wage_income=28799.97, business_income=0, transfer_income=0,
                                        business_cost=0, per_capita_income=9600.99))
    assert r.issues == []
    assert r.households[0].per_capita_income == 9599.99


def test_line_unconfigured(tmp_path, config):
    rows = base_rows()
    rows["household"][1].update(income_year=2030, medical_expense=100)
    r = check(tmp_path, config, rows)
    issue = only(r, ("LINE_UNCONFIGURED", "warning", HH, 3, "收入年度", "2030"))
    # the district's to fix, never a clerk's error pointing at a YAML file
    assert issue.message == "区里还没有设置2030年的监测线，暂时无法研判本户，请联系区乡村振兴局。"
    assert "yaml" not in (issue.message + issue.hint).lower() and "rules" not in issue.hint
    hh, a = r.pairs()[1]
    assert hh.line is None
    assert hh.per_capita_income == 8000.0  # still computed
    assert a.results["R-INCOME"] is None and a.results["R-RIGID"] is None
    assert a.results["R-DROP"] is False and a.results["R-GUARANTEE"] is False
    assert a.proposed is None
    assert r.to_json()["households"][1]["line"] is None


# --- sheets and columns -------------------------------------------------------------------------------

@pytest.mark.parametrize("sheet, severity", [(MEM, "error"), (MEA, "warning")])
def test_sheet_missing(tmp_path, config, sheet, severity):
    path = drop_sheet(write(tmp_path / "v.xlsx", config), sheet)
    r = check_file(path, config, as_of=AS_OF)
    issue = only(r, ("SHEET_MISSING", severity, sheet, None, None, None))
    assert sheet in issue.message


def test_column_missing(tmp_path, config):
    path = edit_headers(write(tmp_path / "v.xlsx", config), HH, rename={"户主姓名": None})
    r = check_file(path, config, as_of=AS_OF)
    issue = only(r, ("COLUMN_MISSING", "error", HH, 1, "户主姓名", None))
    assert "户主姓名" in issue.message
    assert r.households[0].get("head_name") is None


def test_column_unknown(tmp_path, config):
    path = edit_headers(write(tmp_path / "v.xlsx", config), HH, append=("村民代表意见",))
    r = check_file(path, config, as_of=AS_OF)
    only(r, ("COLUMN_UNKNOWN", "warning", HH, 1, "村民代表意见", "村民代表意见"))


def test_column_duplicate(tmp_path, config):
    path = edit_headers(write(tmp_path / "v.xlsx", config), HH, append=("户主姓名",))
    r = check_file(path, config, as_of=AS_OF)
    only(r, ("COLUMN_DUPLICATE", "error", HH, 1, "户主姓名", None))
    assert r.households[0].get("head_name") == "陈伟"  # the first column is read


def test_header_not_found(tmp_path, config):
    path = edit_headers(write(tmp_path / "v.xlsx", config), REV,
                        rename={h.header: f"第{n}列" for n, h in enumerate(config.schemas.review.columns)})
    r = check_file(path, config, as_of=AS_OF)
    only(r, ("HEADER_NOT_FOUND", "error", REV, None, None, "户主身份证号、事项、民主评议日期、评议结果"))


def test_headers_matched_after_normalising_width_space_and_aliases(tmp_path, config):
    path = write(tmp_path / "v.xlsx", config)
    edit_headers(path, HH, rename={"户主姓名": " 户主 姓名 ", "家庭人口数": "家庭人口数＊", "组": "村民小组"})
    edit_headers(path, MEM, rename={"务工时间（月）": "务工时间(月)", "身份证号": "证件号码"})
    r = check_file(path, config, as_of=AS_OF)
    assert r.issues == []
    assert r.households[0].get("head_name") == "陈伟"
    assert r.households[0].get("group") == "一组"
    assert r.households[0].get("size") == 3
    assert r.parsed.members[0].get("work_months") == 10
    assert [m.get("person_id") for m in r.households[0].members] == [HEAD_A, WIFE_A, SON_A]
