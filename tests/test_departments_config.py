"""rules/departments.yaml: the ten default departments (rules/README.md) ship ready, every threshold is a parameter with its
clause and source, a district's workspace copy overrides, and a mistake is refused in Chinese with its entry
and line."""

from __future__ import annotations

import shutil

import pytest

from excel_bridge.config import bundled_dir
from excel_bridge.departments import load_departments
from excel_bridge.departments.config import BenefitRule, DisabilityRule, ListedRule, ThresholdRule, ValuesRule
from excel_bridge.errors import ConfigError
from excel_bridge.workspace import Workspace


@pytest.fixture(scope="module")
def bundled():
    return load_departments()


def test_the_ten_departments_of_the_domain_table_ship_ready(bundled):
    # the ten of the domain table, and 信访 / 12317 (plan 四(四)), read the same way
    assert list(bundled.departments) == ["医保", "民政", "残联", "人社", "住建", "水务", "教育", "应急", "金融", "卫健",
                                         "信访"]
    for name, dept in bundled.departments.items():
        assert dept.name == name and dept.folder == name
        assert dept.verify_days == 15
        for rule in dept.rules:
            assert rule.clause and rule.source and rule.sentence
    assert bundled.verification.days == 15
    assert (bundled.verification.clause, bundled.verification.source) == ("四(三)", "实践")


def test_the_thresholds_and_risk_types_of_the_domain_table(bundled):
    poor, other = bundled.department("医保").rules
    assert isinstance(poor, ThresholdRule) and (poor.at_least, poor.only_household_types) == (5000, ["脱贫户"])
    assert isinstance(other, ThresholdRule) and (other.at_least, other.except_household_types) == (20000, ["脱贫户"])
    assert poor.risk_type == other.risk_type == "因病因残"
    granted, stopped, temporary = bundled.department("民政").rules
    assert isinstance(granted, BenefitRule) and granted.kind == "benefit_granted"
    assert isinstance(stopped, BenefitRule) and stopped.kind == "benefit_stopped"
    assert granted.ledger_flags == {"低保": "dibao", "特困供养": "tekun"}
    assert isinstance(temporary, ValuesRule) and temporary.values == ["临时救助"] and temporary.within_days == 90
    assert {r.risk_type for r in bundled.department("民政").rules} == {"政策衔接"}
    (disability,) = bundled.department("残联").rules
    assert isinstance(disability, DisabilityRule)
    assert (disability.severe_grades, disability.mild_types, disability.mild_grades) == (
        ["一级", "二级"], ["精神", "智力"], ["三级", "四级"])
    (jobless,) = bundled.department("人社").rules
    assert (jobless.values, jobless.risk_type) == (["失业登记", "就业终止"], "就业不稳定减收")
    (danger,) = bundled.department("住建").rules
    assert (danger.values, danger.risk_type) == (["C级", "D级"], "住房不安全")
    (water,) = bundled.department("水务").rules
    assert isinstance(water, ListedRule) and water.risk_type == "饮水不安全"
    (dropout,) = bundled.department("教育").rules
    assert isinstance(dropout, ListedRule) and (dropout.risk_type, dropout.guarantee) == (None, "义务教育有保障")
    (loss,) = bundled.department("应急").rules
    assert (loss.at_least, loss.risk_type, loss.source) == (10000, "因灾因意外事故", "暂定")
    (overdue,) = bundled.department("金融").rules
    assert (overdue.at_least, overdue.risk_type) == (90, "小额贷款逾期")
    (illness,) = bundled.department("卫健").rules
    assert isinstance(illness, ListedRule) and illness.risk_type == "因病因残"


def test_a_departments_own_aliases_come_before_the_common_ones(bundled):
    medical = bundled.department("医保")
    assert medical.id_headers[:2] == ["参保人身份证号", "参保人身份证号码"]
    assert "身份证号" in medical.id_headers and "公民身份号码" in medical.id_headers
    assert bundled.by_folder("住建").name == "住建" and bundled.by_folder("财政") is None
    assert bundled.address_codes == {"440221": "本区"}


def _copy(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(bundled_dir("rules"), rules)
    return rules, rules / "departments.yaml"


def _line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_the_workspace_copy_overrides_the_bundled_file(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    path = ws.root / "rules" / "departments.yaml"
    assert path.exists()  # init copies rules/ whole
    path.write_text(path.read_text(encoding="utf-8").replace("at_least: 20000", "at_least: 15000"), encoding="utf-8")
    assert load_departments(ws.root / "rules").department("医保").rules[1].at_least == 15000
    path.unlink()  # a workspace made before department lists existed: the bundled defaults
    assert load_departments(ws.root / "rules").department("医保").rules[1].at_least == 20000


def test_a_wrong_number_names_the_entry_and_its_line(tmp_path):
    rules, path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("at_least: 20000", "at_least: 两万"), encoding="utf-8")
    line = _line_of(path, "at_least: 两万")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert str(exc.value) == f"规则文件 {path} 有误：“departments.医保.rules.1.at_least”应填数字（第{line}行）"


def test_a_misspelt_key_and_an_unknown_kind(tmp_path):
    rules, path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("        only_household_types: [脱贫户]", "        only_househld_types: [脱贫户]"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    line = _line_of(path, "only_househld_types")
    assert str(exc.value) == (f"规则文件 {path} 有误：“departments.医保.rules.0.only_househld_types”"
                              f"不认识此项（名字写错了？）（第{line}行）")
    path.write_text(text.replace("kind: listed", "kind: listd", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    line = _line_of(path, "kind: listd") - 1  # the rule's entry starts on the line of its “- id:”
    assert str(exc.value) == (f"规则文件 {path} 有误：“departments.水务.rules.0”不是认识的种类（kind 写错了？）"
                              f"（第{line}行）")


def test_a_rule_naming_a_fact_the_department_does_not_have(tmp_path):
    rules, path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("        fact: 损失\n", "        fact: 损失金额\n"),
                    encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    line = _line_of(path, "  应急:")
    assert str(exc.value) == (f"规则文件 {path} 有误：“departments.应急”规则 D-YJ-LOSS 用到的“损失金额”不在 facts 中"
                              f"（第{line + 1}行）")


def test_a_value_that_is_not_one_of_the_facts_values_and_a_template_field(tmp_path):
    rules, path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("values: [C级, D级]", "values: [C级, E级]"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert "规则 D-ZJ-DANGER 中的“E级”不是“等级”的规范值（A级、B级、C级、D级）" in str(exc.value)
    path.write_text(text.replace('sentence: ["患{病种}", "列入大病重病名单"]', 'sentence: ["患{疾病}"]'), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert "规则 D-WJ-ILLNESS 的 sentence 用到了不存在的“{疾病}”" in str(exc.value)


def test_a_risk_type_outside_the_nine_and_a_negative_threshold(tmp_path):
    rules, path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("risk_type: 小额贷款逾期", "risk_type: 贷款逾期"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert ("“departments.金融.rules.0.risk_type”风险类型“贷款逾期”不在 schemas/lists.yaml 的 risk_types 中，"
            "请改为其中之一：因病因残、因灾因意外事故、住房不安全、饮水不安全、就业不稳定减收、产业失败、政策衔接、"
            "扶贫资产监管不善、小额贷款逾期、其他") in str(exc.value)
    path.write_text(text.replace("at_least: 90 ", "at_least: -90 "), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert "“departments.金融.rules.0.at_least”数值太小" in str(exc.value)


def test_risk_types_and_guarantees_are_read_from_the_workspaces_schemas(tmp_path):
    """One home: a risk type added to schemas/lists.yaml, or a guarantee column renamed in household.yaml,
    is what departments.yaml may name — nothing in the code restates them."""
    ws = Workspace.init(tmp_path / "ws")
    lists = ws.root / "schemas" / "lists.yaml"
    lists.write_text(lists.read_text(encoding="utf-8").replace("小额贷款逾期, 其他]", "小额贷款逾期, 其他, 因学]"),
                     encoding="utf-8")
    path = ws.root / "rules" / "departments.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("risk_type: 小额贷款逾期", "risk_type: 因学"), encoding="utf-8")
    assert load_departments(ws.root / "rules").department("金融").rules[0].risk_type == "因学"
    with pytest.raises(ConfigError) as exc:  # the bundled schemas do not know it
        _load_with_bundled_schemas(tmp_path, path)
    assert "风险类型“因学”不在 schemas/lists.yaml 的 risk_types 中" in str(exc.value)
    household = ws.root / "schemas" / "household.yaml"
    household.write_text(household.read_text(encoding="utf-8").replace("header: 义务教育有保障",
                                                                       "header: 义务教育保障"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(ws.root / "rules")
    assert ("“departments.教育.rules.0.guarantee”保障“义务教育有保障”不是 schemas/household.yaml 中的保障列，"
            "请改为其中之一：吃穿不愁、义务教育保障、基本医疗有保障、住房安全有保障、饮水安全有保障") in str(exc.value)
    path.write_text(text.replace("guarantee: 义务教育有保障", "guarantee: 义务教育保障"), encoding="utf-8")
    assert load_departments(ws.root / "rules").department("教育").rules[0].guarantee == "义务教育保障"


def _load_with_bundled_schemas(tmp_path, departments_yaml):
    """rules/departments.yaml loaded from a folder with no schemas/ beside it: the bundled schemas' terms."""
    rules = tmp_path / "alone" / "rules"
    rules.mkdir(parents=True)
    shutil.copy(departments_yaml, rules / "departments.yaml")
    return load_departments(rules)


def test_two_departments_in_one_folder_and_a_repeated_rule_id(tmp_path):
    rules, path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("folder: 卫健", "folder: 医保"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert "部门“卫健”和“医保”用了同一个文件夹“医保”" in str(exc.value)
    path.write_text(text.replace("id: D-WJ-ILLNESS", "id: D-YB-POOR"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert "规则编号 D-YB-POOR 在“医保”和“卫健”中重复" in str(exc.value)
    path.write_text(text.replace("folder_aliases: [卫健局,", "folder_aliases: [医保局,"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert "部门“卫健”和“医保”用了同一个文件夹“医保局”" in str(exc.value)


def test_a_folder_a_department_names_itself_is_its_folder(bundled):
    assert bundled.by_folder("医保局") is bundled.department("医保")
    assert bundled.by_folder("医保") is bundled.department("医保")
    assert bundled.by_folder("民政局") is bundled.department("民政")
    assert bundled.by_folder("财政局") is None


def test_a_syntax_error_names_the_line(tmp_path):
    rules, path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("folder: 水务", "folder: [水务"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_departments(rules)
    assert str(exc.value).startswith(f"规则文件 {path} 格式错误（第")
