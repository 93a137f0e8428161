"""rules/import.yaml (excel_bridge/national/mapping.py): the national export's 32 columns in order, mapped to our
schemas both ways; a district's copy overrides the bundled one; a typo is refused in Chinese with its line."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from excel_bridge.config import bundled_dir
from excel_bridge.errors import ConfigError
from excel_bridge.national.mapping import load_import_rules
from excel_bridge.workspace import Workspace

# DOMAIN.md "The national system's exports" (fact)
NATIONAL_32 = ["序号", "数据日期", "县(市、区、旗)", "乡(镇)", "行政村", "自然村", "户编号", "人编号", "姓名", "证件号码", "人数",
               "与户主关系", "民族", "文化程度", "在校生状况", "健康状况", "劳动技能", "务工时间（月）", "是否参加大病保险",
               "致贫原因1", "危房户", "是否解决安全饮用水", "人均纯收入", "户联系电话", "人联系电话", "首次识别时间",
               "人员识别时间", "户类型", "易返贫致贫户(监测对象)类型", "风险是否消除", "风险识别时间", "风险消除时间"]


@pytest.fixture(scope="module")
def rules():
    return load_import_rules()


def test_the_32_national_columns_in_the_exports_order(rules):
    assert rules.national_headers() == NATIONAL_32
    assert rules.is_header_row(NATIONAL_32)
    assert not rules.is_header_row(["户主姓名", "户主身份证号", "与户主关系"])


def test_headers_match_after_width_and_spaces_and_aliases(rules):
    row = ["序 号", "乡（镇）", "行政村", "户编号", "证件号码", "与户主关系", "致贫/返贫风险1", "致贫/返贫风险2", "消除监测时间"]
    fields = {pos: col.field for pos, col in rules.match_headers(row).items()}
    assert fields == {0: None, 1: "town", 2: "village", 3: "household_no", 4: "person_id", 5: "relation",
                      6: "risk_1", 7: "risk_2", 8: "eliminated_date"}


def test_value_maps_national_to_ours(rules):
    schooling = rules.column_for("schooling")
    assert [schooling.to_ours(v) for v in ("中职一年级", "高职高专二年级", "小学三年级", "七年级", "学前教育", " ")] == \
        ["中职", "高职高专", "小学", "初中", "学前教育", None]
    assert rules.column_for("health").to_ours("长期慢性病,残疾") == "长期慢性病、残疾"
    assert rules.column_for("labour").to_ours("弱劳动力") == "弱劳动力或半劳动力"
    assert rules.column_for("housing_secure").to_ours("是") == "否"  # 危房户 是 = 住房不安全
    assert rules.column_for("household_type").to_ours("一般农户") == "普通农户"
    assert rules.column_for("medical_insurance").to_ours("是") == "是"
    assert rules.column_for("relation").to_ours("之父母") == "其他"


def test_risk_words_to_the_nine_types_and_categories(rules):
    assert rules.risk_type("因病") == ("因病因残", None)
    assert rules.risk_type("因意外事故") == ("因灾因意外事故", None)
    assert rules.risk_type("因务工就业不稳") == ("就业不稳定减收", None)
    assert rules.risk_type("住房") == ("住房不安全", None)
    assert rules.risk_type("因学") == ("其他", "因学")  # the national word kept beside 其他
    assert rules.risk_type("缺劳动力") == ("其他", "缺劳动力")
    assert rules.risk_type("") is None
    assert rules.category_of("突发严重困难户") == "突发严重困难户"
    assert rules.category_of("") is None


def test_the_national_date_forms(rules):
    assert rules.parse_date("2021-03") == dt.date(2021, 3, 1)
    assert rules.parse_date("202103") == dt.date(2021, 3, 1)
    assert rules.parse_date(202103) == dt.date(2021, 3, 1)
    assert rules.parse_date(202103.0) == dt.date(2021, 3, 1)
    assert rules.parse_date("2021-03-05") == dt.date(2021, 3, 5)
    assert rules.parse_date("20210305") == dt.date(2021, 3, 5)
    assert rules.parse_date(dt.datetime(2021, 3, 5, 0, 0)) == dt.date(2021, 3, 5)
    assert rules.parse_date("三月") is None


def test_ours_to_national_one_persons_row(rules):
    household = {"town": "马坝镇", "village": "石塘村", "group": "一组", "household_no": "44020512345678",
                 "size": 3, "head_name": "张三", "housing_secure": "否", "water_secure": "是", "household_type": "普通农户",
                 "category": "突发严重困难户", "eliminated": "否", "identified_date": dt.date(2021, 5, 1),
                 "main_risk": "因病因残", "other_risk_1": "其他", "risks": [["因病因残", None], ["其他", "因学"]],
                 "measures": [{"category": "健康帮扶"}]}
    member = {"name": "张三", "person_id": "440205199001011234", "relation": "户主", "labour": "弱劳动力或半劳动力",
              "schooling": None, "health": "长期慢性病、残疾", "medical_insurance": "是"}
    row = dict(zip(rules.national_headers(), rules.national_row(household, member), strict=True))
    assert row["乡(镇)"] == "马坝镇" and row["行政村"] == "石塘村" and row["自然村"] == "一组"
    assert row["户编号"] == "44020512345678" and row["证件号码"] == "440205199001011234" and row["人数"] == 3
    assert row["与户主关系"] == "户主" and row["劳动技能"] == "弱劳动力或半劳动力" and row["在校生状况"] is None
    assert row["健康状况"] == "长期慢性病、残疾" and row["是否参加大病保险"] == "是"
    assert row["危房户"] == "是" and row["是否解决安全饮用水"] == "是" and row["户类型"] == "一般农户"
    assert row["易返贫致贫户(监测对象)类型"] == "突发严重困难户" and row["风险是否消除"] == "否"
    assert row["风险识别时间"] == "2021-05-01" and row["风险消除时间"] is None
    assert row["致贫原因1"] == "因病"
    assert row["序号"] is None and row["数据日期"] is None
    wide = dict(zip(rules.national_headers(wide=True), rules.national_row(household, member, wide=True), strict=True))
    assert wide["致贫/返贫风险2"] == "因学" and wide["致贫/返贫风险3"] is None
    assert wide["健康帮扶"] == "是" and wide["就业帮扶"] is None


def _copy(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(bundled_dir("rules"), rules)
    return rules, rules / "import.yaml"


def _line_of(path, needle):
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_the_workspace_copy_overrides_the_bundled_file(tmp_path):
    ws = Workspace.init(tmp_path / "ws")
    path = ws.root / "rules" / "import.yaml"
    assert path.exists()  # init copies rules/ whole
    path.write_text(path.read_text(encoding="utf-8").replace(
        "  政策衔接: [政策衔接]", "  政策衔接: [政策衔接, 因学]"), encoding="utf-8")
    assert load_import_rules(ws.root / "rules").risk_type("因学") == ("政策衔接", None)
    path.unlink()  # a workspace made before the import existed: the bundled defaults
    assert load_import_rules(ws.root / "rules").risk_type("因学") == ("其他", "因学")


def test_the_same_file_against_equal_schemas_is_checked_once_and_an_edit_is_seen_at_once(tmp_path):
    """Every district job loads import.yaml (issue 23): the same bytes against equal schemas give the rules already
    checked; an edited file, or other schemas, are read and checked anew — and a broken file is always refused."""
    from dataclasses import replace

    from excel_bridge.schema import load_schemas

    ws = Workspace.init(tmp_path / "ws")
    path = ws.root / "rules" / "import.yaml"
    schemas = load_schemas(ws.root / "schemas")
    first = load_import_rules(ws.root / "rules", schemas)
    assert load_import_rules(ws.root / "rules", load_schemas(ws.root / "schemas")) is first  # equal, not the same
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  政策衔接: [政策衔接]", "  政策衔接: [政策衔接, 因学]"), encoding="utf-8")
    edited = load_import_rules(ws.root / "rules", schemas)
    assert edited is not first and edited.risk_type("因学") == ("政策衔接", None)
    fewer = replace(schemas, lists={**schemas.lists, "risk_types": ("因病", "因学")})
    with pytest.raises(ConfigError, match="risk_words”风险类型“.+”不在 schemas/lists.yaml 的 risk_types 中"):
        load_import_rules(ws.root / "rules", fewer)
    path.write_text(text.replace("household_key: 户编号", "househld_key: 户编号"), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ConfigError, match="househld_key"):
            load_import_rules(ws.root / "rules", schemas)
    path.write_text(text, encoding="utf-8")
    again = load_import_rules(ws.root / "rules", schemas)
    assert again.risk_type("因学") == ("其他", "因学")


def test_a_misspelt_key_and_a_field_we_do_not_have(tmp_path):
    rules, path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("household_key: 户编号", "househld_key: 户编号"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_import_rules(rules)
    line = _line_of(path, "househld_key")
    assert f"“househld_key”不认识此项（名字写错了？）（第{line}行）" in str(exc.value)
    path.write_text(text.replace("field: per_capita_income", "field: per_capita"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_import_rules(rules)
    assert str(exc.value).startswith(f"规则文件 {path} 有误：")
    assert "列“人均纯收入”的 field“per_capita”不是household级的项" in str(exc.value)


def test_a_risk_type_outside_the_nine_and_a_category_we_do_not_have(tmp_path):
    rules, path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  政策衔接: [政策衔接]", "  政策: [政策衔接]"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_import_rules(rules)
    line = _line_of(path, "risk_words:") + 1  # the mapping starts on its first entry
    assert str(exc.value).startswith(f"规则文件 {path} 有误：“risk_words”风险类型“政策”不在 schemas/lists.yaml 的 risk_types 中")
    assert str(exc.value).endswith(f"（第{line}行）")
    path.write_text(text.replace("  突发严重困难户: [突发严重困难户, 突发严重困难]", "  突发户: [突发严重困难户]"), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_import_rules(rules)
    assert "监测类别“突发户”不是本系统的类别" in str(exc.value)
