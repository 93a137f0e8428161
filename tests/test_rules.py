"""Eligibility (研判), category, assistance, consistency and elimination rules, and the rule set, as docs/domain.md words them.

Households come from factory.base_rows(): A = 普通农户 of 3 with labour, 36000 net → 12000/person;
B = 脱贫户 living alone, 8000/person, 弱劳动力或半劳动力 aged 71 (nobody of working age: cannot work). The
2021 line is 9600 and the range includes it (line_inclusive). The boundaries issue 9 names are in
test_rules_edges.py.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from factory import AS_OF, HEAD_A, HEAD_B, base_rows, check, measure

from excel_bridge.config import bundled_dir, load_config
from excel_bridge.errors import ConfigError
from excel_bridge.rules import Assessor
from excel_bridge.ruleset import load_rules

HH = "户信息"


def run(tmp_path, config, rows, **kw):
    """(result, {head id: assessment}) for rows written, read back and checked."""
    r = check(tmp_path, config, rows, **kw)
    return r, {hh.head_id: a for hh, a in r.pairs()}


def rows_a(**over):
    rows = base_rows()
    rows["household"][0].update(over)
    return rows


def rows_b(**over):
    rows = base_rows()
    rows["household"][1].update(over)
    return rows


def codes(result):
    return [(i.code, i.severity, i.sheet, i.row, i.column, i.value) for i in result.issues]


def rules_copy(tmp_path: Path, edit) -> Path:
    """A copy of the bundled rules/ with one YAML file changed through edit(name, data) → data."""
    target = tmp_path / "rules"
    shutil.copytree(bundled_dir("rules"), target)
    for name in ("monitoring_line.yaml", "assessment.yaml", "workflow.yaml"):
        path = target / name
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        new = edit(name, data)
        if new is not None:
            path.write_text(yaml.safe_dump(new, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


# --- R-INCOME -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("wage, per_capita, holds", [
    (28800.03, 9600.01, False),   # one cent above
    (28800, 9600.00, True),       # at the line: 以下 includes it (docs/domain.md, revised for issue 9)
    (28799.97, 9599.99, True),    # one cent below
])
def test_r_income_at_the_line_size_three(tmp_path, config, wage, per_capita, holds):
    r, a = run(tmp_path, config, rows_a(wage_income=wage, business_income=0, transfer_income=0, business_cost=0))
    assert r.issues == []
    assert r.households[0].per_capita_income == per_capita
    assert r.households[0].line == 9600
    assert a[HEAD_A].results["R-INCOME"] is holds
    assert a[HEAD_A].proposed is holds


@pytest.mark.parametrize("business, holds", [(10100.01, False), (10100, True), (10099.99, True)])
def test_r_income_at_the_line_size_one(tmp_path, config, business, holds):
    r, a = run(tmp_path, config, rows_b(business_income=business, transfer_income=0, business_cost=500))
    assert r.issues == []
    assert a[HEAD_B].results["R-INCOME"] is holds


# --- R-DROP -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("wage, per_capita, holds", [
    (36000, 14000.00, True),      # 20000 → 14000: exactly 30 % lower
    (36000.03, 14000.01, False),  # 29.99995 % lower
])
def test_r_drop_at_thirty_percent(tmp_path, config, wage, per_capita, holds):
    """Above the range the drop marks the household and asks to verify; it does not propose it (revised DOMAIN)."""
    r, a = run(tmp_path, config, rows_a(wage_income=wage, prev_per_capita_income=20000))
    assert codes(r) == ([("R-DROP-VERIFY", "warning", HH, 2, "上年人均纯收入", "20000")] if holds else [])
    assert r.households[0].per_capita_income == per_capita
    res = a[HEAD_A].results
    assert res["R-DROP"] is holds
    assert res["R-INCOME"] is False
    assert a[HEAD_A].proposed is False
    assert a[HEAD_A].category is None


def test_r_drop_without_last_year_does_not_hold(tmp_path, config):
    _, a = run(tmp_path, config, rows_a(wage_income=0))  # 3000/person, far below, no 上年人均纯收入
    assert a[HEAD_A].results["R-DROP"] is False


def test_r_drop_unknown_when_last_year_invalid(tmp_path, config):
    r, a = run(tmp_path, config, rows_a(prev_per_capita_income="两万"))
    assert codes(r) == [("NOT_NUMBER", "error", HH, 2, "上年人均纯收入", "两万")]
    assert a[HEAD_A].results["R-DROP"] is None


# --- R-RIGID ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("medical, other, holds", [
    (7199.97, 0, False),       # 12000 − 7199.97/3 = 9600.01: still above
    (7200, 0, True),           # 12000 − 7200/3 = 9600: at the line, within the range
    (3600, 3600.03, True),     # 12000 − 7200.03/3 = 9599.99
    (0, 7200.03, True),
])
def test_r_rigid_boundary(tmp_path, config, medical, other, holds):
    r, a = run(tmp_path, config, rows_a(medical_expense=medical, other_rigid_expense=other))
    assert r.issues == []
    res = a[HEAD_A].results
    assert res["R-RIGID"] is holds
    assert res["R-INCOME"] is False
    assert a[HEAD_A].proposed is holds
    assert a[HEAD_A].category == ("突发严重困难户" if holds else None)


@pytest.mark.parametrize("medical, other", [(0, 0), (None, None)])
def test_r_rigid_needs_expenditure(tmp_path, config, medical, other):
    """No rigid expenditure never makes R-RIGID hold, even for a household far below the line (B: 8000)."""
    r, a = run(tmp_path, config, rows_b(medical_expense=medical, other_rigid_expense=other))
    assert r.issues == []
    assert a[HEAD_B].results["R-RIGID"] is False
    assert a[HEAD_B].results["R-INCOME"] is True


@pytest.mark.parametrize("medical", [1, 19999.99])
def test_r_rigid_not_for_a_household_already_within_the_range(tmp_path, config, medical):
    """R-RIGID is hardship *caused by* the spending: B (8000, within by income) is not marked by any expense."""
    r, a = run(tmp_path, config, rows_b(medical_expense=medical))
    assert r.issues == []
    assert a[HEAD_B].results["R-INCOME"] is True
    assert a[HEAD_B].results["R-RIGID"] is False


def test_r_rigid_false_without_expenditure_even_if_size_invalid(tmp_path, config):
    r, a = run(tmp_path, config, rows_a(size="三", housing_secure="否"))
    assert codes(r) == [("NOT_INTEGER", "error", HH, 2, "家庭人口数", "三")]
    assert a[HEAD_A].proposed is True  # R-GUARANTEE holds
    assert a[HEAD_A].results["R-RIGID"] is False
    assert a[HEAD_A].category == "边缘易致贫户"


# --- R-GUARANTEE --------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, tag", [
    ("food_clothing", None), ("education_secure", None), ("medical_secure", None),
    ("housing_secure", "住房不安全"), ("water_secure", "饮水不安全"),
])
def test_r_guarantee_each_of_the_five(tmp_path, config, field, tag):
    r, a = run(tmp_path, config, rows_a(**{field: "否"}))
    assert r.issues == []
    res = a[HEAD_A]
    assert res.results["R-GUARANTEE"] is True
    assert res.results["R-INCOME"] is False
    assert res.proposed is True
    assert res.risk_types == ([tag] if tag else [])
    assert res.category == "边缘易致贫户"


def test_r_guarantee_member_without_medical_insurance(tmp_path, config):
    rows = base_rows()
    rows["member"][2]["medical_insurance"] = "否"
    r, a = run(tmp_path, config, rows)
    assert r.issues == []
    assert a[HEAD_A].results["R-GUARANTEE"] is True
    assert a[HEAD_A].proposed is True
    assert a[HEAD_A].risk_types == []


def test_r_guarantee_all_yes_does_not_hold(tmp_path, config):
    _, a = run(tmp_path, config, base_rows())
    assert a[HEAD_A].results["R-GUARANTEE"] is False
    assert a[HEAD_A].risk_types == []


def test_r_guarantee_tag_not_repeated_when_also_declared(tmp_path, config):
    _, a = run(tmp_path, config, rows_a(housing_secure="否", main_risk="住房不安全"))
    assert a[HEAD_A].risk_types == ["住房不安全"]


# --- R-SPECIAL ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("over, special", [
    ({"health": "患有大病"}, True),
    ({"health": "长期慢性病"}, False),                                     # no heavy burden (A: 0 元)
    ({"health": "残疾", "disability_type": "肢体", "disability_grade": "一级"}, True),
    ({"health": "残疾", "disability_type": "视力", "disability_grade": "二级"}, True),
    ({"health": "残疾", "disability_type": "精神", "disability_grade": "三级"}, True),
    ({"health": "残疾", "disability_type": "精神", "disability_grade": "四级"}, True),
    ({"health": "残疾", "disability_type": "智力", "disability_grade": "三级"}, True),
    ({"health": "残疾", "disability_type": "智力", "disability_grade": "四级"}, True),
    ({"disabled_care": "是", "tekun": "是"}, False),                       # 黄丽 is 49: not 老年人
    ({"health": "残疾", "disability_type": "肢体", "disability_grade": "三级"}, False),
    ({"health": "残疾", "disability_type": "听力", "disability_grade": "四级"}, False),
    ({"disabled_care": "是"}, False),
    ({"tekun": "是"}, False),
    ({}, False),
], ids=["大病", "慢性病无负担", "肢体一级", "视力二级", "精神三级", "精神四级", "智力三级", "智力四级", "失能+特困49岁",
        "肢体三级", "听力四级", "失能only", "特困only", "健康"])
def test_r_special(tmp_path, config, over, special):
    rows = base_rows()
    rows["member"][1].update(over)
    r, a = run(tmp_path, config, rows)
    assert r.issues == []
    res = a[HEAD_A]
    assert res.results["R-SPECIAL"] is special
    assert res.priority is special
    assert res.proposed is False  # shown, not by itself a reason to identify
    assert res.category is None


# --- proposed ----------------------------------------------------------------------------------------

def test_proposed_true_and_false(tmp_path, config):
    _, a = run(tmp_path, config, base_rows())
    assert a[HEAD_A].proposed is False
    assert a[HEAD_B].proposed is True


@pytest.mark.parametrize("over, issue", [
    ({"food_clothing": "不清楚"}, ("NOT_ALLOWED", "error", HH, 2, "吃穿不愁", "不清楚")),
    ({"wage_income": "三万"}, ("NOT_NUMBER", "error", HH, 2, "工资性收入", "三万")),
])
def test_proposed_null_when_an_input_is_invalid_and_no_rule_holds(tmp_path, config, over, issue):
    r, a = run(tmp_path, config, rows_a(**over))
    assert codes(r) == [issue]
    assert a[HEAD_A].proposed is None
    assert a[HEAD_A].category is None
    assert r.to_json()["households"][0]["proposed"] is None


def test_proposed_true_when_an_input_is_invalid_but_another_rule_holds(tmp_path, config):
    r, a = run(tmp_path, config, rows_b(food_clothing="不清楚"))
    assert [c[0] for c in codes(r)] == ["NOT_ALLOWED"]
    assert a[HEAD_B].results["R-GUARANTEE"] is None
    assert a[HEAD_B].results["R-INCOME"] is True
    assert a[HEAD_B].proposed is True


# --- category -----------------------------------------------------------------------------------------

LOW = {"wage_income": 20000}  # A: 26000 / 3 = 8666.67 < 9600


@pytest.mark.parametrize("which, over, category", [
    ("B", {}, "脱贫不稳定户"),
    ("B", {"medical_expense": 5000}, "脱贫不稳定户"),                        # 脱贫户 wins over R-RIGID
    ("B", {"main_risk": "因灾因意外事故"}, "脱贫不稳定户"),
    ("A", LOW, "边缘易致贫户"),
    ("A", {**LOW, "main_risk": "因病因残"}, "边缘易致贫户"),
    ("A", {**LOW, "other_risk_1": "因灾因意外事故"}, "突发严重困难户"),      # any of the three risk columns
    ("A", {**LOW, "other_risk_2": "因灾因意外事故"}, "突发严重困难户"),
    ("A", {**LOW, "main_risk": "因灾因意外事故"}, "突发严重困难户"),
    ("A", {"medical_expense": 7500}, "突发严重困难户"),                      # R-RIGID
    ("A", {"wage_income": 30000, "prev_per_capita_income": 20000}, None),   # R-DROP above the range: verify only
    ("A", {**LOW, "prev_per_capita_income": 20000}, "突发严重困难户"),         # R-DROP with R-INCOME
    ("A", {**LOW, "medical_expense": 1}, "边缘易致贫户"),                     # within by income: 1 元 is no cause
    ("A", {**LOW, "medical_expense": 19999.99}, "边缘易致贫户"),
    ("A", {**LOW, "medical_expense": 20000}, "突发严重困难户"),               # CATEGORY.sudden_rigid_yuan
    ("A", {**LOW, "medical_expense": 12000, "other_rigid_expense": 8000}, "突发严重困难户"),
    ("A", {"housing_secure": "否"}, "边缘易致贫户"),
    ("A", {}, None),                                                          # not proposed
])
def test_category(tmp_path, config, which, over, category):
    rows = rows_a(**over) if which == "A" else rows_b(**over)
    r, a = run(tmp_path, config, rows)
    assert [i.code for i in r.issues] == (["R-DROP-VERIFY"] if category is None and "prev_per_capita_income" in over
                                          else [])
    assert a[HEAD_A if which == "A" else HEAD_B].category == category


# --- assistance and scope -----------------------------------------------------------------------------

def test_assistance_development_with_labour(tmp_path, config):
    _, a = run(tmp_path, config, rows_a(**LOW))
    assert a[HEAD_A].has_labour is True
    assert a[HEAD_A].assistance == "开发式帮扶"


def test_assistance_development_with_skilled_labour_only(tmp_path, config):
    rows = rows_a(**LOW)
    rows["member"][0]["labour"] = "技能劳动力"
    rows["member"][1]["labour"] = "丧失劳动力"
    _, a = run(tmp_path, config, rows)
    assert a[HEAD_A].assistance == "开发式帮扶"


def test_assistance_social_security_without_labour(tmp_path, config):
    rows = rows_a(**LOW)
    rows["member"][0]["labour"] = "丧失劳动力"
    rows["member"][1]["labour"] = "丧失劳动力"
    r, a = run(tmp_path, config, rows)
    assert r.issues == []
    assert a[HEAD_A].has_labour is False
    assert a[HEAD_A].assistance == "兜底保障"
    assert a[HEAD_B].assistance == "兜底保障"  # 弱/半 but 71: nobody of working age


@pytest.mark.parametrize("over, risks, scope", [
    ({"main_risk": "因病因残"}, ["因病因残"], "单项措施"),
    ({"water_secure": "否"}, ["饮水不安全"], "单项措施"),
    ({"main_risk": "因病因残", "other_risk_1": "产业失败"}, ["因病因残", "产业失败"], "综合帮扶"),
    ({"main_risk": "因病因残", "housing_secure": "否"}, ["因病因残", "住房不安全"], "综合帮扶"),
])
def test_scope(tmp_path, config, over, risks, scope):
    r, a = run(tmp_path, config, rows_a(**LOW, **over))
    assert r.issues == []
    assert a[HEAD_A].risk_types == risks
    assert a[HEAD_A].scope == scope


def test_no_suggestion_for_a_household_not_monitored(tmp_path, config):
    _, a = run(tmp_path, config, base_rows())
    assert a[HEAD_A].assistance is None and a[HEAD_A].scope is None


# --- consistency --------------------------------------------------------------------------------------

@pytest.mark.parametrize("field, header", [("main_risk", "主要风险"), ("other_risk_2", "其他风险2")])
def test_c_labour_risk(tmp_path, config, field, header):
    """A hint, not an error (revised DOMAIN): it must not stop the household on its way to the town."""
    r, a = run(tmp_path, config, rows_b(**{field: "就业不稳定减收"}))
    assert codes(r) == [("C-LABOUR-RISK", "warning", HH, 3, header, "就业不稳定减收")]
    assert re.search(r"[\u4e00-\u9fff]", r.issues[0].message) and r.issues[0].hint
    assert "16–64 岁" in r.issues[0].message
    assert r.valid


def test_c_labour_risk_not_raised_with_labour(tmp_path, config):
    r, _ = run(tmp_path, config, rows_a(main_risk="就业不稳定减收"))
    assert r.issues == []


@pytest.mark.parametrize("identified, measures, expected", [
    (dt.date(2021, 6, 20), [], [("C-DEV-MEASURE", "warning", HH, 2, "识别纳入日期", "6")]),
    (dt.date(2021, 1, 5), [], [("C-DEV-MEASURE", "warning", HH, 2, "识别纳入日期", "11")]),
    (dt.date(2021, 6, 21), [], []),                                # 5 months and 30 days
    (dt.date(2021, 6, 20), ["产业帮扶"], []),
    (dt.date(2021, 6, 20), ["公益岗位"], []),
    (dt.date(2021, 6, 20), ["教育帮扶"], [("C-DEV-MEASURE", "warning", HH, 2, "识别纳入日期", "6")]),
])
def test_c_dev_measure(tmp_path, config, identified, measures, expected):
    rows = rows_a(identified_date=identified)
    rows["measure"] = [measure(HEAD_A, c) for c in measures]
    r, _ = run(tmp_path, config, rows)
    assert codes(r) == expected
    assert all(i.hint for i in r.issues)


def test_c_dev_measure_from_ledger_date(tmp_path, config):
    r, _ = run(tmp_path, config, base_rows(), identified={HEAD_A: dt.date(2021, 5, 1)})
    assert codes(r) == [("C-DEV-MEASURE", "warning", HH, 2, "识别纳入日期", "7")]


def test_c_dev_measure_not_for_households_without_labour(tmp_path, config):
    r, _ = run(tmp_path, config, rows_b(identified_date=dt.date(2020, 1, 1)))
    assert r.issues == []


@pytest.mark.parametrize("over, measures, expected", [
    ({"main_risk": "因病因残"}, [],
     [("C-RISK-MEASURE", "warning", HH, 2, "主要风险", "因病因残")]),
    ({"main_risk": "因病因残"}, ["健康帮扶"], []),
    ({"main_risk": "因病因残"}, ["低保"], []),
    ({"main_risk": "因病因残"}, ["住房安全保障"],
     [("C-RISK-MEASURE", "warning", HH, 2, "主要风险", "因病因残")]),
    ({"housing_secure": "否"}, [],
     [("C-RISK-MEASURE", "warning", HH, 2, "住房安全有保障", "住房不安全")]),
    ({"housing_secure": "否"}, ["住房安全保障"], []),
    ({"water_secure": "否"}, [],
     [("C-RISK-MEASURE", "warning", HH, 2, "饮水安全有保障", "饮水不安全")]),
    ({"other_risk_1": "饮水不安全"}, [],
     [("C-RISK-MEASURE", "warning", HH, 2, "其他风险1", "饮水不安全")]),
    ({"main_risk": "产业失败"}, [], []),   # no matching measure configured for this type
])
def test_c_risk_measure_for_identified_households(tmp_path, config, over, measures, expected):
    rows = rows_a(identified_date=dt.date(2021, 10, 1), **over)  # identified < 6 months: no C-DEV-MEASURE
    rows["measure"] = [measure(HEAD_A, c) for c in measures]
    r, _ = run(tmp_path, config, rows)
    assert codes(r) == expected
    if expected:
        assert "应有" in r.issues[0].message and r.issues[0].hint


def test_c_risk_measure_message_lists_matching_measures(tmp_path, config):
    r, _ = run(tmp_path, config, rows_a(identified_date=dt.date(2021, 10, 1), main_risk="因病因残"))
    assert "健康帮扶、社会帮扶、低保、特困供养" in r.issues[0].message


def test_c_risk_measure_only_for_identified_households(tmp_path, config):
    r, a = run(tmp_path, config, rows_a(main_risk="因病因残", housing_secure="否", **LOW))
    assert a[HEAD_A].proposed is True
    assert r.issues == []


# --- elimination (plan 五(二)、五(三)) -----------------------------------------------------------------

IDENTIFIED = dt.date(2021, 6, 1)


def eliminate(tmp_path, config, rows, *, identified=IDENTIFIED, which=0):
    r = check(tmp_path, config, rows)
    return Assessor(config).elimination(r.households[which], identified=identified, as_of=AS_OF)


def ready_a(**over):
    rows = rows_a(**over)
    rows["measure"] = [measure(HEAD_A, "就业帮扶")]
    return rows


def test_elimination_eligible(tmp_path, config):
    ok, reason = eliminate(tmp_path, config, ready_a(prev_per_capita_income=11000))
    assert ok is True
    assert "风险消除" in reason


@pytest.mark.parametrize("rows, identified, words", [
    (ready_a(), None, "识别纳入日期"),
    (ready_a(), dt.date(2021, 6, 21), "未满 6 个月"),
    (rows_a(), IDENTIFIED, "帮扶措施"),
    (ready_a(**LOW), IDENTIFIED, "不高于监测线"),
    (ready_a(prev_per_capita_income=12000.01), IDENTIFIED, "下降"),
    (ready_a(medical_expense=7200.03), IDENTIFIED, "刚性支出"),
    (ready_a(water_secure="否"), IDENTIFIED, "两不愁三保障"),
], ids=["not-identified", "under-6-months", "no-measure", "below-line", "falling", "rigid", "guarantee"])
def test_elimination_not_eligible(tmp_path, config, rows, identified, words):
    ok, reason = eliminate(tmp_path, config, rows, identified=identified)
    assert ok is False
    assert words in reason


@pytest.mark.parametrize("wage, eligible", [(28800.03, True), (28800, False)])
def test_elimination_at_the_line_and_at_six_months(tmp_path, config, wage, eligible):
    rows = ready_a(wage_income=wage, business_income=0, transfer_income=0, business_cost=0)  # 9600.01 / 9600
    ok, reason = eliminate(tmp_path, config, rows, identified=dt.date(2021, 6, 20))
    assert ok is eligible
    assert eligible or "不高于监测线" in reason


def test_elimination_nobody_can_work_is_not_marked(tmp_path, config):
    rows = rows_b(business_income=10100.01, transfer_income=0, business_cost=500)  # 9600.01: above the line
    rows["measure"] = [measure(HEAD_B, "低保")]
    ok, reason = eliminate(tmp_path, config, rows, which=1)
    assert ok is None
    assert "暂不标注" in reason


def test_elimination_unknown_income(tmp_path, config):
    ok, reason = eliminate(tmp_path, config, ready_a(wage_income="三万"))
    assert ok is None
    assert reason


def test_elimination_uses_identified_date_from_the_sheet(tmp_path, config):
    ok, _ = eliminate(tmp_path, config, ready_a(identified_date=IDENTIFIED), identified=None)
    assert ok is True


# --- the rule set -------------------------------------------------------------------------------------

def test_line_2021(config):
    assert config.rules.line_for(2021) == 9600
    assert config.rules.line.floor == 9060


def test_year_without_line_is_a_config_error_naming_the_year(config):
    assert not config.rules.has_line(2030)
    with pytest.raises(ConfigError, match="2030"):
        config.rules.line_for(2030)


def test_line_below_floor_is_a_config_error(tmp_path):
    def edit(name, data):
        if name == "monitoring_line.yaml":
            data["lines"][2022] = 9059.99
            return data
    with pytest.raises(ConfigError) as exc:
        load_rules(rules_copy(tmp_path, edit))
    assert "2022" in str(exc.value) and "9060" in str(exc.value)


def test_line_at_floor_is_accepted_and_used_for_its_year(tmp_path):
    def edit(name, data):
        if name == "monitoring_line.yaml":
            data["lines"][2022] = 9060
            return data
    config = load_config(rules_dir=rules_copy(tmp_path, edit))
    assert config.rules.line_for(2022) == 9060
    rows = rows_a(income_year=2022, wage_income=27180, business_income=0, transfer_income=0, business_cost=0)
    r, a = run(tmp_path, config, rows)  # 27180 / 3 = 9060: at the 2022 line, so within the range
    assert r.issues == []
    assert r.households[0].line == 9060
    assert a[HEAD_A].results["R-INCOME"] is True
    assert r.households[1].line == 9600  # B keeps 2021


def test_floor_cannot_be_lowered_below_9060(tmp_path):
    def edit(name, data):
        if name == "monitoring_line.yaml":
            data["floor"] = 8000
            data["lines"][2022] = 8500
            return data
    with pytest.raises(ConfigError):
        load_rules(rules_copy(tmp_path, edit))


def test_every_rule_has_a_plan_clause(config):
    raw = yaml.safe_load((bundled_dir("rules") / "assessment.yaml").read_text(encoding="utf-8"))["rules"]
    section = r"[一二三四五六七](\([一二三四五六七八九十]+\))?"
    assert raw
    for rule_id, entry in raw.items():
        assert re.fullmatch(rf"{section}(、{section})*", str(entry.get("clause", ""))), rule_id
        assert entry.get("title"), rule_id
        assert config.rules.clause(rule_id) == entry["clause"]


def test_rule_clauses_as_domain_md_cites_them(config):
    expected = {"R-INCOME": "三", "R-DROP": "二", "R-RIGID": "二", "R-GUARANTEE": "二", "R-SPECIAL": "二",
                "CATEGORY": "六(一)", "ASSISTANCE": "六(二)", "R-ELIMINATE": "五(二)、五(三)", "SCALE": "六(四)"}
    assert {k: config.rules.clause(k) for k in expected} == expected
    assert config.rules.line.clause == "三"


def test_missing_rule_is_a_config_error(tmp_path):
    def edit(name, data):
        if name == "assessment.yaml":
            del data["rules"]["R-DROP"]
            return data
    with pytest.raises(ConfigError, match="R-DROP"):
        load_rules(rules_copy(tmp_path, edit))


# --- typed parameters: a district's typo is caught, naming the rule and the key (issue 9 / issue 10) ------

def _broken(tmp_path, change) -> tuple[Path, str]:
    def edit(name, data):
        if name in change:
            return change[name](data)
    rules = rules_copy(tmp_path, edit)
    with pytest.raises(ConfigError) as exc:
        load_rules(rules)
    return rules, str(exc.value)


def _rename(rule, old, new):
    def change(data):
        data["rules"][rule][new] = data["rules"][rule].pop(old)
        return data
    return change


def test_a_misspelt_parameter_names_the_rule_and_the_key(tmp_path):
    rules, text = _broken(tmp_path, {"assessment.yaml": _rename("R-DROP", "drop_ratio", "drop_ratoi")})
    assert text == (f"规则文件 {rules} 有误：“rules.R-DROP.drop_ratio”缺少此项；"
                    "“rules.R-DROP.drop_ratoi”不认识此项（名字写错了？）")


def test_a_misspelt_rule_id_is_named(tmp_path):
    def change(data):
        data["rules"]["R-DORP"] = data["rules"].pop("R-DROP")
        return data
    rules, text = _broken(tmp_path, {"assessment.yaml": change})
    assert text == f"规则文件 {rules} 有误：“rules.R-DROP”缺少此项；“rules.R-DORP”不认识此项（名字写错了？）"


@pytest.mark.parametrize("file, change, expected", [
    ("assessment.yaml", lambda d: {**d, "rules": {**d["rules"], "R-DROP": {**d["rules"]["R-DROP"], "drop_ratio": "三成"}}},
     "“rules.R-DROP.drop_ratio”应填数字"),
    ("assessment.yaml", lambda d: {**d, "rules": {**d["rules"], "SCALE": {**d["rules"]["SCALE"], "min_households": 2.5}}},
     "“rules.SCALE.min_households”应填整数"),
    ("assessment.yaml", lambda d: {**d, "rules": {**d["rules"], "R-DROP": {**d["rules"]["R-DROP"],
                                                                              "sources": {"drop_rate": "实践"}}}},
     "“rules.R-DROP”sources 或 meanings 中的 drop_rate 不是本项的参数（名字写错了？）"),
    ("monitoring_line.yaml", lambda d: {**d, "line_inclusive": "是"}, "“line.line_inclusive”应填 true 或 false"),
], ids=["not-a-number", "not-an-integer", "source-of-nothing", "not-a-boolean"])
def test_a_wrong_parameter_value_is_named_in_chinese(tmp_path, file, change, expected):
    rules, text = _broken(tmp_path, {file: change})
    assert text == f"规则文件 {rules} 有误：{expected}"


def test_line_inclusive_defaults_to_true_when_absent(tmp_path):
    def edit(name, data):
        if name == "monitoring_line.yaml":
            del data["line_inclusive"]
            return data
    assert load_rules(rules_copy(tmp_path, edit)).line.line_inclusive is True


def test_every_number_names_its_source(config):
    """Each numeric parameter of rules/ says where it comes from: a plan clause (方案…) or 实践."""
    sections = [*config.rules.rules.by_id().items(), ("monitoring_line", config.rules.line),
                ("workflow", config.rules.workflow)]
    for name, section in sections:
        for key, value in section.parameters().items():
            numbers = value if isinstance(value, dict) else {key: value}
            if any(isinstance(v, (int, float, Decimal)) and not isinstance(v, bool) for v in numbers.values()) \
                    or isinstance(value, bool):
                assert re.match(r"(方案|实践)", section.sources.get(key, "")), (name, key)


# --- the page a district official signs: rules/README.md --------------------------------------------------

def _table_rows() -> dict[str, str]:
    text = (bundled_dir("rules") / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) >= 4 and re.fullmatch(r"`[A-Z][A-Z0-9-]*`", cells[0]):
            rows[cells[0].strip("`")] = line
    return rows


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_the_rules_table_lists_every_rule_with_its_clause_and_parameters(config):
    rows = _table_rows()
    assert set(rows) == set(config.rules.rules.by_id())
    for rule_id, rule in config.rules.rules.by_id().items():
        row = rows[rule_id]
        assert rule.title in row and f"方案{rule.clause}" in row, rule_id
        for key, value in rule.parameters().items():
            assert f"`{key}`" in row, (rule_id, key)
            if isinstance(value, (int, Decimal)):
                assert f"`{key}` = {_shown(value)}" in row, (rule_id, key)


def test_the_readme_links_the_rules_table():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "(rules/README.md)" in readme
